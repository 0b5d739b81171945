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

// The dependency rules of docs/architecture.md: which top-level module may import which.
// Tests (*.test.ts, testing.ts) are exempt: they may drive the simulator.
const MAY_IMPORT: Record<string, string[]> = {
  errors: [],
  ids: [],
  keys: [],
  config: [],
  observability: [],
  simulator: [],
  coze: ['errors'],
  state: ['keys', 'errors', 'observability'],
  ledger: ['keys', 'config', 'errors', 'observability'],
  identity: ['keys', 'state', 'errors', 'ids'],
  tools: ['keys', 'config', 'identity', 'errors'],
  turns: ['keys', 'coze', 'ledger', 'state', 'identity', 'tools', 'config', 'observability', 'errors', 'ids'],
  http: ['keys', 'turns', 'identity', 'ledger', 'state', 'coze', 'config', 'observability', 'errors', 'ids'],
  cli: [
    'http',
    'turns',
    'tools',
    'identity',
    'ledger',
    'state',
    'coze',
    'simulator',
    'config',
    'observability',
    'errors',
    'ids',
    'keys',
  ],
};

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
    const arch = readFileSync(join(root, 'docs/architecture.md'), 'utf8');
    for (const m of modules) expect(arch).toContain(`\`${m}\``);
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
