// Summarizes a V8 .cpuprofile (node --cpu-prof): self time by function and by package/module.
//   node bench/profile-top.mjs bench/.build/profiles/throughput-sqlite.cpuprofile [N]
import { readFileSync } from 'node:fs';

const [file, n = '25'] = process.argv.slice(2);
const p = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(p.nodes.map((x) => [x.id, x]));
const self = new Map();
const dt = p.timeDeltas;
for (let i = 0; i < p.samples.length; i++)
  self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (dt[i] ?? 0));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const fn = new Map();
const mod = new Map();
const where = (url) => {
  if (!url) return '(native/vm)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (url.startsWith('node:')) return url.split('/')[0];
  return url.replace(/^file:\/\/.*\/(bench\/\.build|dist)\//, '');
};
for (const [id, us] of self) {
  const { callFrame: c } = byId.get(id);
  const key = `${c.functionName || '(anonymous)'} ${where(c.url)}:${c.lineNumber + 1}`;
  fn.set(key, (fn.get(key) ?? 0) + us);
  const m = where(c.url);
  mod.set(m, (mod.get(m) ?? 0) + us);
}
const pct = (us) => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
console.log(`total sampled ${(total / 1e6).toFixed(2)} s\n\nby package/module (self):`);
for (const [k, v] of [...mod].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`${pct(v)}  ${k}`);
console.log('\nby function (self):');
for (const [k, v] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, Number(n))) console.log(`${pct(v)}  ${k}`);

// Inclusive time of named functions (`--incl=a,b,c`), counted once per sample stack.
const incl = process.argv
  .find((a) => a.startsWith('--incl='))
  ?.slice(7)
  .split(',');
if (incl) {
  const parent = new Map();
  for (const x of p.nodes) for (const c of x.children ?? []) parent.set(c, x.id);
  const hits = new Map(incl.map((k) => [k, 0]));
  for (let i = 0; i < p.samples.length; i++) {
    const seen = new Set();
    for (let id = p.samples[i]; id !== undefined; id = parent.get(id)) {
      const name = byId.get(id).callFrame.functionName;
      if (hits.has(name) && !seen.has(name)) {
        seen.add(name);
        hits.set(name, hits.get(name) + (dt[i] ?? 0));
      }
    }
  }
  const busy =
    total -
    (mod.get('(native/vm)')
      ? [...self]
          .filter(([id]) => byId.get(id).callFrame.functionName === '(idle)')
          .reduce((a, [, v]) => a + v, 0)
      : 0);
  console.log(`\ninclusive (share of busy time ${(busy / 1e6).toFixed(2)} s):`);
  for (const [k, v] of [...hits].sort((a, b) => b[1] - a[1]))
    console.log(`${((v / busy) * 100).toFixed(1).padStart(5)}%  ${k}`);
}
