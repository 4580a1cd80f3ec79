// A burst of concurrent commands on one master, against the server's default MaxSessions (10).
//
//   (Q) the library, default maxSessions (10): Promise.all of N ssh.capture('true'); when half
//       of them have settled, ssh.run('sleep 30', { timeout: 1000 }) is started beside them
//   (x) the peer: the same slave argv run N times by `xargs -P 10` (10 at a time, as the
//       queue does), timed from outside
//   (F) as (Q), but with the slaves forked by this process itself (`child_process.spawn`, the
//       library before its spawn helper): what the helper saves
//   (I) the library with maxSessions: Infinity (no queue), the same burst and timer
//
// Reported for (Q), (F) and (I): refusals (OSSH_SESSION_REFUSED) and other failures, total time,
// commands per second, the event-loop delay (perf_hooks.monitorEventLoopDelay: max and p99)
// during the burst, and when the 1 s timeout fired. Targets for (Q): 0 failures, event-loop
// delay max and p99 <= 100 ms, the timeout fired within +10% or +200 ms, whichever is larger
// (<= 1200 ms). The ratio Q/x compares the library's rate with xargs'.
//
// Usage: npm run bench   (runs every bench/*.mjs in turn)
//   BENCH_BURST=1000  commands in the burst (default 1000)
//
// The run starts its own throwaway sshd (dist/testing) and always disconnects, stops the
// sshd and removes its temp dir, also on SIGINT/SIGTERM/SIGHUP.

import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { nodeEngine, OpenSSH } from '../dist/index.js';
import { benchRun, envInt } from './common.mjs';

const N = envInt('BENCH_BURST', 1000);
const TIMER_MS = 1000;
const TIMER_LIMIT_MS = TIMER_MS + Math.max(TIMER_MS * 0.1, 200);
const DELAY_LIMIT_MS = 100;

const bench = benchRun();

/**
 * nodeEngine, timing the synchronous part of each start: `spawnAsync` (what the command
 * methods use: a helper process forks, see src/run/spawn-helper/) returns at once; a plain
 * `child_process.spawn` (the (S) variant) holds the event loop until the child has exec'd.
 */
const spawnMs = [];
const timed = (fn) => (request) => {
  const t0 = performance.now();
  try {
    return fn(request);
  } finally {
    spawnMs.push(performance.now() - t0);
  }
};
const timedEngine = { spawn: timed(nodeEngine.spawn), spawnAsync: timed(nodeEngine.spawnAsync) };
/** The same without the helper: every slave forked by this process (the library before it). */
const forkingEngine = { spawn: timed(nodeEngine.spawn) };

/**
 * The machine's own noise: an idle Node process measuring its event-loop delay beside the
 * burst. On a loaded machine a process waits for a CPU however little it does; the delay the
 * library adds is what goes beyond this floor. `stop()` resolves with { max, p99 } in ms.
 */
