// Fan-out: one command on 100 hosts at concurrency 20, then 10 commands per host, with
// openssh-mux's Fleet against what people use today, all measured in the same run:
//
//   (L) openssh-mux:   new Fleet(hosts, { connections: 20 }).capture('hostname; uptime')
//                      (the fleet's default engine, 'mux': the command is a channel, no slave)
//   (S) the same with defaults.engine 'spawn' (a local ssh slave per command)
//   (a) xargs + ssh:   xargs -P 20 running a plain `ssh host cmd` per host (what pssh does)
//   (b) Perl:          Net::OpenSSH::Parallel (workers 20, connections 20) doing the same
//
// The 100 "hosts" are 100 labels on one throwaway sshd on 127.0.0.1 (MaxStartups raised by
// dist/testing). Each variant runs as the child of a small bash wrapper whose /proc stat
// cutime+cstime gives the CPU time of the whole process tree (every ssh included); a sampler
// walks that tree every 50 ms for the peak RSS and the peak process count. The sshd's CPU
// (its cutime+cstime: every connection's sshd, reaped by the listener) is read around each
// variant; it is a lower bound (the remote commands' own processes were seen to be missing
// from it). Also measured: one host's connect + command + disconnect, to compare the fleet
// with the ideal (single-host time) x ceil(100/20), and the CPU-bound floor of this machine:
// the CPU the variant and the sshd used, over its cores (no schedule can finish sooner).
//
// Usage: npm run bench (after the other benchmarks), or node bench/fleet.mjs
//   BENCH_FLEET_HOSTS=100   hosts     BENCH_FLEET_P=20   concurrency
//   BENCH_FLEET_ROUNDS=1    runs of each variant (the median is reported)
//   BENCH_FLEET_REPS=1,10   the commands-per-host scenarios to run
//   BENCH_JSON=path         also write the raw numbers as JSON

import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OpenSSH } from '../dist/index.js';
import { benchRun, envInt, median, MiB, procCpuMs, TICK } from './common.mjs';

const HOSTS = envInt('BENCH_FLEET_HOSTS', 100);
const P = envInt('BENCH_FLEET_P', 20);
const ROUNDS = envInt('BENCH_FLEET_ROUNDS', 1);
const REPS = (process.env.BENCH_FLEET_REPS ?? '1,10').split(',').map(Number);
if (!REPS.every((n) => Number.isInteger(n) && n >= 1)) {
  console.error(`BENCH_FLEET_REPS must be a comma-separated list of whole numbers >= 1, received ${process.env.BENCH_FLEET_REPS}`);
  process.exit(2);
}
const COMMAND = 'hostname; uptime';
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

/** pid → [ppid, rss KiB] for every process. */
function processTable() {
  const table = new Map();
  for (const line of execFileSync('ps', ['-eo', 'pid=,ppid=,rss='], { encoding: 'utf8' }).split('\n')) {
    const [pid, ppid, rss] = line.trim().split(/\s+/).map(Number);
    if (pid) table.set(pid, [ppid, rss]);
  }
  return table;
}

/** Count and RSS of the tree under (and including) `root`. */
function treeUsage(root) {
  const table = processTable();
  const kids = new Map();
  for (const [pid, [ppid]] of table) kids.set(ppid, [...(kids.get(ppid) ?? []), pid]);
  let count = 0;
  let rss = 0;
  const todo = [root];
  while (todo.length) {
    const pid = todo.pop();
    const row = table.get(pid);
    if (!row) continue;
    count++;
    rss += row[1];
    todo.push(...(kids.get(pid) ?? []));
  }
  return { count, rssKiB: rss };
}

/** The sshd whose CPU each variant's measurement also reads. */
let sshdPid;

/**
 * Run `script` under a bash wrapper; resolve with wall ms, CPU ms of the whole tree, peak
 * RSS and peak process count (the wrapper itself excluded from neither: it is one small bash).
 */
