// The esbuild options of the server bundle, shared by scripts/build.mjs and the benchmarks (so
// that what is measured is what `npm start` runs).
import { join } from 'node:path';

export function serverBuildOptions(root) {
  return {
    entryPoints: [join(root, 'src/cli/main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Dependencies are bundled too: resolving and loading hundreds of package files was most of
    // the start-up time. Native and optional modules stay outside; so do those loaded only when
    // configured (required lazily at run time from node_modules).
    external: [
      'better-sqlite3',
      'pg-native',
      'ioredis',
      'yaml',
      '@modelcontextprotocol/sdk',
      '@modelcontextprotocol/sdk/*',
    ],
    sourcemap: true,
    // Bundled CommonJS packages call require(); give the ESM bundle one.
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire as __cgCreateRequire } from 'node:module';\nconst require = __cgCreateRequire(import.meta.url);",
    },
    logLevel: 'warning',
  };
}
