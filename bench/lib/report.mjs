// Figures from raw samples, and the report: a markdown page and an SVG plot (hand-written).

/** The q-quantile (0..1) of samples, nearest rank. */
export function quantile(samples, q) {
  if (!samples.length) return NaN;
  const s = Float64Array.from(samples).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

export function summarize(r, meta) {
  const row = {
    ...meta,
    turns: r.turns,
    throughput: (r.turns / r.elapsedMs) * 1000,
    latency: { p50: quantile(r.total, 0.5), p99: quantile(r.total, 0.99) },
    ttfd: { p50: quantile(r.ttfd, 0.5), p99: quantile(r.ttfd, 0.99) },
    errors: r.errors,
  };
  if (meta.cpuSeconds !== undefined && r.turns > 0) row.cpuPer1000 = (meta.cpuSeconds / r.turns) * 1000;
  return row;
}

const f = (x, d = 1) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(d));
const errs = (e) =>
  Object.keys(e ?? {}).length
    ? Object.entries(e)
        .map(([k, v]) => `${k}×${v}`)
        .join(', ')
    : '0';

/** Derived figures: the gateway against direct (added first delta) and nginx (throughput). */
export function derive(results) {
  const by = (rows, name, c) => rows.find((r) => r.name === name && r.concurrency === c);
  for (const rows of [results.stream, results.paced, results.sync]) {
    for (const r of rows) {
      const direct = by(rows, 'direct', r.concurrency);
      const nginx = by(rows, 'nginx', r.concurrency);
      if (r.name !== 'direct' && direct) {
        r.addedTtfd = { p50: r.ttfd.p50 - direct.ttfd.p50, p99: r.ttfd.p99 - direct.ttfd.p99 };
        r.addedLatency = { p50: r.latency.p50 - direct.latency.p50, p99: r.latency.p99 - direct.latency.p99 };
      }
      if (nginx) r.ofNginx = r.throughput / nginx.throughput;
    }
  }
}

/** Each target of the issue with its figure and whether it is met. */
export function targets(results) {
  const out = [];
  const at100 = results.stream.filter((r) => r.concurrency === 100 && r.name.startsWith('gw-'));
  const paced = results.paced.filter((r) => r.name.startsWith('gw-'));
  // The Node.js proxy's figures: the least any Node.js gateway adds, for comparison.
  const nodePaced = results.paced.find((r) => r.name === 'node');
  const nodeAt100 = results.stream.find((r) => r.name === 'node' && r.concurrency === 100);
  for (const r of paced) {
    const sat = at100.find((x) => x.name === r.name);
    const also = (k) =>
      (sat?.addedTtfd ? ` (saturated closed loop: ${f(sat.addedTtfd[k], 1)} ms)` : '') +
      (nodePaced?.addedTtfd ? ` (Node.js proxy: ${f(nodePaced.addedTtfd[k], 2)} ms)` : '');
    out.push({
      target: `added time to first delta p50 ≤ 1 ms at 100 streams — ${r.target}`,
      figure: `${f(r.addedTtfd?.p50, 2)} ms${also('p50')}`,
      met: r.addedTtfd?.p50 <= 1,
    });
    out.push({
      target: `added time to first delta p99 ≤ 5 ms at 100 streams — ${r.target}`,
      figure: `${f(r.addedTtfd?.p99, 2)} ms${also('p99')}`,
      met: r.addedTtfd?.p99 <= 5,
    });
  }
  for (const r of at100) {
    out.push({
      target: `streamed-chat throughput ≥ 0.7 × nginx (ledger on), 100 streams — ${r.target}`,
      figure:
        r.ofNginx === undefined
          ? 'nginx missing'
          : `${f(r.ofNginx, 2)} × nginx${nodeAt100?.ofNginx ? ` (Node.js proxy: ${f(nodeAt100.ofNginx, 2)})` : ''}`,
      met: r.ofNginx >= 0.7,
    });
  }
  const biggest = {};
  for (const o of results.open) {
    const k = `${o.target}, ${o.upstream ?? 'HTTP/1.1'} to Coze`;
    if (!biggest[k] || o.streams > biggest[k].streams) biggest[k] = { ...o, key: k };
  }
  for (const o of Object.values(biggest)) {
    out.push({
      target: `≤ 50 KB RSS per idle open stream at 10,000 streams — ${o.key}`,
      figure: `${f(o.perStreamKB, 1)} KB at ${o.streams} streams`,
      met:
        o.perStreamKB <= 50 && o.streams >= 10_000
          ? true
          : o.perStreamKB <= 50
            ? 'met at the measured count'
            : false,
    });
  }
  for (const c of results.cold) {
    out.push({
      target: `cold start ≤ 500 ms — ${c.target}`,
      figure: `${f(c.medianMs, 0)} ms (median)`,
      met: c.medianMs <= 500,
    });
  }
  return out;
}