function measure(bench, script, env = {}) {
  const sshd0 = procCpuMs(sshdPid, 'children');
  return new Promise((resolve, reject) => {
    const wrapper = `${script}\nstatus=$?\nread -r -a s < /proc/$$/stat\necho "CPU \${s[15]} \${s[16]}" >&2\nexit $status`;
    const t0 = performance.now();
    const child = spawn('bash', ['-c', wrapper], { stdio: ['ignore', 'ignore', 'pipe'], detached: true, env: { ...process.env, ...env } });
    bench.track(child);
    let err = '';
    let peak = { count: 0, rssKiB: 0 };
    const sample = () => {
      const u = treeUsage(child.pid);
      peak = { count: Math.max(peak.count, u.count), rssKiB: Math.max(peak.rssKiB, u.rssKiB) };
    };
    const sampler = setInterval(sample, 50);
    child.stderr.on('data', (c) => (err += c));
    child.once('error', reject);
    child.once('close', (code) => {
      clearInterval(sampler);
      const wall = performance.now() - t0;
      const m = /CPU (\d+) (\d+)/.exec(err);
      if (code !== 0 || !m) return reject(new Error(`variant failed (${code}): ${err.slice(-2000)}`));
      const retried = Number(/RETRIED (\d+)/.exec(err)?.[1] ?? 0);
      // Connections still closing on the server side are counted once their sshd is reaped.
      setTimeout(() => {
        const sshdCpuMs = procCpuMs(sshdPid, 'children') - sshd0;
        resolve({ retried, wallMs: wall, cpuMs: ((Number(m[1]) + Number(m[2])) * 1000) / TICK, sshdCpuMs, peakRssMiB: (peak.rssKiB * 1024) / MiB, peakProcs: peak.count });
      }, 500);
    });
  });
}

const LIB = `
import { Fleet } from ${JSON.stringify(dist)};
const { hosts, defaults, p, reps, command } = JSON.parse(process.env.FLEET_BENCH);
const fleet = new Fleet(hosts, { defaults, connections: p, concurrency: p, expandVars: false });
const job = fleet.run(async (ssh) => { for (let i = 0; i < reps; i++) await ssh.capture(command); }, { retries: 2, retryDelay: 200 });
const { summary } = await job;
const { results } = await job;
const retried = results.filter((r) => r.attempts > 1).length;
if (retried) console.error('RETRIED ' + retried);
if (summary.ok !== hosts.length) {
  console.error(JSON.stringify(summary));
  for (const r of results.filter((x) => !x.ok).slice(0, 3)) console.error(r.label, r.error.code, r.error.reason ?? '', r.error.message.slice(0, 500));
  process.exit(1);
}
`;

const PERL = String.raw`
use strict; use warnings;
use Net::OpenSSH::Parallel;
my ($n, $p, $reps, $user, $port, $key, $known, $ctl, $cmd) = @ARGV;
my $pssh = Net::OpenSSH::Parallel->new(workers => $p, connections => $p, reconnections => 2);
for my $i (1..$n) {
  $pssh->add_host("h$i", host => '127.0.0.1', user => $user, port => $port, key_path => $key, ctl_dir => $ctl,
    master_opts => [-F => '/dev/null', -o => "UserKnownHostsFile=$known", -o => 'GlobalKnownHostsFile=/dev/null', -o => 'IdentitiesOnly=yes']);
}
$pssh->push('*', command => { stdout_discard => 1 }, $cmd) for 1..$reps;
$pssh->run;
my @bad = grep { $pssh->get_error($_) } map { "h$_" } 1..$n;
if (@bad) { print STDERR "failed: @bad: ", $pssh->get_error($bad[0]), "\n"; exit 1 }
`;

