// A burst of concurrent commands on one master, against the server's default MaxSessions (10).
//
//   (Q) the library, default maxSessions (10): Promise.all of N ssh.capture('true'); when half
//       of them have settled, ssh.run('sleep 30', { timeout: 1000 }) is started beside them
//   (x) the peer: the same slave argv run N times by `xargs -P 10` (10 at a time, as the
//       queue does), timed from outside
//   (I) the library with maxSessions: Infinity (no queue), the same burst and timer
//
// Reported for (Q) and (I): refusals (OSSH_SESSION_REFUSED) and other failures, total time,
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

import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { OpenSSH } from '../dist/index.js';
import { benchRun, envInt } from './common.mjs';

const N = envInt('BENCH_BURST', 1000);
const TIMER_MS = 1000;
const TIMER_LIMIT_MS = TIMER_MS + Math.max(TIMER_MS * 0.1, 200);
const DELAY_LIMIT_MS = 100;

const bench = benchRun();

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
  h.enable();
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
  const counts = {};
  for (const o of outcomes) counts[o] = (counts[o] ?? 0) + 1;
  return {
    ms,
    opsPerS: (N / ms) * 1000,
    refused: counts.OSSH_SESSION_REFUSED ?? 0,
    failed: N - (counts.ok ?? 0),
    counts,
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
  console.log(`    event-loop delay  max ${r.delayMax.toFixed(1)} ms   p99 ${r.delayP99.toFixed(1)} ms`);
  console.log(`    1 s timeout       fired after ${r.timer.ms.toFixed(0)} ms (${r.timer.error})`);
}

await bench.finish(async () => {
  const started = await bench.start();
  if (!started) return true;
  const { server, ssh } = started;
  await ssh.capture('true'); // warm up

  const argv = await ssh.makeRemoteCommand('true');
  const q = await burst(ssh);
  if (bench.interrupted) return true;
  const xMs = await bench.timeBash('seq "$1" | xargs -P 10 -I{} "${@:2}"', [String(N), ...argv]);
  if (bench.interrupted) return true;
  const inf = await OpenSSH.connect(server.target(), { ...server.connectOptions(), maxSessions: Number.POSITIVE_INFINITY });
  let i;
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
  report('(I) maxSessions Infinity (no queue)', i);
  console.log('');
  const ratio = (q.opsPerS * xMs) / 1000 / N;
  console.log(`  rate Q/x ${ratio.toFixed(3)}   rate I/Q ${(i.opsPerS / q.opsPerS).toFixed(3)}`);
  const checks = [
    [`(Q) no command failed (refused ${q.refused}, failed ${q.failed})`, q.failed === 0],
    [`(Q) event-loop delay max ${q.delayMax.toFixed(1)} ms and p99 ${q.delayP99.toFixed(1)} ms <= ${DELAY_LIMIT_MS} ms`, q.delayMax <= DELAY_LIMIT_MS && q.delayP99 <= DELAY_LIMIT_MS],
    [`(Q) the 1 s timeout fired after ${q.timer.ms.toFixed(0)} ms <= ${TIMER_LIMIT_MS} ms`, q.timer.ms <= TIMER_LIMIT_MS && /TimeoutError/.test(q.timer.error)],
  ];
  for (const [what, ok] of checks) console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${what}`);
  return checks.every(([, ok]) => ok);
});
