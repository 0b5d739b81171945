import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Builds dist/ once before any test file runs (several files start `dist/cli/main.js`). */
export default function setup(): void {
  execFileSync(process.execPath, [join(import.meta.dirname, '../scripts/build.mjs')], { stdio: 'inherit' });
}