const bench = benchRun();
const children = new Set();
bench.track = (child) => {
  children.add(child);
  child.once('close', () => children.delete(child));
};
bench.onCleanup(() => {
  for (const c of children) {
    try {
      process.kill(-c.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

await bench.finish(async () => {
  const started = await bench.start();
  if (!started) return;
  const { server, ssh } = started;
  sshdPid = server.pid;
  await ssh.disconnect();
  const user = server.users[0].name;
  const opts = server.connectOptions();
  const perlFile = join(server.dir, 'fleet-bench.pl');
  writeFileSync(perlFile, PERL);
  const sshWords = [...server.clientOpts, '-i', server.keyPath, '-p', String(server.port), '-o', 'BatchMode=yes', `${user}@127.0.0.1`];
  const q = (w) => `'${w.replaceAll("'", "'\\''")}'`;
  const sshLine = sshWords.map(q).join(' ');
  const hosts = Array.from({ length: HOSTS }, (_, i) => ({ label: `h${i + 1}`, target: server.target() }));

  // One host, alone: connect + command + disconnect (median of 5, after one warm-up).
  const single = [];
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now();
    const one = await OpenSSH.connect(server.target(), opts);
    await one.capture(COMMAND);
    await one.disconnect();
    if (i > 0) single.push(performance.now() - t0);
  }
  const singleMs = median(single);

  const variants = (reps) => ({
    'openssh-mux Fleet': () => measure(bench, `exec 3>&-; node --input-type=module -e ${q(LIB)}`, { FLEET_BENCH: JSON.stringify({ hosts, defaults: opts, p: P, reps, command: COMMAND }) }),
    'Fleet, spawn engine': () =>
      measure(bench, `exec 3>&-; node --input-type=module -e ${q(LIB)}`, { FLEET_BENCH: JSON.stringify({ hosts, defaults: { ...opts, engine: 'spawn' }, p: P, reps, command: COMMAND }) }),
    'xargs -P + ssh': () =>
      measure(bench, `seq ${HOSTS} | xargs -P ${P} -I{} sh -c ${q(`for i in $(seq ${reps}); do ssh ${sshLine} ${q(COMMAND)} >/dev/null || exit 255; done`)}`),
    'Net::OpenSSH::Parallel': () => measure(bench, `perl ${q(perlFile)} ${HOSTS} ${P} ${reps} ${q(user)} ${server.port} ${q(server.keyPath)} ${q(server.knownHostsPath)} ${q(server.ctlDir)} ${q(COMMAND)}`),
  });

  const out = { hosts: HOSTS, concurrency: P, rounds: ROUNDS, singleHostMs: singleMs, scenarios: {} };
  let ok = true;
  for (const reps of REPS) {
    const names = Object.keys(variants(reps));
    const runs = Object.fromEntries(names.map((n) => [n, []]));
    // Interleaved rounds, so a slow spell of the machine hits every variant alike.
    for (let r = 0; r < ROUNDS; r++) for (const n of names) runs[n].push(await variants(reps)[n]());
    const med = Object.fromEntries(names.map((n) => [n, Object.fromEntries(['wallMs', 'cpuMs', 'sshdCpuMs', 'peakRssMiB', 'peakProcs', 'retried'].map((k) => [k, median(runs[n].map((x) => x[k] ?? 0))]))]));
    out.scenarios[`${reps} command${reps > 1 ? 's' : ''} per host`] = { median: med, runs };
    console.log(`\n${HOSTS} hosts, ${reps} x '${COMMAND}' each, concurrency ${P} (median of ${ROUNDS})`);
    console.log(`${'variant'.padEnd(24)} ${'wall'.padStart(9)} ${'CPU'.padStart(9)} ${'sshd CPU'.padStart(9)} ${'peak RSS'.padStart(10)} ${'peak procs'.padStart(10)}  wall vs openssh-mux  hosts retried`);
    const lib = med['openssh-mux Fleet'];
    for (const n of names) {
      const m = med[n];
      console.log(`${n.padEnd(24)} ${`${(m.wallMs / 1000).toFixed(2)}s`.padStart(9)} ${`${(m.cpuMs / 1000).toFixed(2)}s`.padStart(9)} ${`${(m.sshdCpuMs / 1000).toFixed(2)}s`.padStart(9)} ${`${m.peakRssMiB.toFixed(0)} MiB`.padStart(10)} ${String(m.peakProcs).padStart(10)}  ${`${(m.wallMs / lib.wallMs).toFixed(2)}x`.padStart(19)}  ${n === 'openssh-mux Fleet' ? m.retried : '-'}`);
    }
    if (reps === 1) {
      const ideal = singleMs * Math.ceil(HOSTS / P);
      const ratio = lib.wallMs / ideal;
      console.log(`one host alone: ${singleMs.toFixed(0)} ms; ideal ${HOSTS}/${P} waves: ${(ideal / 1000).toFixed(2)}s; openssh-mux at ${ratio.toFixed(2)}x of it (target <= 1.2x)`);
      out.idealMs = ideal;
      out.vsIdeal = ratio;
      const cores = availableParallelism();
      const floor = (lib.cpuMs + lib.sshdCpuMs) / cores;
      console.log(
        `CPU-bound floor: ${(floor / 1000).toFixed(2)}s (openssh-mux's ${(lib.cpuMs / 1000).toFixed(2)}s + the sshd's ${(lib.sshdCpuMs / 1000).toFixed(2)}s of CPU over ${cores} cores); openssh-mux at ${(lib.wallMs / floor).toFixed(2)}x of it`,
      );
      out.cpuFloorMs = floor;
      const peers = names.filter((n) => n !== 'openssh-mux Fleet' && n !== 'Fleet, spawn engine');
      const faster = peers.every((n) => med[n].wallMs > lib.wallMs);
      const spawnFaster = peers.every((n) => med[n].wallMs > med['Fleet, spawn engine'].wallMs);
      console.log(`spawn engine: faster than both peers: ${spawnFaster ? 'yes' : 'no'}`);
      console.log(`target: faster than both peers: ${faster ? 'met' : 'MISSED'}; within 1.2x of the ideal: ${ratio <= 1.2 ? 'met' : 'MISSED'}`);
      ok &&= faster && ratio <= 1.2;
    }
  }
  if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify(out, null, 2));
  return ok;
});
