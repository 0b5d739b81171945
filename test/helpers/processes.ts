import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export const MAIN = join(import.meta.dirname, '../../dist/cli/main.js');

/** The environment a user would have: nothing of ours but what the test sets. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...extra };
}

export interface GatewayProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
  /** SIGTERM, then wait for the exit code. */
  stop(): Promise<number | null>;
}

/** Runs `coze-gateway start` as a child process on a free port; resolves once it listens. */
export async function startGatewayProcess(extra: Record<string, string>): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [MAIN, 'start'], {
    env: cleanEnv({
      PORT: '0',
      HOST: '127.0.0.1',
      SIMULATOR_DELTA_DELAY_MS: '5',
      // Tests make many sessions and messages from 127.0.0.1; rate limits have tests of their own.
      RATE_LIMIT_USER: '100000/100000',
      RATE_LIMIT_IP: '100000/100000',
      RATE_LIMIT_SESSIONS_PER_IP: '100000/100000',
      ...extra,
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no listening line in time:\n${out}`)), 20_000);
    child.stdout!.on('data', () => {
      const m = /coze-gateway is listening on (http:\/\/[\d.:]+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    });
    void exited.then((code) => {
      clearTimeout(t);
      reject(new Error(`exited ${code}:\n${out}`));
    });
  });
  return {
    child,
    url,
    output: () => out,
    exited,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Runs a CLI command to its end. */
export function runCli(args: string[], extra: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      env: cleanEnv(extra),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
