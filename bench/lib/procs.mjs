// The processes of a bench run: simulator, nginx, gateways; their CPU and memory from /proc;
// a PostgreSQL database and a Redis key prefix of the run's own.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { request } from 'undici';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const BUILD = join(ROOT, 'bench/.build');
// The gateway as `npm run build` bundles it (scripts/build.mjs options), built into bench/.build so a
// bench run never rewrites dist/ under a test run.
export const MAIN = join(BUILD, 'cli/main.js');
export const NGINX = '/usr/sbin/nginx';
export const PG_ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const PAT = 'pat_bench';
export const BOT_ID = '7500000000000000001';

const CLK_TCK = 100; // Linux USER_HZ

/** utime + stime of a process, in seconds (/proc/<pid>/stat fields 14 and 15). */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** VmRSS of a process, bytes. */
export function rssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]) * 1024;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function exitOf(child) {
  return new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r();
    else child.once('exit', () => r());
  });
}

/** The bench's simulator (bench/.build/simulator.mjs), a process of its own. */
export async function startSimulator({ deltaDelayMs, chunkChars, publicKeyFile } = {}) {
  const args = [join(BUILD, 'simulator.mjs'), '--pat', PAT];
  if (process.env.BENCH_SIM_LOG) args.push('--log');
  if (deltaDelayMs !== undefined) args.push('--delta-delay-ms', String(deltaDelayMs));
  if (chunkChars !== undefined) args.push('--chunk-chars', String(chunkChars));
  if (publicKeyFile) args.push('--public-key-file', publicKeyFile);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  // BENCH_SIM_LOG=1: the simulator logs every request to the terminal.
  child.stderr.on('data', (d) => {
    if (process.env.BENCH_SIM_LOG) process.stderr.write(d);
    else out += d;
  });
  const { url, controlToken } = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`simulator did not start:\n${out}`)), 10_000);
    child.stdout.on('data', () => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(t);
        resolve(JSON.parse(line));
      }
    });
    child.once('exit', (code) => reject(new Error(`simulator exited ${code}:\n${out}`)));
  });
  // The simulator's control routes need its control token.
  const control = { 'x-simulator-control': controlToken };
  return {
    url,
    pid: child.pid,
    faults: (f) => postJson(`${url}/_simulator/faults`, f, control),
    resetFaults: () =>
      request(`${url}/_simulator/faults`, { method: 'DELETE', headers: control }).then((r) => r.body.json()),
    stats: () => request(`${url}/_simulator/stats`, { headers: control }).then((r) => r.body.json()),
    resetStats: () => postJson(`${url}/_simulator/stats/reset`, {}, control),
    async stop() {
      child.kill('SIGKILL');
      await exitOf(child);
    },
  };
}

async function postJson(url, body, headers = {}) {
  const r = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return r.body.json();
}

