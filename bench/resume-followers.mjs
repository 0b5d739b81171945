// Measures what resumes of a turn running on another instance cost the database (issue 12,
// finding 7): two gateway processes (dist/cli/main.js) on one PostgreSQL and one Redis, a long
// turn on A, then N resumes of it on B; PostgreSQL's transactions per second (pg_stat_database
// xact_commit deltas of the run's own database) with the turn running alone, then with the
// resumes open. Not a test: it prints numbers. Build first (`npm run build`).
//
//   node bench/resume-followers.mjs [followers=200] [seconds=10]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const FOLLOWERS = Number(process.argv[2] ?? 200);
const SECONDS = Number(process.argv[3] ?? 10);
const ADMIN = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const name = `cg_follow_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: ADMIN });
await admin.connect();
await admin.query(`create database ${name}`);
const dbUrl = Object.assign(new URL(ADMIN), { pathname: `/${name}` }).href;

const env = {
  PATH: process.env.PATH,
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'info',
  // No Coze credential: each instance answers with its built-in simulator, 10 words a second.
  SIMULATOR_DELTA_DELAY_MS: '100',
  DATABASE_URL: dbUrl,
  REDIS_URL: REDIS,
  REDIS_KEY_PREFIX: `cg-follow-${randomBytes(4).toString('hex')}:`,
  RATE_LIMIT_USER: '100000/100000',
  RATE_LIMIT_IP: '100000/100000',
  RATE_LIMIT_SESSIONS_PER_IP: '100000/100000',
  MAX_STREAMS_PER_USER: '100000',
  MAX_STREAMS_PER_ADDRESS: '100000',
};

function gateway() {
  const child = spawn(process.execPath, ['dist/cli/main.js', 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(out)), 20_000);
    child.stdout.on('data', () => {
      const m = /listening on (http:\/\/[\d.:]+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve({ child, url: m[1] });
      }
    });
  });
}

const a = await gateway();
const b = await gateway();
const stats = new pg.Client({ connectionString: dbUrl });
await stats.connect();
async function commits() {
  await stats.query('select pg_stat_clear_snapshot()');
  const r = await stats.query('select xact_commit from pg_stat_database where datname = $1', [name]);
  return Number(r.rows[0].xact_commit);
}
async function rate(label) {
  // Backends report their counts when idle, at most once a second: let the window settle.
  const c0 = await commits();
  const t0 = Date.now();
  await sleep(SECONDS * 1000);
  const c1 = await commits();
  const perSecond = (c1 - c0) / ((Date.now() - t0) / 1000);
  console.log(`${label}: ${perSecond.toFixed(1)} transactions/s (${c1 - c0} in ${SECONDS} s)`);
}

try {
  const session = await (await fetch(`${a.url}/v1/sessions/visitor`, { method: 'POST' })).json();
  const auth = { authorization: `Bearer ${session.token}` };
  await sleep(3000);
  await rate('idle (two instances, nothing running)');
  // A turn long enough for both windows: 10 words a second.
  const words = (SECONDS * 3 + 45) * 10;
  const res = await fetch(`${a.url}/v1/chat/stream`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ message: `#long ${words}` }),
  });
  const reader = res.body.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  const turnId = /"turn_id":"(tn_[^"]+)"/.exec(first)[1];
  void (async () => {
    while (!(await reader.read()).done);
  })();
  await sleep(12_000);
  await rate('one turn running on A, no resumes');
  const ac = new AbortController();
  const opened = await Promise.all(
    Array.from({ length: FOLLOWERS }, () =>
      fetch(`${b.url}/v1/turns/${turnId}/events`, {
        headers: { ...auth, 'last-event-id': '1' },
        signal: ac.signal,
      }).then(
        (r) => {
          if (r.status !== 200) return r.text().then((t) => `${r.status} ${t}`);
          const rd = r.body.getReader();
          void (async () => {
            try {
              while (!(await rd.read()).done);
            } catch {}
          })();
          return 200;
        },
        (err) => String(err.cause ?? err),
      ),
    ),
  );
  const statuses = {};
  for (const s of opened) statuses[s] = (statuses[s] ?? 0) + 1;
  console.log(`resumes of the turn on B, by status: ${JSON.stringify(statuses)}`);
  // The resumes' own reads (one each, checking the turn is the caller's) reach the statistics
  // within PostgreSQL's idle flush interval (10 s): measure after it.
  await sleep(12_000);
  await rate(`the same turn with ${FOLLOWERS} resumes of it on B`);
  ac.abort();
} finally {
  await stats.end();
  a.child.kill('SIGTERM');
  b.child.kill('SIGTERM');
  await Promise.all([a, b].map((g) => new Promise((r) => g.child.once('exit', r))));
  await admin.query(`drop database ${name}`);
  await admin.end();
}