export function renderMarkdown(results) {
  derive(results);
  const m = results.machine;
  const c = results.config;
  const L = [];
  L.push(`# coze-gateway bench results${c.quick ? ' (quick run)' : ''}`);
  L.push('');
  L.push(
    `${m.date} · ${m.nproc} cores (${m.cpu}) · ${m.memoryGiB} GiB · node ${m.node} · ${m.nginx ?? 'nginx missing'} · ` +
      `fd limit ${m.fdLimit} · load average at start ${m.loadAverageAtStart.join(' ')} · run took ${f(results.durationSeconds, 0)} s`,
  );
  L.push('');
  L.push(
    `Load client, simulator, nginx, the Node.js proxy and gateway share the machine (loopback). The Node.js proxy (bench/node-proxy.mjs) passes bytes through on node:http + undici and does nothing else: the floor of any Node.js gateway. Workload: every turn asks \`${c.message}\` ` +
      `(a fixed ~125-character answer in ${c.chunkChars}-character deltas, ${c.deltaDelayMs} ms apart, no think time); ` +
      `closed loop, ${c.warmupMs} ms warm-up then ${c.durationMs} ms measured per row. See bench/README.md for the columns.`,
  );
  for (const n of results.notes) L.push('', `> ${n}`);

  const table = (title, rows, stream) => {
    if (!rows.length) return;
    L.push('', `## ${title}`, '');
    L.push(
      stream
        ? '| target | streams | turns/s | × nginx | answer p50 ms | answer p99 ms | first delta p50 ms | first delta p99 ms | added first delta p50 / p99 ms | CPU s / 1000 turns | errors |'
        : '| target | concurrency | turns/s | × nginx | answer p50 ms | answer p99 ms | added p50 / p99 ms | CPU s / 1000 turns | errors |',
    );
    L.push(
      stream ? '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|' : '|---|--:|--:|--:|--:|--:|--:|--:|--:|',
    );
    for (const r of rows) {
      const cells = [
        r.target,
        r.concurrency,
        f(r.throughput, 0),
        f(r.ofNginx, 2),
        f(r.latency.p50, 1),
        f(r.latency.p99, 1),
      ];
      if (stream) {
        cells.push(
          f(r.ttfd.p50, 2),
          f(r.ttfd.p99, 2),
          r.addedTtfd ? `${f(r.addedTtfd.p50, 2)} / ${f(r.addedTtfd.p99, 2)}` : '–',
        );
      } else cells.push(r.addedLatency ? `${f(r.addedLatency.p50, 1)} / ${f(r.addedLatency.p99, 1)}` : '–');
      cells.push(f(r.cpuPer1000, 2), errs(r.errors));
      L.push(`| ${cells.join(' | ')} |`);
    }
  };
  table(
    'Streamed chat (POST /v1/chat/stream; direct and nginx: POST /v3/chat stream:true)',
    results.stream,
    true,
  );
  table(
    `Streamed chat, paced: ${c.pacedConcurrency} streams, \`${c.pacedMessage}\` answers, ${c.pacedDeltaDelayMs} ms between deltas (first-delta target read here)`,
    results.paced,
    true,
  );
  table(
    'Sync chat (POST /v1/chat; direct and nginx: the same upstream stream read to its end)',
    results.sync,
    false,
  );
  L.push(
    '',
    'CPU s / 1000 turns: user+system CPU of the serving process over the window (direct: the simulator; nginx: its worker; Node.js proxy: its process; gateway: the gateway, not the simulator behind it).',
  );

  if (results.open.length) {
    L.push('', '## Open idle streams (RSS of the gateway process)', '');
    L.push(
      '| target | to Coze | streams open | time to open | gateway CPU s to open | RSS before MiB | RSS open MiB | KB per stream | JS heap used MiB | errors |',
    );
    L.push('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|');
    for (const o of results.open)
      L.push(
        `| ${o.target} | ${o.upstream ?? 'HTTP/1.1'}${o.cozeConnections ? ` (${o.cozeConnections.http1 + o.cozeConnections.http2} connections)` : ''} | ${o.streams} | ${f(o.openMs / 1000, 1)} s | ${f(o.openCpuSeconds?.gateway, 1)} | ${f(o.rssBeforeMiB, 0)} | ${f(o.rssOpenMiB, 0)} | ${f(o.perStreamKB, 1)} | ${f(o.heapUsedMiB, 0)} | ${errs(o.errors)} |`,
      );
  }
  if (results.cold.length) {
    L.push('', '## Cold start (spawn of `node …/cli/main.js start` to GET /ready 200)', '');
    L.push('| target | median ms | runs ms | first start (migrations) ms |');
    L.push('|---|--:|--:|--:|');
    for (const r of results.cold)
      L.push(
        `| ${r.target} | ${f(r.medianMs, 0)} | ${r.runsMs.map((x) => f(x, 0)).join(', ')} | ${f(r.firstStartMs, 0)} |`,
      );
  }
  if (results.storm.length) {
    L.push(
      '',
      `## Token-exchange storm (${results.storm[0].users} new users, first message at once, OAuth JWT app)`,
      '',
    );
    L.push(
      '| target | answered | first delta p50 / p99 ms | answer p50 / p99 ms | token exchanges | gateway CPU s | errors |',
    );
    L.push('|---|--:|--:|--:|--:|--:|--:|');
    for (const r of results.storm)
      L.push(
        `| ${r.target} | ${r.ok}/${r.users} | ${f(r.firstDelta.p50, 0)} / ${f(r.firstDelta.p99, 0)} | ${f(r.answer.p50, 0)} / ${f(r.answer.p99, 0)} | ${r.exchanges} | ${f(r.cpuSeconds, 2)} | ${errs(r.errors)} |`,
      );
  }
  if (results.recovery) {
    const r = results.recovery;
    L.push('', '## Recovery after Coze comes back', '');
    L.push(
      `Coze (the simulator) answers 502 to everything until the circuit has opened (BREAKER_THRESHOLD=${r.breaker.threshold}, ` +
        `BREAKER_COOLDOWN_MS=${r.breaker.cooldownMs}); one user sends a message every 20 ms. Time from the faults' reset to the first completed answer: ` +
        `**median ${f(r.medianMs, 0)} ms, max ${f(r.maxMs, 0)} ms** (runs: ${r.runs.map((x) => f(x.recoveryMs, 0)).join(', ')} ms). ` +
        'It is bounded by the cooldown left when Coze heals plus one answer.',
    );
  }
  const t = targets(results);
  if (t.length) {
    L.push('', '## Targets', '');
    L.push('| target | measured | met |');
    L.push('|---|--:|:-:|');
    for (const x of t)
      L.push(
        `| ${x.target} | ${x.figure} | ${x.met === true ? 'yes' : x.met === false ? '**no**' : x.met} |`,
      );
  }
  L.push('');
  return L.join('\n');
}

