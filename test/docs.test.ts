import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envSchema } from '../src/config/schema.js';
import { ERRORS } from '../src/errors.js';

const root = join(import.meta.dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

describe('the README', () => {
  it('documents every setting the gateway reads', () => {
    const missing = Object.keys(envSchema.shape).filter((k) => !readme.includes(`\`${k}\``));
    expect(missing).toEqual([]);
  });

  it('documents every error code', () => {
    const missing = Object.keys(ERRORS).filter((c) => !readme.includes(`\`${c}\``));
    expect(missing).toEqual([]);
  });
});

// The dependency rules of docs/architecture.md, read from its module table: which top-level module
// may import which ("nothing", "everything", or a list of modules). Tests (*.test.ts, testing.ts)
// are exempt: they may drive the simulator.
const architecture = readFileSync(join(root, 'docs/architecture.md'), 'utf8');

function importTable(markdown: string): Record<string, string[]> {
  const section = markdown.split(/^## /m).find((s) => s.startsWith('Modules')) ?? '';
  const rows = [...section.matchAll(/^\| `([a-z-]+)` \|.*\| ([^|]+) \|$/gm)];
  const modules = rows.map((r) => r[1]);
  return Object.fromEntries(
    rows.map(([, module, allowed]) => {
      const cell = allowed.trim();
      if (cell === 'nothing') return [module, []];
      if (cell === 'everything') return [module, modules.filter((m) => m !== module)];
      return [module, [...cell.matchAll(/`([a-z-]+)`/g)].map((m) => m[1])];
    }),
  );
}
const MAY_IMPORT = importTable(architecture);

describe('the module table of docs/architecture.md', () => {
  it('is read as the rules (every cell is nothing, everything or modules of the table)', () => {
    expect(Object.keys(MAY_IMPORT).length).toBeGreaterThan(10);
    expect(MAY_IMPORT.errors).toEqual([]);
    expect(MAY_IMPORT.coze).toEqual(['errors']);
    for (const allowed of Object.values(MAY_IMPORT)) {
      for (const m of allowed) expect(Object.keys(MAY_IMPORT)).toContain(m);
    }
  });
});

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.endsWith('testing.ts') ? [p] : [];
  });
}

const moduleOf = (file: string) =>
  relative(join(root, 'src'), file)
    .split('/')[0]
    .replace(/\.(ts|js)$/, '');

describe('docs/architecture.md dependency rules', () => {
  it('lists every module of src/', () => {
    const modules = new Set(sources(join(root, 'src')).map(moduleOf));
    expect([...modules].sort()).toEqual(Object.keys(MAY_IMPORT).sort());
  });

  it('holds in the code', () => {
    const broken: string[] = [];
    for (const file of sources(join(root, 'src'))) {
      const from = moduleOf(file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
        const target = moduleOf(join(file, '..', m[1]));
        if (target !== from && !MAY_IMPORT[from].includes(target)) {
          broken.push(`${relative(root, file)} imports ${target}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });
});

describe('docs/deploy/nginx.conf', () => {
  it('is quoted in the README exactly as the tests run it', () => {
    const conf = readFileSync(join(root, 'docs/deploy/nginx.conf'), 'utf8');
    expect(readme).toContain(`\`\`\`nginx\n${conf}\`\`\``);
  });
});
