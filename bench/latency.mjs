// Per-command latency of openssh-mux against the two things it is built on.
//
//   (L) the library:  await ssh.capture('true')
//   (a) bare Node:    child_process.spawn() of the very same slave argv, stdio
//                     ['ignore','pipe','pipe'], output read, 'close' awaited
//   (b) bash floor:   ONE long-lived bash process running the same argv in a loop,
//                     timing each iteration with $EPOCHREALTIME (bash start-up excluded)
//
// Usage: npm run bench            (builds, then runs this file)
//   BENCH_N=300      measured iterations per variant (default 300), after 20 of warm-up
//   BENCH_ROUNDS=30  interleaved rounds the iterations are split into (default 30)
//   BENCH_JSON=path  also write the raw numbers as JSON to that path
//
// The run starts its own throwaway sshd (dist/testing), and always disconnects, stops the
// sshd and removes its temp dir, also on SIGINT/SIGTERM/SIGHUP.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { OpenSSH } from '../dist/index.js';
import { startSshd } from '../dist/testing/index.js';
import { BENCH_USER, envInt, median } from './common.mjs';

const N = envInt('BENCH_N', 300);
const WARMUP = 20;
const ROUNDS = Math.min(envInt('BENCH_ROUNDS', 30), N);
const TARGET_RATIO = 1.05;
const COMMAND = 'true';


// ---------------------------------------------------------------------------------------
// statistics

function quantileSorted(sorted, q) {
  // nearest-rank: the smallest value with at least q of the samples at or below it
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

function stats(xs) {
  const s = [...xs].sort((x, y) => x - y);
  return {
    n: s.length,
    median: median(s),
    p95: quantileSorted(s, 0.95),
    mean: s.reduce((a, b) => a + b, 0) / s.length,
    min: s[0],
    max: s[s.length - 1],
  };
}

// ---------------------------------------------------------------------------------------
// (a): the bare Node loop, doing exactly the work capture() has to do

function bareRun(argv) {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) resolve(stdout);
      else reject(new Error(`bare spawn failed (${signal ?? code}): ${stderr.trim()}`));
    });
  });
}

// ---------------------------------------------------------------------------------------
// (b): one bash process, driven over stdin. Each line "k" runs the argv k times and prints
// one "<microseconds> <exit code>" line per iteration, then "end". Both timestamps are taken
// in bash around the command alone, so neither bash start-up nor the pipe to Node counts.

const BASH_LOOP = [
  'while read -r n; do',
  '  for ((i = 0; i < n; i++)); do',
  '    t0=$EPOCHREALTIME',
  '    "$@" </dev/null >/dev/null 2>&1',
  '    rc=$?',
  '    t1=$EPOCHREALTIME',
  '    t0=${t0//[!0-9]/} t1=${t1//[!0-9]/}',
  '    echo "$((10#$t1 - 10#$t0)) $rc"',
  '  done',
  '  echo end',
  'done',
].join('\n');

class BashLoop {
  constructor(argv) {
    // detached: its own process group, so stop() can also end an ssh it is running
    this.child = spawn('bash', ['--noprofile', '--norc', '-c', BASH_LOOP, 'bench-floor', ...argv], {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    this.exited = new Promise((resolve) => this.child.once('close', resolve));
    this.child.once('error', (e) => this.#fail(e));
    this.child.stderr.on('data', (c) => (this.stderr += c));
    this.stderr = '';
    this.pending = undefined;
    createInterface({ input: this.child.stdout }).on('line', (l) => this.#line(l));
    this.exited.then((code) => this.#fail(new Error(`bash loop exited (${code}): ${this.stderr.trim()}`)));
  }

  #fail(e) {
    const p = this.pending;
    this.pending = undefined;
    p?.reject(e);
  }

  #line(line) {
    const p = this.pending;
    if (!p) return;
    if (line === 'end') {
      this.pending = undefined;
      p.resolve(p.samples);
      return;
    }
    const [us, rc] = line.split(' ');
    if (rc !== '0') {
      this.pending = undefined;
      p.reject(new Error(`ssh in the bash loop exited with ${rc}`));
      return;
    }
    p.samples.push(Number(us) / 1000);
  }

  /** Run the argv k times; resolves with k latencies in ms. */
  run(k) {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject, samples: [] };
      this.child.stdin.write(`${k}\n`);
    });
  }

