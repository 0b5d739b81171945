// Which backends a run covers, in the manner of kysely's DIALECTS: `DIALECTS=sqlite,postgres,mysql`
// and `STORES=memory,redis` (CI sets both to everything; unset means the embedded defaults).
const DEFAULTS = { DIALECTS: 'sqlite', STORES: 'memory' } as const;

export function selection(envName: keyof typeof DEFAULTS): string[] {
  return (process.env[envName] ?? DEFAULTS[envName])
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export const selected = (envName: keyof typeof DEFAULTS, name: string): boolean =>
  selection(envName).includes(name);
