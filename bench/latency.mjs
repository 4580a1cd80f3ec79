// Per-command latency of openssh-mux against the two things it is built on.
//
//   (L) the library:  await ssh.capture('true')
//   (a) bare Node:    child_process.spawn() of the very same slave argv, stdio
//                     ['ignore','pipe','pipe'], output read, 'close' awaited
//   (b) bash floor:   ONE long-lived bash process running the same argv in a loop,
//                     timing each iteration with $EPOCHREALTIME (bash start-up excluded)
//
// Usage: npm run bench            (builds, then runs this file)
//   BENCH_N=300      measured iterations per variant (default 300)
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

const N = envInt('BENCH_N', 300);
const WARMUP = 20;
const ROUNDS = Math.min(5, N);
const TARGET_RATIO = 1.05;
const COMMAND = 'true';

function envInt(name, dflt) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1) {
    console.error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return v;
}

// ---------------------------------------------------------------------------------------
// statistics

function quantileSorted(sorted, q) {
  // nearest-rank: the smallest value with at least q of the samples at or below it
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

function median(xs) {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
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
  '    "$@" </dev/null >/dev/null 2>>/tmp/bashloop.err',
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

function versions() {
  const r = spawnSync('ssh', ['-V'], { encoding: 'utf8' });
  return { openssh: (r.stderr || r.stdout || '').trim(), node: process.version };
}

const fmt = (x) => x.toFixed(2);
const pad = (s, w) => String(s).padStart(w);

async function main() {
  const started = performance.now();
  const v = versions();

  server = await startSshd();
  ssh = await OpenSSH.connect(server.target(), server.connectOptions());
  const argv = await ssh.makeRemoteCommand(COMMAND);
  bash = new BashLoop(argv);

  const variants = {
    L: { label: '(L) library  ssh.capture(\'true\')', rounds: [], run: (k) => timeEach(k, () => ssh.capture(COMMAND)) },
    a: { label: '(a) bare Node spawn, same argv', rounds: [], run: (k) => timeEach(k, () => bareRun(argv)) },
    b: { label: '(b) bash loop, same argv (floor)', rounds: [], run: (k) => bash.run(k) },
  };
  const keys = Object.keys(variants);

  // sanity: each variant really runs the command
  if ((await ssh.capture(COMMAND)) !== '' || (await bareRun(argv)) !== '') throw new Error('unexpected output from true');

  for (const k of keys) await variants[k].run(WARMUP);

  const sizes = roundSizes(N, ROUNDS);
  const order = [];
  for (let r = 0; r < ROUNDS; r++) {
    const rot = keys.map((_, i) => keys[(i + r) % keys.length]);
    order.push(rot.join(''));
    for (const k of rot) variants[k].rounds.push(await variants[k].run(sizes[r]));
  }
  const measuredMs = performance.now() - started;

  const res = {};
  for (const k of keys) {
    const all = variants[k].rounds.flat();
    res[k] = { label: variants[k].label, stats: stats(all), roundMedians: variants[k].rounds.map(median), samples: variants[k].rounds };
  }
  const ratio = (x, y, f) => res[x].stats[f] / res[y].stats[f];
  const ratios = {
    'L/a': { median: ratio('L', 'a', 'median'), p95: ratio('L', 'a', 'p95') },
    'L/b': { median: ratio('L', 'b', 'median'), p95: ratio('L', 'b', 'p95') },
    'a/b': { median: ratio('a', 'b', 'median'), p95: ratio('a', 'b', 'p95') },
  };
  const perRoundLa = res.L.roundMedians.map((m, i) => m / res.a.roundMedians[i]);
  const pass = ratios['L/a'].median <= TARGET_RATIO;

  // ---- report
  const cpu = cpus();
  console.log('openssh-mux latency benchmark: one command (`true`) over an established master, loopback sshd');
  console.log(`  OpenSSH : ${v.openssh}`);
  console.log(`  Node    : ${v.node}`);
  console.log(`  CPU     : ${cpu.length} x ${cpu[0]?.model ?? '?'}  (load avg ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
  console.log(`  N       : ${N} per variant, after ${WARMUP} warm-up; ${ROUNDS} interleaved rounds of ${sizes.join('/')} (orders ${order.join(' ')})`);
  console.log(`  argv    : ${argv.join(' ')}`);
  console.log('');
  const head = `  ${'variant'.padEnd(36)}${pad('median', 9)}${pad('p95', 9)}${pad('mean', 9)}${pad('min', 9)}${pad('max', 9)}   per-round medians (ms)`;
  console.log(head);
  console.log(`  ${'-'.repeat(head.length - 2)}`);
  for (const k of keys) {
    const s = res[k].stats;
    console.log(`  ${res[k].label.padEnd(36)}${pad(fmt(s.median), 9)}${pad(fmt(s.p95), 9)}${pad(fmt(s.mean), 9)}${pad(fmt(s.min), 9)}${pad(fmt(s.max), 9)}   ${res[k].roundMedians.map(fmt).join(' ')}`);
  }
  console.log('  (all times in ms per command)');
  console.log('');
  console.log(`  ratio      median    p95`);
  for (const [name, r] of Object.entries(ratios)) {
    const note =
      name === 'L/a' ? `   library overhead over bare spawn; target <= ${TARGET_RATIO.toFixed(2)} (median): ${pass ? 'PASS' : 'FAIL'}`
      : name === 'L/b' ? '   library vs the bash floor'
      : '   cost of Node spawn itself vs the bash floor';
    console.log(`  ${name.padEnd(8)}${pad(r.median.toFixed(3), 8)}${pad(r.p95.toFixed(3), 8)}${note}`);
  }
  console.log(`  per-round L/a (medians): ${perRoundLa.map((x) => x.toFixed(3)).join(' ')}`);
  console.log(`  measured in ${(measuredMs / 1000).toFixed(1)} s`);

  if (process.env.BENCH_JSON) {
    const json = {
      meta: {
        date: new Date().toISOString(),
        openssh: v.openssh,
        node: v.node,
        platform: `${process.platform} ${process.arch}`,
        cpus: cpu.length,
        cpuModel: cpu[0]?.model,
        n: N,
        warmup: WARMUP,
        rounds: ROUNDS,
        roundSizes: sizes,
        roundOrders: order,
        command: COMMAND,
        argv,
        unit: 'ms',
        quantiles: 'median: mean of the middle two for even n; p95: nearest rank',
      },
      target: { ratio: 'L/a median', max: TARGET_RATIO, pass },
      ratios,
      perRoundRatioLa: perRoundLa,
      variants: Object.fromEntries(keys.map((k) => [k, { label: res[k].label, stats: res[k].stats, roundMedians: res[k].roundMedians, samplesByRound: res[k].samples }])),
    };
    writeFileSync(process.env.BENCH_JSON, `${JSON.stringify(json, null, 2)}\n`);
    console.log(`  raw numbers written to ${process.env.BENCH_JSON}`);
  }
}

let failed = false;
try {
  await main();
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