  async stop() {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      // End of input ends the loop; a bash busy in an ssh (interrupted run) gets signals.
      const group = (sig) => { try { process.kill(-this.child.pid, sig); } catch { /* gone */ } };
      this.child.stdin.end();
      const t1 = setTimeout(() => group('SIGTERM'), interrupted ? 0 : 500);
      const t2 = setTimeout(() => group('SIGKILL'), 1500);
      await this.exited;
      clearTimeout(t1);
      clearTimeout(t2);
    }
  }
}

// ---------------------------------------------------------------------------------------
// lifecycle

let server;
let ssh;
let bash;
/** A start-up in progress (sshd, login): cleanup waits for it, then undoes it. */
let starting;
let cleaning;
let interrupted;

function childrenOf(pid) {
  // server-side sessions still attached to the sshd listener
  if (!existsSync('/proc')) return [];
  const kids = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) kids.push(Number(e));
    } catch { /* gone */ }
  }
  return kids;
}

function processesMentioning(text) {
  if (!existsSync('/proc')) return [];
  const found = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const args = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').join(' ').trim();
      if (args.includes(text)) found.push(`${e} ${args}`);
    } catch { /* gone */ }
  }
  return found;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function cleanup() {
  cleaning ??= (async () => {
    // disconnect() and stop() wait on unref'd children and timers: without a ref'd handle,
    // Node could find its loop empty and exit half-way through (leaving the temp dir).
    const keepAlive = setInterval(() => {}, 1000);
    const problems = [];
    try {
      await bash?.stop().catch((e) => problems.push(`bash loop: ${e.message}`));
      await starting?.catch(() => {});
      await ssh?.disconnect().catch((e) => problems.push(`disconnect: ${e.message}`));
      if (server) {
        // let the server-side session end before its listener is stopped
        for (let i = 0; i < 100 && childrenOf(server.pid).length > 0; i++) await sleep(20);
        const dir = server.dir;
        await server.stop().catch((e) => problems.push(`sshd stop: ${e.message}`));
        if (existsSync(dir)) problems.push(`temp dir left behind: ${dir}`);
        const left = processesMentioning(dir);
        if (left.length) problems.push(`processes left behind:\n    ${left.join('\n    ')}`);
      }
    } finally {
      clearInterval(keepAlive);
    }
    return problems;
  })();
  return cleaning;
}

function onSignal(sig) {
  if (interrupted) return;
  interrupted = sig;
  console.error(`\n${sig}: stopping, cleaning up...`);
  cleanup().then((problems) => {
    for (const p of problems) console.error(`cleanup: ${p}`);
    process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 }[sig] ?? 0));
  });
}
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, onSignal);

// ---------------------------------------------------------------------------------------
// measurement

