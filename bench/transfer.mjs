// File transfer throughput of openssh-mux against the same tool typed by hand over the same master.
//
//   for scp (SFTP mode), scp (legacy mode, -O) and rsync, get and put of one SIZE file:
//     (L) the library:  await ssh.scpGet(src, dst, { scpMode }) / scpPut / rsyncGet / rsyncPut
//     (h) by hand:      bash -c 'scp -q [-O] -o ControlPath=<ctl> -P <port> -- src user@host:dst'
//                       bash -c 'rsync -q -e "ssh -S <ctl>" -- src user@host:dst'
//
// The ratio is throughput(L) / throughput(h) = time(h) / time(L), medians over the runs.
// Target: at least 0.95. The destination is removed after every run (rsync would otherwise
// find it up to date and copy nothing), followed by an untimed `sync`. The sshd is on this
// machine, so the "remote" side is a local directory the benchmark user may write. On a busy
// machine (other test runs) the ratios scatter by +-20%: look at the load average printed.
//
// Usage: npm run bench   (runs the other benchmarks, then this file)
//   BENCH_XFER_MIB=512  size of the file in MiB (default 512)
//   BENCH_XFER_REPS=3   runs per variant, method and direction (default 3), interleaved
//
// The run starts its own throwaway sshd (dist/testing) and always disconnects, stops the
// sshd and removes its temp dirs, also on SIGINT/SIGTERM/SIGHUP.

import { spawnSync } from 'node:child_process';
import { chmodSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { BENCH_USER, benchRun, envInt, median, MiB, writeRandomFile } from './common.mjs';

const SIZE_MIB = envInt('BENCH_XFER_MIB', 512);
const SIZE = SIZE_MIB * MiB;
const REPS = envInt('BENCH_XFER_REPS', 3);
const TARGET = 0.95;

const bench = benchRun();

async function main() {
  const started = performance.now();
  const up = await bench.start();
  if (!up) return undefined;
  const { server, ssh } = up;

  const work = bench.tempDir('openssh-mux-bench-xfer-');
  chmodSync(work, 0o777); // the benchmark user writes its copies here
  const src = join(work, 'source.bin');
  writeRandomFile(src, SIZE);
  chmodSync(src, 0o644);
  const dst = join(work, 'copy.bin');
  const remote = (p) => `${BENCH_USER}@${server.host}:${p}`;
  const ctl = ssh.ctlPath;
  const port = String(server.port);

  const byHand = {
    'scp-sftp': 'scp -q -o ControlPath="$1" -P "$2" -- "$3" "$4"',
    'scp-legacy': 'scp -q -O -o ControlPath="$1" -P "$2" -- "$3" "$4"',
    rsync: 'rsync -q -e "ssh -S $1" -- "$3" "$4"',
  };
  const lib = {
    'scp-sftp': { get: () => ssh.scpGet(src, dst, { scpMode: 'sftp' }), put: () => ssh.scpPut(src, dst, { scpMode: 'sftp' }) },
    'scp-legacy': { get: () => ssh.scpGet(src, dst, { scpMode: 'legacy' }), put: () => ssh.scpPut(src, dst, { scpMode: 'legacy' }) },
    rsync: { get: () => ssh.rsyncGet(src, dst), put: () => ssh.rsyncPut(src, dst) },
  };
  const run = async (method, dir, variant) => {
    rmSync(dst, { force: true });
    let ms;
    if (variant === 'L') {
      const t0 = performance.now();
      await lib[method][dir]();
      ms = performance.now() - t0;
    } else {
      const [from, to] = dir === 'get' ? [remote(src), dst] : [src, remote(dst)];
      ms = await bench.timeBash(byHand[method], [ctl, port, from, to]);
    }
    const size = statSync(dst).size;
    if (size !== SIZE) throw new Error(`${method} ${dir} ${variant} copied ${size} bytes, expected ${SIZE}`);
    // Write the copy back now, untimed, so its dirty pages do not slow the next run down.
    rmSync(dst, { force: true });
    spawnSync('sync');
    return ms;
  };

  const methods = Object.keys(lib);
  const times = {};
  for (const m of methods) for (const d of ['get', 'put']) for (const v of ['L', 'h']) times[`${m} ${d} ${v}`] = [];
  // one warm-up (page cache, sshd), then REPS interleaved runs; library and by-hand
  // alternate who goes first
  await run('scp-sftp', 'get', 'h');
  for (let i = 0; i < REPS; i++) {
    for (const m of methods) {
      for (const d of ['get', 'put']) {
        for (const v of i % 2 ? ['h', 'L'] : ['L', 'h']) {
          if (bench.interrupted) return undefined;
          times[`${m} ${d} ${v}`].push(await run(m, d, v));
        }
      }
    }
  }
  rmSync(dst, { force: true });

  const cpu = cpus();
  const v = spawnSync('ssh', ['-V'], { encoding: 'utf8' });
  const rv = spawnSync('rsync', ['--version'], { encoding: 'utf8' });
  console.log(`openssh-mux file transfer: ${SIZE_MIB} MiB by each method vs the same tool by hand over the same master, loopback sshd`);
  console.log(`  OpenSSH : ${(v.stderr || v.stdout).trim()}`);
  console.log(`  rsync   : ${(rv.stdout || '').split('\n')[0]?.trim()}`);
  console.log(`  Node    : ${process.version}`);
  console.log(`  CPU     : ${cpu.length} x ${cpu[0]?.model?.trim() ?? '?'} (load avg at end ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
  console.log(`  runs    : ${REPS} per variant after 1 warm-up, interleaved`);
  console.log('');
  console.log(`  ${'method'.padEnd(12)}${'dir'.padEnd(5)}${'L ms'.padStart(8)}${'L MiB/s'.padStart(9)}${'h ms'.padStart(8)}${'h MiB/s'.padStart(9)}${'L/h'.padStart(8)}`);
  let ok = true;
  for (const m of methods) {
    for (const d of ['get', 'put']) {
      const l = median(times[`${m} ${d} L`]);
      const h = median(times[`${m} ${d} h`]);
      const ratio = h / l;
      ok &&= ratio >= TARGET;
      const rate = (ms) => ((SIZE_MIB * 1000) / ms).toFixed(0);
      console.log(
        `  ${m.padEnd(12)}${d.padEnd(5)}${l.toFixed(0).padStart(8)}${rate(l).padStart(9)}${h.toFixed(0).padStart(8)}${rate(h).padStart(9)}${ratio.toFixed(3).padStart(8)}  ${ratio >= TARGET ? 'PASS' : 'FAIL'}`,
      );
    }
  }
  console.log(`  (L/h = throughput of the library / by hand = median time by hand / median time of the library; target >= ${TARGET})`);
  console.log(`  run took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return ok;
}

await bench.finish(main);
