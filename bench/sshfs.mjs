// sshfsImport / sshfsExport: how long a mount takes to be ready and to close, and the
// throughput of a sequential read and write of one file through the mount.
//
//   mount   : median ms from the call to the resolved handle (the file system answers a stat),
//             and from close() to sshfs gone; import (local sshfs, ssh through the master) and
//             export (remote sshfs -o slave, a local sftp-server on a slave)
//   read    : one SIZE file read through the mount (Node readFile of a local path for the
//             import; `cat file > /dev/null` on the remote side for the export)
//   write   : the same file written through the mount
//
// Reported, no target: sshfs's own speed is not the library's to set. The sshd is on this
// machine (loopback), as the benchmark user; each copy is removed after its run.
//
// Usage: npm run build && node bench/sshfs.mjs
//   BENCH_SSHFS_MIB=64     size of the file in MiB (default 64)
//   BENCH_SSHFS_REPS=5     runs per measurement (default 5)

import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { benchRun, envInt, median, MiB, writeRandomFile } from './common.mjs';

const SIZE_MIB = envInt('BENCH_SSHFS_MIB', 64);
const SIZE = SIZE_MIB * MiB;
const REPS = envInt('BENCH_SSHFS_REPS', 5);

const bench = benchRun();

async function main() {
  const started = performance.now();
  const up = await bench.start();
  if (!up) return undefined;
  const { ssh } = up;
  const work = bench.tempDir('openssh-mux-bench-sshfs-');
  chmodSync(work, 0o777); // the benchmark user reads and writes here
  const src = join(work, 'source.bin');
  writeRandomFile(src, SIZE);
  chmodSync(src, 0o666);
  const data = readFileSync(src);

  const times = { importMount: [], importClose: [], exportMount: [], exportClose: [], importRead: [], importWrite: [], exportRead: [], exportWrite: [] };
  for (let i = 0; i < REPS && !bench.interrupted; i++) {
    // import: the work dir (the remote user's view) mounted on a local empty dir
    const mnt = join(work, `imp${i}`);
    mkdirSync(mnt);
    let t0 = performance.now();
    const imp = await ssh.sshfsImport(work, mnt);
    times.importMount.push(performance.now() - t0);
    t0 = performance.now();
    readFileSync(join(mnt, 'source.bin'));
    times.importRead.push(performance.now() - t0);
    t0 = performance.now();
    writeFileSync(join(mnt, `copy${i}.bin`), data);
    times.importWrite.push(performance.now() - t0);
    t0 = performance.now();
    await imp.close();
    times.importClose.push(performance.now() - t0);
    rmSync(join(work, `copy${i}.bin`), { force: true });

    // export: the work dir mounted on a remote empty dir
    const rmnt = join(work, `exp${i}`);
    mkdirSync(rmnt);
    chmodSync(rmnt, 0o777);
    t0 = performance.now();
    const exp = await ssh.sshfsExport(work, rmnt);
    times.exportMount.push(performance.now() - t0);
    t0 = performance.now();
    await ssh.run(['sh', '-c', 'cat "$1" > /dev/null', 'sh', `${rmnt}/source.bin`]);
    times.exportRead.push(performance.now() - t0);
    t0 = performance.now();
    await ssh.run(['sh', '-c', 'cat "$1" > "$2"', 'sh', src, `${rmnt}/copy${i}.bin`]);
    times.exportWrite.push(performance.now() - t0);
    t0 = performance.now();
    await exp.close();
    times.exportClose.push(performance.now() - t0);
    rmSync(join(work, `copy${i}.bin`), { force: true });
  }
  const ms = (xs) => `${median(xs).toFixed(0)} ms`;
  const rate = (xs) => `${(SIZE_MIB / (median(xs) / 1000)).toFixed(0)} MiB/s`;
  const cpu = cpus();
  console.log(`openssh-mux sshfs: mount/close times and ${SIZE_MIB} MiB sequential read/write through the mount, loopback sshd`);
  console.log(`  CPU     : ${cpu.length} x ${cpu[0]?.model?.trim() ?? '?'} (load avg at end ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
  console.log(`  runs    : ${REPS}, medians`);
  console.log(`  import  : mount ${ms(times.importMount)}, close ${ms(times.importClose)}, read ${rate(times.importRead)}, write ${rate(times.importWrite)}`);
  console.log(`  export  : mount ${ms(times.exportMount)}, close ${ms(times.exportClose)}, read ${rate(times.exportRead)}, write ${rate(times.exportWrite)} (each through one remote command, ~10-30 ms of it ssh)`);
  console.log(`  run took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return true;
}

await bench.finish(main);