async function timeEach(k, fn) {
  const samples = [];
  for (let i = 0; i < k; i++) {
    if (interrupted) throw new Error('interrupted');
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return samples;
}

function roundSizes(n, rounds) {
  return Array.from({ length: rounds }, (_, i) => Math.floor(n / rounds) + (i < n % rounds ? 1 : 0));
}

/** All orders of `keys`, cycled through round by round, so each variant runs first, second
 * and last equally often and follows each other variant equally often. */
function orders(keys, rounds) {
  const perms = (xs) => (xs.length <= 1 ? [xs] : xs.flatMap((x, i) => perms([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p])));
  const all = perms(keys);
  return Array.from({ length: rounds }, (_, r) => all[r % all.length]);
}

/** Deterministic PRNG (mulberry32), so the confidence interval is reproducible from the JSON. */
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 95% interval of median(x)/median(y) by resampling whole rounds (keeps the interleaving). */
function ratioInterval(xRounds, yRounds, reps = 2000) {
  const rand = rng(12345);
  const R = xRounds.length;
  const ratios = [];
  for (let i = 0; i < reps; i++) {
    const xs = [];
    const ys = [];
    for (let j = 0; j < R; j++) {
      const r = Math.floor(rand() * R);
      xs.push(...xRounds[r]);
      ys.push(...yRounds[r]);
    }
    ratios.push(median(xs) / median(ys));
  }
  ratios.sort((p, q) => p - q);
  return [ratios[Math.floor(0.025 * reps)], ratios[Math.ceil(0.975 * reps) - 1]];
}

function versions() {
  const r = spawnSync('ssh', ['-V'], { encoding: 'utf8' });
  return { openssh: (r.stderr || r.stdout || '').trim(), node: process.version };
}

const fmt = (x) => x.toFixed(2);
const pad = (s, w) => String(s).padStart(w);

async function main() {
  const started = performance.now();
  const v = versions();

  // A login of its own, so a test run going on at the same time on the default test user
  // cannot disturb the measured sessions (an earlier startSshd().stop() killed every
  // process of its users with pkill -u, cutting other servers' sessions mid-run).
  await (starting = startSshd({ users: [{ name: BENCH_USER, shell: '/bin/sh' }] }).then((s) => (server = s)));
  if (interrupted) return;
  await (starting = OpenSSH.connect(server.target(), server.connectOptions()).then((c) => (ssh = c)));
  if (interrupted) return;
  const argv = await ssh.makeRemoteCommand(COMMAND);
  bash = new BashLoop(argv);

  const variants = {
    L: { label: "(L) library, ssh.capture('true')", run: (k) => timeEach(k, () => ssh.capture(COMMAND)) },
    a: { label: '(a) bare Node spawn, same argv', run: (k) => timeEach(k, () => bareRun(argv)) },
    b: { label: '(b) bash loop, same argv (floor)', run: (k) => bash.run(k) },
  };
  const keys = Object.keys(variants);
  for (const k of keys) Object.assign(variants[k], { rounds: [], cpuUs: 0 });

  // sanity: the library and the bare loop really run the command (the bash loop checks $?)
  if ((await ssh.capture(COMMAND)) !== '' || (await bareRun(argv)) !== '') throw new Error('unexpected output from true');

  for (const k of keys) await variants[k].run(WARMUP);

  const sizes = roundSizes(N, ROUNDS);
  const plan = orders(keys, ROUNDS);
  for (let r = 0; r < ROUNDS; r++) {
    for (const k of plan[r]) {
      const cpu0 = process.cpuUsage();
      variants[k].rounds.push(await variants[k].run(sizes[r]));
      const cpu = process.cpuUsage(cpu0);
      variants[k].cpuUs += cpu.user + cpu.system;
    }
  }
  const measuredMs = performance.now() - started;

  const res = {};
  for (const k of keys) {
    const all = variants[k].rounds.flat();
    res[k] = {
      label: variants[k].label,
      stats: stats(all),
      // CPU time of this Node process per command: the library's own work shows here
      // without the scheduling noise of wall-clock time (for (b), Node only reads lines).
      nodeCpuMsPerCmd: variants[k].cpuUs / 1000 / all.length,
      roundMedians: variants[k].rounds.map(median),
      samplesByRound: variants[k].rounds,
    };
  }
  const ratio = (x, y) => ({
    median: res[x].stats.median / res[y].stats.median,
    p95: res[x].stats.p95 / res[y].stats.p95,
    medianCI95: ratioInterval(variants[x].rounds, variants[y].rounds),
  });
  const ratios = { 'L/a': ratio('L', 'a'), 'L/b': ratio('L', 'b'), 'a/b': ratio('a', 'b') };
  const pass = ratios['L/a'].median <= TARGET_RATIO;

  // ---- report
  const cpu = cpus();
  const ctl = argv[argv.indexOf('-S') + 1];
  console.log('openssh-mux latency: one command (`true`) over an established master, loopback sshd');
  console.log(`  OpenSSH : ${v.openssh}`);
  console.log(`  Node    : ${v.node}`);
  console.log(`  CPU     : ${cpu.length} x ${cpu[0]?.model?.trim() ?? '?'} (load avg at end ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
  console.log(`  N       : ${N} per variant after ${WARMUP} warm-up, in ${ROUNDS} interleaved rounds of ~${sizes[0]} (order varies by round)`);
  console.log(`  argv    : ${argv.join(' ').replace(ctl, '<ctl>')}`);
  console.log('');
  const head = `  ${'variant'.padEnd(35)}${pad('median', 8)}${pad('p95', 8)}${pad('mean', 8)}${pad('min', 8)}${pad('max', 8)}${pad('node CPU', 10)}`;
  console.log(head);
  console.log(`  ${'-'.repeat(head.length - 2)}`);
  for (const k of keys) {
    const s = res[k].stats;
    console.log(`  ${res[k].label.padEnd(35)}${pad(fmt(s.median), 8)}${pad(fmt(s.p95), 8)}${pad(fmt(s.mean), 8)}${pad(fmt(s.min), 8)}${pad(fmt(s.max), 8)}${pad(fmt(res[k].nodeCpuMsPerCmd), 10)}`);
  }
  console.log('  (ms per command; node CPU = user+sys time of this Node process per command)');
  console.log('');
  console.log(`  ${'ratio'.padEnd(8)}${pad('median', 8)}${pad('95% CI', 15)}${pad('p95', 8)}`);
  for (const [name, r] of Object.entries(ratios)) {
    const ci = `${r.medianCI95[0].toFixed(3)}-${r.medianCI95[1].toFixed(3)}`;
    const note =
      name === 'L/a' ? `   library vs bare spawn: target <= ${TARGET_RATIO.toFixed(2)} -> ${pass ? 'PASS' : 'FAIL'}${r.medianCI95[0] <= TARGET_RATIO && TARGET_RATIO <= r.medianCI95[1] ? ' (CI spans the target: within noise)' : ''}`
      : name === 'L/b' ? '   library vs the bash floor'
      : '   Node spawn vs the bash floor';
    console.log(`  ${name.padEnd(8)}${pad(r.median.toFixed(3), 8)}${pad(ci, 15)}${pad(r.p95.toFixed(3), 8)}${note}`);
  }
  console.log(`  library CPU overhead: ${((res.L.nodeCpuMsPerCmd - res.a.nodeCpuMsPerCmd) * 1000).toFixed(0)} us per command of Node CPU over the bare loop`);
  console.log(`  run took ${(measuredMs / 1000).toFixed(1)} s (setup included)`);

  if (process.env.BENCH_JSON) {
    const json = {
      meta: {
        date: new Date().toISOString(),
        openssh: v.openssh,
        node: v.node,
        platform: `${process.platform} ${process.arch}`,
        cpus: cpu.length,
        cpuModel: cpu[0]?.model?.trim(),
        loadavgAtEnd: loadavg(),
        n: N,
        warmup: WARMUP,
        rounds: ROUNDS,
        roundSizes: sizes,
        roundOrders: plan.map((o) => o.join('')),
        command: COMMAND,
        argv,
        unit: 'ms',
        quantiles: 'median: mean of the middle two for even n; p95: nearest rank; CI: 2000 bootstrap resamples of whole rounds, seed 12345',
      },
      target: { ratio: 'L/a median', max: TARGET_RATIO, pass },
      ratios,
      variants: res,
    };
    writeFileSync(process.env.BENCH_JSON, `${JSON.stringify(json, null, 2)}\n`);
    console.log(`  raw numbers written to ${process.env.BENCH_JSON}`);
  }
  return pass;
}

let failed = false;
try {
  // A missed target exits 1, as the other benchmark files do (bench/all.mjs reports it).
  if ((await main()) === false) failed = true;
} catch (err) {
  if (!interrupted) {
    failed = true;
    console.error(`benchmark failed: ${err?.stack ?? err}`);
  }
} finally {
  if (!interrupted) {
    const problems = await cleanup();
    for (const p of problems) console.error(`cleanup: ${p}`);
    if (problems.length) failed = true;
  }
}
if (interrupted) await new Promise(() => setInterval(() => {}, 1000)); // onSignal exits
process.exitCode = failed ? 1 : 0;