/** nginx as a pure reverse proxy in front of `upstreamUrl` (bench/nginx.conf); null when absent. */
export async function startNginx(upstreamUrl) {
  if (!existsSync(NGINX)) return null;
  const dir = mkdtempSync(join(tmpdir(), 'cg-bench-nginx-'));
  const port = await freePort();
  const conf = readFileSync(join(ROOT, 'bench/nginx.conf'), 'utf8')
    .replaceAll('@DIR@', dir)
    .replaceAll('@PORT@', String(port))
    .replaceAll('@UPSTREAM@', new URL(upstreamUrl).host);
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${out}`);
    const ok = await request(`${url}/_simulator/stats`).then(
      // Any answer of the simulator's (its control routes say 401 without the token) means nginx is up.
      (r) => r.body.text().then(() => r.statusCode === 200 || r.statusCode === 401),
      () => false,
    );
    if (ok) break;
    if (i > 200) throw new Error(`nginx did not answer: ${out}`);
    await sleep(25);
  }
  // The worker is the process that does the work (worker_processes 1).
  const children = () =>
    readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  return {
    url,
    pid: Number(children()[0]),
    async stop() {
      child.kill('SIGQUIT');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exitOf(child);
      clearTimeout(t);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** bench/node-proxy.mjs in front of `upstreamUrl`: the floor of any Node.js gateway. */
export async function startNodeProxy(upstreamUrl) {
  const child = spawn(process.execPath, [join(ROOT, 'bench/node-proxy.mjs'), upstreamUrl], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr.on('data', (d) => (out += d));
  const url = await new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => resolve(JSON.parse(String(d)).url));
    child.once('exit', (code) => reject(new Error(`node proxy exited ${code}: ${out}`)));
  });
  return {
    url,
    pid: child.pid,
    async stop() {
      child.kill('SIGKILL');
      await exitOf(child);
    },
  };
}

/** Polls GET /ready until 200; resolves the time it took from `since` (performance.now()). */
export async function waitReady(url, since, child, timeoutMs = 30_000) {
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`gateway exited ${child.exitCode}`);
    const ok = await request(`${url}/ready`, { headersTimeout: 2000 }).then(
      async (r) => {
        await r.body.text();
        return r.statusCode === 200;
      },
      () => false,
    );
    if (ok) return performance.now() - since;
    if (performance.now() - since > timeoutMs) throw new Error(`${url}/ready not 200 within ${timeoutMs} ms`);
    await sleep(2);
  }
}

/** `coze-gateway start` as a child process; resolves once /ready answers 200. */
export async function startGateway(env, { cpuProfDir, label = 'gateway' } = {}) {
  const port = await freePort();
  const nodeArgs = cpuProfDir
    ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir, '--cpu-prof-name', `${label}.cpuprofile`]
    : [];
  const t0 = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, MAIN, 'start'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out = (out + d).slice(-20_000)));
  child.stderr.on('data', (d) => (out = (out + d).slice(-20_000)));
  const url = `http://127.0.0.1:${port}`;
  let readyMs;
  try {
    readyMs = await waitReady(url, t0, child);
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${e.message}\n${out}`);
  }
  return {
    url,
    pid: child.pid,
    readyMs,
    output: () => out,
    /** SIGINT lets --cpu-prof write its profile; SIGKILL after `graceMs`. */
    async stop(graceMs = 3000) {
      if (child.exitCode !== null) return;
      child.kill(cpuProfDir ? 'SIGINT' : 'SIGKILL');
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exitOf(child);
      clearTimeout(t);
    },
  };
}

/** The gateway's environment for a ledger: 'sqlite' (memory state) or 'postgres' (+ Redis). */
export class Backends {
  constructor() {
    this.tag = randomBytes(4).toString('hex');
    this.dir = mkdtempSync(join(tmpdir(), 'cg-bench-'));
    this.databases = [];
    this.prefixes = [];
    this.n = 0;
  }

  /** A fresh ledger (and state store) for one gateway. */
  async env(kind) {
    const i = this.n++;
    if (kind === 'sqlite') return { DATABASE_URL: `sqlite:${join(this.dir, `ledger-${i}.db`)}` };
    const name = `cg_bench_${this.tag}_${i}`;
    const c = new pg.Client({ connectionString: PG_ADMIN_URL });
    await c.connect();
    try {
      await c.query(`CREATE DATABASE ${name}`);
    } finally {
      await c.end();
    }
    this.databases.push(name);
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${name}`;
    const prefix = `cgbench:${this.tag}:${i}:`;
    this.prefixes.push(prefix);
    return { DATABASE_URL: url.toString(), REDIS_URL, REDIS_KEY_PREFIX: prefix };
  }

  /** Drops the run's databases and Redis keys, removes its SQLite files. */
  async cleanup() {
    rmSync(this.dir, { recursive: true, force: true });
    if (this.databases.length) {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      for (const name of this.databases)
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await c.end();
    }
    if (this.prefixes.length) {
      const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await r.connect();
      for (const prefix of this.prefixes) {
        let cursor = '0';
        do {
          const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length) await r.del(...keys);
        } while (cursor !== '0');
      }
      await r.quit();
    }
  }
}

export function ensureDir(p) {
  mkdirSync(p, { recursive: true });
  return p;
}