function idlePeer() {
  const script = `
    const { monitorEventLoopDelay } = require('node:perf_hooks');
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    process.stdin.resume();
    process.stdin.on('end', () => {
      h.disable();
      process.stdout.write(JSON.stringify({ max: h.max / 1e6, p99: h.percentile(99) / 1e6 }));
    });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  const closed = new Promise((resolve) => child.once('close', resolve));
  return {
    async stop() {
      child.stdin.end();
      await closed;
      return JSON.parse(out);
    },
  };
}

/** The burst on `ssh`, with the timed run started once half of it has settled. */
async function burst(ssh) {
  const h = monitorEventLoopDelay({ resolution: 10 });
  let settled = 0;
  let timer;
  const startTimer = () => {
    const t0 = performance.now();
    timer = ssh.run('sleep 30', { timeout: TIMER_MS }).then(
      () => ({ ms: performance.now() - t0, error: 'none: the command succeeded' }),
      (e) => ({ ms: performance.now() - t0, error: `${e.name} ${e.code}${e.kind ? ` (${e.kind})` : ''}` }),
    );
  };
  spawnMs.length = 0;
  const peer = idlePeer();
  h.enable();
  // The histogram's first tick only sets its baseline: a block before it would go unseen.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const t0 = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: N }, () =>
      ssh.capture('true').then(
        () => 'ok',
        (e) => e.code ?? e.message,
      ).finally(() => {
        if (++settled === N >> 1) startTimer();
      }),
    ),
  );
  const ms = performance.now() - t0;
  const fired = await timer;
  h.disable();
  const floor = await peer.stop();
  const counts = {};
  for (const o of outcomes) counts[o] = (counts[o] ?? 0) + 1;
  const spawns = [...spawnMs].sort((a, b) => a - b);
  return {
    spawnMedian: spawns[spawns.length >> 1] ?? 0,
    spawnMax: spawns.at(-1) ?? 0,
    ms,
    opsPerS: (N / ms) * 1000,
    refused: counts.OSSH_SESSION_REFUSED ?? 0,
    failed: N - (counts.ok ?? 0),
    counts,
    floor,
    delayMax: h.max / 1e6,
    delayP99: h.percentile(99) / 1e6,
    timer: fired,
  };
}

function report(label, r) {
  const others = Object.entries(r.counts).filter(([k]) => k !== 'ok' && k !== 'OSSH_SESSION_REFUSED');
  console.log(`  ${label}`);
  console.log(`    refused           ${r.refused}${others.length ? `   other failures: ${others.map(([k, v]) => `${k} x${v}`).join(', ')}` : ''}`);
  console.log(`    total             ${(r.ms / 1000).toFixed(2)} s   ${r.opsPerS.toFixed(1)} commands/s`);
  console.log(`    event-loop delay  max ${r.delayMax.toFixed(1)} ms   p99 ${r.delayP99.toFixed(1)} ms   (an idle Node process beside it: max ${r.floor.max.toFixed(1)} ms, p99 ${r.floor.p99.toFixed(1)} ms)`);
  console.log(`    starting a slave holds the event loop: median ${r.spawnMedian.toFixed(2)} ms, max ${r.spawnMax.toFixed(1)} ms`);
  console.log(`    1 s timeout       fired after ${r.timer.ms.toFixed(0)} ms (${r.timer.error})`);
}

await bench.finish(async () => {
  const started = await bench.start();
  if (!started) return true;
  const { server } = started;
  // Connections with the spawn-timing engine: the default maxSessions (10), and Infinity.
  const connect = (extra) => OpenSSH.connect(server.target(), { ...server.connectOptions(), engine: timedEngine, ...extra });
  let q;
  let f;
  let xMs;
  let i;
  const ssh = await connect({});
  try {
    await ssh.capture('true'); // warm up
    const argv = await ssh.makeRemoteCommand('true');
    q = await burst(ssh);
    if (bench.interrupted) return true;
    xMs = await bench.timeBash('seq "$1" | xargs -P 10 -I{} "${@:2}"', [String(N), ...argv]);
    if (bench.interrupted) return true;
  } finally {
    await ssh.disconnect();
  }
  const forking = await connect({ engine: forkingEngine });
  try {
    await forking.capture('true');
    f = await burst(forking);
    if (bench.interrupted) return true;
  } finally {
    await forking.disconnect();
  }
  const inf = await connect({ maxSessions: Number.POSITIVE_INFINITY });
  try {
    await inf.capture('true');
    i = await burst(inf);
  } finally {
    await inf.disconnect();
  }

  const cpu = cpus();
  console.log(`openssh-mux burst: ${N} concurrent capture('true') on one master, sshd MaxSessions 10 (default)`);
  console.log(`  CPU     : ${cpu.length} x ${cpu[0]?.model?.trim() ?? '?'} (load avg at end ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
  console.log('');
  report('(Q) maxSessions 10 (default)', q);
  console.log(`  (x) xargs -P 10, the same argv`);
  console.log(`    total             ${(xMs / 1000).toFixed(2)} s   ${((N / xMs) * 1000).toFixed(1)} commands/s`);
  report('(F) as (Q), but this process forks every slave itself (child_process.spawn, no helper)', f);
  report('(I) maxSessions Infinity (no queue)', i);
  console.log('');
  const ratio = (q.opsPerS * xMs) / 1000 / N;
  console.log(`  rate Q/x ${ratio.toFixed(3)}   rate I/Q ${(i.opsPerS / q.opsPerS).toFixed(3)}   rate Q/F ${(q.opsPerS / f.opsPerS).toFixed(3)}`);
  const checks = [
    [`(Q) no command failed (refused ${q.refused}, failed ${q.failed})`, q.failed === 0],
    [`(Q) event-loop delay max ${q.delayMax.toFixed(1)} ms and p99 ${q.delayP99.toFixed(1)} ms <= ${DELAY_LIMIT_MS} ms`, q.delayMax <= DELAY_LIMIT_MS && q.delayP99 <= DELAY_LIMIT_MS],
    [`(Q) the 1 s timeout fired after ${q.timer.ms.toFixed(0)} ms <= ${TIMER_LIMIT_MS} ms`, q.timer.ms <= TIMER_LIMIT_MS && /TimeoutError/.test(q.timer.error)],
  ];
  for (const [what, ok] of checks) console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${what}`);
  return checks.every(([, ok]) => ok);
});