const COLORS = { direct: '#555555', nginx: '#1f77b4', node: '#9467bd', 'gw-sqlite': '#d62728', 'gw-postgres': '#2ca02c' };
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** Two panels against concurrency (log x): time to first delta p50/p99, and throughput. */
export function renderSvg(results) {
  const rows = results.stream;
  const W = 900;
  const H = 450;
  const panelW = 380;
  const panelH = 300;
  const top = 60;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">coze-gateway streamed chat vs concurrency (${esc(results.machine.nproc)} cores, node ${esc(results.machine.node)}, ${esc(results.machine.date.slice(0, 10))})</text>`,
  ];
  if (!rows.length) return `${out.join('\n')}\n</svg>\n`;
  const levels = [...new Set(rows.map((r) => r.concurrency))].sort((a, b) => a - b);
  const names = [...new Set(rows.map((r) => r.name))];
  const lx = (c, x0) => {
    const a = Math.log10(levels[0]);
    const b = Math.log10(levels.at(-1));
    return x0 + (b === a ? panelW / 2 : ((Math.log10(c) - a) / (b - a)) * panelW);
  };
  const panel = (x0, title, yLabel, series, logY = false) => {
    const values = series
      .flatMap((s) => s.points.map((p) => p[1]))
      .filter((v) => Number.isFinite(v) && (!logY || v > 0));
    const max = logY
      ? 10 ** Math.ceil(Math.log10(Math.max(...values, 1)))
      : niceMax(Math.max(...values, 0.001));
    const min = logY ? 10 ** Math.floor(Math.log10(Math.min(...values, max / 10))) : 0;
    const y = logY
      ? (v) =>
          top +
          panelH -
          ((Math.log10(Math.max(v, min)) - Math.log10(min)) / (Math.log10(max) - Math.log10(min))) * panelH
      : (v) => top + panelH - (v / max) * panelH;
    const ticks = logY
      ? Array.from({ length: Math.round(Math.log10(max / min)) + 1 }, (_, i) => min * 10 ** i)
      : Array.from({ length: 6 }, (_, i) => (max / 5) * i);
    out.push(
      `<text x="${x0 + panelW / 2}" y="${top - 12}" text-anchor="middle" font-size="13">${esc(title)}</text>`,
    );
    out.push(`<rect x="${x0}" y="${top}" width="${panelW}" height="${panelH}" fill="none" stroke="#999"/>`);
    for (const v of ticks) {
      out.push(`<line x1="${x0}" x2="${x0 + panelW}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`);
      out.push(`<text x="${x0 - 6}" y="${y(v) + 4}" text-anchor="end">${esc(fmt(v))}</text>`);
    }
    for (const c of levels) {
      out.push(
        `<line x1="${lx(c, x0)}" x2="${lx(c, x0)}" y1="${top}" y2="${top + panelH}" stroke="#f3f3f3"/>`,
      );
      out.push(`<text x="${lx(c, x0)}" y="${top + panelH + 16}" text-anchor="middle">${c}</text>`);
    }
    out.push(
      `<text x="${x0 + panelW / 2}" y="${top + panelH + 34}" text-anchor="middle">concurrent streams (log)</text>`,
    );
    out.push(
      `<text transform="translate(${x0 - 42} ${top + panelH / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
    );
    for (const s of series) {
      const pts = s.points.filter((p) => Number.isFinite(p[1]));
      if (!pts.length) continue;
      out.push(
        `<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ' stroke-dasharray="5 4"' : ''} points="${pts.map(([c, v]) => `${lx(c, x0).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`,
      );
      for (const [c, v] of pts)
        out.push(`<circle cx="${lx(c, x0).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" fill="${s.color}"/>`);
    }
  };
  const series = (key, q, dash) =>
    names.map((n) => ({
      color: COLORS[n] ?? '#000',
      dash,
      points: levels.map((c) => {
        const r = rows.find((x) => x.name === n && x.concurrency === c);
        return [c, r ? (q ? r[key][q] : r[key]) : NaN];
      }),
    }));
  panel(
    70,
    'time to first delta: p50 (solid), p99 (dashed)',
    'ms (log)',
    [...series('ttfd', 'p50', false), ...series('ttfd', 'p99', true)],
    true,
  );
  panel(510, 'throughput', 'turns/s', series('throughput', null, false));
  let lxp = 70;
  for (const n of names) {
    const label = rows.find((r) => r.name === n).target;
    out.push(`<rect x="${lxp}" y="${H - 18}" width="14" height="4" fill="${COLORS[n] ?? '#000'}"/>`);
    out.push(`<text x="${lxp + 20}" y="${H - 12}">${esc(label)}</text>`);
    lxp += 40 + label.length * 7;
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function niceMax(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function fmt(v) {
  return v >= 10 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(2);
}
