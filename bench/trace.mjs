// What tracing (node:diagnostics_channel, src/trace) costs per command.
//
//   wrapper     traceCommand() around a command that is already done (no process): ns per
//               call with nobody subscribed (the five hasSubscribers reads) and with a no-op
//               subscriber on the five events (context object, tracePromise, publishes)
//   per-op      await capture('true') on the spawn and mux engines, interleaved rounds:
//               median ms with nobody subscribed vs a subscriber that builds one JSON line
//               per asyncEnd (the docs/observability.md example, written nowhere)
//
// Usage: node bench/trace.mjs after npm run build (also chained by npm run bench).
//   BENCH_TRACE_N=200        per-op iterations per variant and engine (after 20 of warm-up)
//   BENCH_TRACE_CALLS=100000 wrapper calls per variant and repetition (7 interleaved repetitions)
// Reports what it measured; no pass/fail thresholds (the machine may be shared).

import { tracingChannel } from 'node:diagnostics_channel';
import { loadavg } from 'node:os';
import { OpenSSH } from '../dist/index.js';
import { traceCommand } from '../dist/trace/command.js';
import { benchRun, envInt, median } from './common.mjs';

const N = envInt('BENCH_TRACE_N', 200);
const CALLS = envInt('BENCH_TRACE_CALLS', 100_000);
const WARMUP = 20;
const ROUNDS = 10;

const channel = tracingChannel('openssh-mux:command');
const noop = { start() {}, end() {}, asyncStart() {}, asyncEnd() {}, error() {} };
const jsonLines = {
  start() {},
  end() {},
  asyncStart() {},
  error() {},
  asyncEnd(ctx) {
    // What a JSON-lines logger does, minus the write.
    JSON.stringify({ host: ctx.host, command: ctx.command, engine: ctx.engine, exitCode: ctx.exitCode, durationMs: ctx.durationMs, errorCode: ctx.errorCode });
  },
};

async function wrapper(variant) {
  const subscribed = variant === 'subscribed';
  if (subscribed) channel.subscribe(noop);
  const result = Promise.resolve({ exitCode: 0 });
  const started = { result };
  const start = () => Promise.resolve(started);
  // 'bare': the command started without the wrapper, the baseline of the other two.
  const call = variant === 'bare' ? start : () => traceCommand('h', undefined, 'true', start);
  try {
    for (let i = 0; i < 10_000; i++) await call();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i++) await call();
    return Number(process.hrtime.bigint() - t0) / CALLS;
  } finally {
    if (subscribed) channel.unsubscribe(noop);
  }
}

async function perOp(ssh) {
  const times = { off: [], on: [] };
  for (let i = 0; i < WARMUP; i++) await ssh.capture('true');
  const per = Math.ceil(N / ROUNDS);
  for (let r = 0; r < ROUNDS; r++) {
    for (const variant of r % 2 ? ['on', 'off'] : ['off', 'on']) {
      if (variant === 'on') channel.subscribe(jsonLines);
      try {
        for (let i = 0; i < per; i++) {
          const t0 = performance.now();
          await ssh.capture('true');
          times[variant].push(performance.now() - t0);
        }
      } finally {
        if (variant === 'on') channel.unsubscribe(jsonLines);
      }
    }
  }
  return { off: median(times.off), on: median(times.on), n: times.off.length };
}

const run = benchRun();
run.finish(async () => {
  console.log(`load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  // Interleaved repetitions, the median of each: the machine may be busy.
  const reps = { bare: [], off: [], subscribed: [] };
  for (let r = 0; r < 7; r++) for (const v of Object.keys(reps)) reps[v].push(await wrapper(v));
  const [bare, off, on] = [median(reps.bare), median(reps.off), median(reps.subscribed)];
  console.log(
    `wrapper: without it ${bare.toFixed(0)} ns/call, nobody subscribed ${off.toFixed(0)} ns/call (+${(off - bare).toFixed(0)} ns), ` +
      `no-op subscriber ${on.toFixed(0)} ns/call (+${(on - bare).toFixed(0)} ns); ${CALLS} calls each, an already-settled command`,
  );
  const started = await run.start();
  if (!started) return;
  const { server, ssh } = started;
  const mux = await OpenSSH.connect(server.target(), { ...server.connectOptions(), engine: 'mux' });
  try {
    for (const [name, s] of [['spawn', ssh], ['mux', mux]]) {
      const r = await perOp(s);
      const delta = r.on - r.off;
      console.log(`per-op ${name}: median ${r.off.toFixed(3)} ms without a subscriber, ${r.on.toFixed(3)} ms with a JSON-lines subscriber (${delta >= 0 ? '+' : ''}${(delta * 1000).toFixed(0)} µs; n=${r.n} each)`);
    }
  } finally {
    await mux.disconnect();
  }
  console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
});
