// What writing output files from Node costs. Since write errors are detected (a full disk
// fails the call instead of giving exit 0 and a short file), `stdoutFile` no longer hands the
// file's fd to ssh: the output comes through a pipe to Node, which writes it.
//
//   (L) library   : await ssh.run('head -c SIZE /dev/zero', { stdoutFile: file })
//   (b) bash floor: bash -c '"$@" > file' with the same slave argv (ssh -S ... head -c SIZE /dev/zero)
//   (a) fd to ssh : child_process.spawn(argv, { stdio: ['ignore', fd, 'pipe'] }), the route the
//                   library used before (the master writes the file; write errors are lost)
//
// The ratio is throughput(L) / throughput(b) = time(b) / time(L), medians over the runs.
// Target: at least 0.8. Each run checks the file's size.
//
// Usage: npm run bench   (runs this file after the others)
//   BENCH_MIB=512  size of each file in MiB (default 512)
//   BENCH_REPS=5   runs per variant (default 5), interleaved
//
// The files go to a temp dir removed at the end; the run starts its own throwaway sshd and
// always tears it down, also on SIGINT/SIGTERM/SIGHUP.

import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { benchRun, envInt, median, MiB } from './common.mjs';

const SIZE_MIB = envInt('BENCH_MIB', 512);
const SIZE = SIZE_MIB * MiB;
const REPS = envInt('BENCH_REPS', 5);
const TARGET = 0.8;

const bench = benchRun();
const dir = bench.tempDir('osmux-bench-file-');
const file = join(dir, 'out');

function checkSize(what) {
  const size = statSync(file).size;
  if (size !== SIZE) throw new Error(`${what} wrote ${size} bytes, expected ${SIZE}`);
  rmSync(file);
}

/** The old route: the file's fd handed to the slave ssh. */
function fdToSsh(argv) {
  return new Promise((resolve, reject) => {
    const fd = openSync(file, 'w');
    const t0 = performance.now();
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', fd, 'pipe'] });
    closeSync(fd);
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`ssh failed (${code}): ${err}`))));
  });
}

async function main() {
  const started = performance.now();
  const session = await bench.start();
  if (!session) return undefined;
  const { ssh } = session;
  const cmd = `head -c ${SIZE} /dev/zero`;
  const argv = await ssh.makeRemoteCommand(cmd);

  const variants = {
    L: async () => {
      const t0 = performance.now();
      await ssh.run(cmd, { stdoutFile: file });
      const ms = performance.now() - t0;
      checkSize('the library');
      return ms;
    },
    b: async () => {
      const ms = await bench.timeBash(`"$@" > ${JSON.stringify(file)}`, argv);
      checkSize('bash');
      return ms;
    },
    a: async () => {
      const ms = await fdToSsh(argv);
      checkSize('fd to ssh');
      return ms;
    },
  };
  const times = { L: [], b: [], a: [] };
  for (const k of Object.keys(variants)) await variants[k]();
  for (let i = 0; i < REPS; i++) {
    const order = [['L', 'b', 'a'], ['b', 'a', 'L'], ['a', 'L', 'b']][i % 3];
    for (const k of order) times[k].push(await variants[k]());
  }

  const cpu = cpus();
  const v = spawnSync('ssh', ['-V'], { encoding: 'utf8' });
  console.log(`openssh-mux output file: ${SIZE_MIB} MiB to a file with stdoutFile vs bash '> file' vs the fd handed to ssh, loopback sshd`);
  console.log(`  OpenSSH : ${(v.stderr || v.stdout).trim()}`);
  console.log(`  Node    : ${process.version}`);
  console.log(`  CPU     : ${cpu.length} x ${cpu[0]?.model?.trim() ?? '?'} (load avg at end ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
  console.log(`  runs    : ${REPS} per variant after 1 warm-up, interleaved`);
  console.log('');
  const names = { L: 'L stdoutFile', b: 'b bash >file', a: 'a fd to ssh' };
  console.log(`  ${'variant'.padEnd(14)}${'median ms'.padStart(11)}${'MiB/s'.padStart(9)}${'min ms'.padStart(9)}${'max ms'.padStart(9)}`);
  for (const [k, xs] of Object.entries(times)) {
    const m = median(xs);
    console.log(
      `  ${names[k].padEnd(14)}${m.toFixed(0).padStart(11)}${((SIZE_MIB * 1000) / m).toFixed(0).padStart(9)}${Math.min(...xs).toFixed(0).padStart(9)}${Math.max(...xs).toFixed(0).padStart(9)}`,
    );
  }
  console.log('');
  const ratio = median(times.b) / median(times.L);
  const ratioA = median(times.a) / median(times.L);
  console.log(`  throughput L/a = ${ratioA.toFixed(3)}   (the cost of routing through Node, against the old fd route)`);
  console.log(`  throughput L/b = ${ratio.toFixed(3)}   target >= ${TARGET} -> ${ratio >= TARGET ? 'PASS' : 'FAIL'}`);
  console.log(`  run took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return ratio >= TARGET;
}

await bench.finish(main);
