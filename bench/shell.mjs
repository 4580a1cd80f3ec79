// Per-command latency of a shell session (ssh.shell()) against its floor and its peers.
//
//   (S)  session builtin:   await sh.capture('true')
//   (S2) session fork+exec: await sh.capture('/bin/true')
//   (F)  raw floor:         a bare Node loop over ONE `ssh -S ... /bin/sh` (the same slave argv
//                           the session uses) writing `echo x; echo MARK` and reading stdout up
//                           to MARK: the least any framing over this channel can cost
//   (F2) raw floor, exec:   the same loop with `/bin/true; echo MARK`
//   (P)  spawn engine:      await ssh.capture('true'), a new `ssh -S` slave per command
//   (M)  mux engine:        await ssh.capture('true', { engine: 'mux' }), a new channel per command
//   (X)  ssh2 exec:         one ssh2 connection (setNoDelay on), a new exec channel per command
//
// Targets (ratios measured in this run): (S) <= 0.5 ms per op, (S) <= 1.5x (F), (P) >= 20x (S).
//
// Usage: npm run bench    (builds, then runs every bench file)
//   BENCH_SHELL_N=2000   measured ops per fast variant (default 2000; 1/20 of it for P, M and X)
//   BENCH_JSON=path      also write the numbers as JSON to that path

import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import { envInt, median, benchRun } from './common.mjs';

const N = envInt('BENCH_SHELL_N', 2000);
const SLOW_N = Math.max(20, Math.round(N / 20));
const ROUNDS = 10;
const TARGET_MS = 0.5;
const TARGET_FLOOR_RATIO = 1.5;
const TARGET_SPAWN_RATIO = 20;

/** A raw sh over one slave: write `script`, resolve when stdout has shown MARK. */
async function rawFloor(ssh) {
  const argv = await ssh.makeRemoteCommand(['/bin/sh']);
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'ignore'] });
  let pending = '';
  let waiter;
  child.stdout.setEncoding('latin1');
  child.stdout.on('data', (c) => {
    pending += c;
    const at = pending.indexOf('MARK\n');
    if (at !== -1 && waiter) {
      pending = pending.slice(at + 5);
      const w = waiter;
      waiter = undefined;
      w();
    }
  });
  return {
    op(script) {
      return new Promise((resolve) => {
        waiter = resolve;
        child.stdin.write(`${script}; echo MARK\n`);
      });
    },
    close() {
      child.stdin.end();
      return new Promise((r) => child.once('close', r));
    },
  };
}

/** One ssh2 connection; op() runs `true` on a new exec channel. */
async function ssh2Client(server, user) {
  const client = new ssh2.Client();
  const hostKey = Buffer.from(server.hostKey.split(/\s+/)[1], 'base64');
  await new Promise((resolve, reject) => {
    client.once('ready', resolve).once('error', reject);
    client.connect({
      host: server.host,
      port: server.port,
      username: user,
      privateKey: readFileSync(server.keyPath),
      hostVerifier: (key) => Buffer.compare(key, hostKey) === 0,
    });
  });
  client.setNoDelay(true);
  return {
    op() {
      return new Promise((resolve, reject) => {
        client.exec('true', (err, stream) => {
          if (err) return reject(err);
          stream.on('close', resolve).resume();
          stream.stderr.resume();
        });
      });
    },
    close() {
      client.end();
    },
  };
}

/** Time `n` sequential calls of `op`; returns per-op ms samples (one per call). */
async function timeOps(op, n) {
  const xs = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await op();
    xs.push(performance.now() - t0);
  }
  return xs;
}

const run = benchRun();
run.finish(async () => {
  const started = await run.start();
  if (!started) return true;
  const { server, ssh } = started;
  const user = server.users[0].name;
  const sh = await ssh.shell();
  const floor = await rawFloor(ssh);
  const peer = await ssh2Client(server, user);
  run.onCleanup(() => {
    peer.close();
  });
  try {
    const variants = {
      S: { n: N, op: () => sh.capture('true') },
      S2: { n: N, op: () => sh.capture('/bin/true') },
      F: { n: N, op: () => floor.op('echo x') },
      F2: { n: N, op: () => floor.op('/bin/true') },
      P: { n: SLOW_N, op: () => ssh.capture('true') },
      M: { n: SLOW_N, op: () => ssh.capture('true', { engine: 'mux' }) },
      X: { n: SLOW_N, op: () => peer.op() },
    };
    const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
    // Warm-up, then interleaved rounds so that drift hits every variant alike.
    for (const v of Object.values(variants)) await timeOps(v.op, Math.min(20, v.n));
    for (let r = 0; r < ROUNDS && !run.interrupted; r++) {
      for (const [k, v] of Object.entries(variants)) samples[k].push(...(await timeOps(v.op, Math.ceil(v.n / ROUNDS))));
    }
    const med = Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, median(xs)]));
    const label = {
      S: "session capture('true')",
      S2: "session capture('/bin/true')",
      F: 'raw floor (echo x; echo MARK)',
      F2: 'raw floor (/bin/true; echo MARK)',
      P: "ssh.capture('true') spawn engine",
      M: "ssh.capture('true') mux engine",
      X: 'ssh2 exec true (setNoDelay)',
    };
    console.log(`\nshell session latency, median ms per op (${N} ops per fast variant, ${SLOW_N} for P, M and X)`);
    for (const k of Object.keys(variants)) console.log(`  ${k.padEnd(3)} ${label[k].padEnd(36)} ${med[k].toFixed(3)} ms`);
    const ratios = {
      builtinMs: med.S,
      builtinVsFloor: med.S / med.F,
      execVsFloor: med.S2 / med.F2,
      spawnVsBuiltin: med.P / med.S,
      muxVsBuiltin: med.M / med.S,
      ssh2VsBuiltin: med.X / med.S,
      spawnVsExec: med.P / med.S2,
    };
    const checks = [
      [`S <= ${TARGET_MS} ms per op`, ratios.builtinMs <= TARGET_MS, `${ratios.builtinMs.toFixed(3)} ms`],
      [`S <= ${TARGET_FLOOR_RATIO}x F`, ratios.builtinVsFloor <= TARGET_FLOOR_RATIO, `${ratios.builtinVsFloor.toFixed(2)}x`],
      [`P >= ${TARGET_SPAWN_RATIO}x S`, ratios.spawnVsBuiltin >= TARGET_SPAWN_RATIO, `${ratios.spawnVsBuiltin.toFixed(1)}x`],
    ];
    console.log(`  S2/F2 ${ratios.execVsFloor.toFixed(2)}x   M/S ${ratios.muxVsBuiltin.toFixed(1)}x   X/S ${ratios.ssh2VsBuiltin.toFixed(1)}x   P/S2 ${ratios.spawnVsExec.toFixed(1)}x`);
    for (const [what, ok, got] of checks) console.log(`  ${ok ? 'ok  ' : 'MISS'} ${what}: ${got}`);
    if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ N, SLOW_N, medians: med, ratios, samples }, null, 1));
    return checks.every(([, ok]) => ok);
  } finally {
    await sh.close();
    await floor.close();
  }
});
