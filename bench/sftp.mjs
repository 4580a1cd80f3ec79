// SFTP throughput of openssh-mux's client against OpenSSH's `sftp` command and ssh2-sftp-client.
//
//   one SIZE file, get and put:
//     (L) the library:        await sftp.fastGet(src, dst) / fastPut, over the master (`ssh -s sftp`)
//     (h) OpenSSH by hand:    bash -c 'sftp -q -b batch -o ControlPath=<ctl> -P <port> user@host'
//                             with `get src dst` / `put src dst` in the batch file, same master
//     (s) ssh2-sftp-client:   await client.fastGet(src, dst) / fastPut, its own connection
//                             (pure-JS SSH, same key), default options
//     (f) the Node floor:     bench/sftp-floor.mjs, the leanest loops a Node client can run over
//                             the same kind of channel (no promises per packet, fixed buffers,
//                             sync local I/O), with the library's chunk size and depths
//   and 10,000 `stat` calls issued at once (pipelined) on one session, library vs ssh2-sftp-client.
//
// Ratios are throughput(L) / throughput(peer) = median time(peer) / median time(L). Target:
// at least 1.0 against sftp and ssh2-sftp-client. The floor is not a target: L/floor is what
// the library costs on top of the leanest Node loop, floor/sftp what any Node client can do
// against OpenSSH's C client on this machine. The sshd is on this machine (loopback), so the
// "remote" side is a local directory; each copy is removed after its run, followed by an
// untimed `sync`.
//
// Usage: npm run bench   (bench/all.mjs runs every benchmark), or node bench/sftp.mjs after npm run build
//   BENCH_SFTP_MIB=512    size of the file in MiB (default 512)
//   BENCH_SFTP_REPS=5     runs per variant and direction (default 5): the library and sftp
//                         interleaved, all gets then all puts; then ssh2-sftp-client, loaded
//                         only then (see main())
//   BENCH_SFTP_STATS=10000 stat calls (default 10000)

import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { BENCH_USER, benchRun, envInt, median, MiB, writeRandomFile } from './common.mjs';
import { openFloorClient } from './sftp-floor.mjs';

const SIZE_MIB = envInt('BENCH_SFTP_MIB', 512);
const SIZE = SIZE_MIB * MiB;
const REPS = envInt('BENCH_SFTP_REPS', 5);
const STATS = envInt('BENCH_SFTP_STATS', 10000);
const TARGET = 1.0;

const bench = benchRun();
let peer;
let sftp;
let floor;

async function main() {
  const started = performance.now();
  const up = await bench.start();
  if (!up) return undefined;
  const { server, ssh } = up;

  const work = bench.tempDir('openssh-mux-bench-sftp-');
  chmodSync(work, 0o777); // the benchmark user writes its copies here
  const src = join(work, 'source.bin');
  writeRandomFile(src, SIZE);
  chmodSync(src, 0o644);
  const dst = join(work, 'copy.bin');
  const batch = join(work, 'batch');

  sftp = await ssh.sftp();
  try {
    const { chunkSize, readConcurrency, concurrency } = sftp.settings;
    floor = await openFloorClient({ ctlPath: ssh.ctlPath, port: server.port, target: `${BENCH_USER}@${server.host}`, chunkSize, reads: readConcurrency, writes: concurrency });
    const variants = {
      L: { get: () => sftp.fastGet(src, dst), put: () => sftp.fastPut(src, dst) },
      f: { get: () => floor.get(src, dst), put: () => floor.put(src, dst) },
      s: { get: () => peer.fastGet(src, dst), put: () => peer.fastPut(src, dst) },
    };
    const run = async (dir, variant) => {
      rmSync(dst, { force: true });
      let ms;
      if (variant === 'h') {
        writeFileSync(batch, `${dir} "${src}" "${dst}"\n`);
        ms = await bench.timeBash('sftp -q -b "$3" -o ControlPath="$1" -P "$2" "$4" >/dev/null', [ssh.ctlPath, String(server.port), batch, `${BENCH_USER}@${server.host}`]);
      } else {
        const t0 = performance.now();
        await variants[variant][dir]();
        ms = performance.now() - t0;
      }
      const size = statSync(dst).size;
      if (size !== SIZE) throw new Error(`${dir} ${variant} copied ${size} bytes, expected ${SIZE}`);
      rmSync(dst, { force: true });
      spawnSync('sync');
      return ms;
    };

    const times = {};
    for (const d of ['get', 'put']) for (const v of ['L', 'h', 's', 'f']) times[`${d} ${v}`] = [];
    // Two phases. First the library, OpenSSH's sftp and the floor, interleaved, before ssh2
    // is loaded: with the ssh2 module merely imported into a process, the library's bulk
    // transfers run slower (bench/mux.mjs: a 512 MiB pipeOut at 450-500 MiB/s instead of
    // 680-730), and no user of this library has it loaded. Then ssh2-sftp-client, on its own.
    // Each direction in turn: one warm-up run of every variant (the page cache, the sshd and
    // the TCP connections' buffers, and this process's heap and buffer pool: a first large
    // transfer on a cold process or connection is up to twice as slow), then the timed runs,
    // the variants' order rotating (and reversed every other round of rotations). All gets,
    // then all puts: a get right after a put ran slower, whoever did either (on the benchmark
    // VM, 362-446 MiB/s after a put, 460-591 after a get, in a one-off script), and with the
    // directions mixed, which variant came first after a put depended on the run's number.
    const phase = async (vs) => {
      for (const d of ['get', 'put']) {
        for (const v of vs) await run(d, v);
        for (let i = 0; i < REPS; i++) {
          const order = vs.map((_, k) => vs[(k + i) % vs.length]);
          if (Math.floor(i / vs.length) % 2) order.reverse();
          for (const v of order) {
            if (bench.interrupted) return false;
            times[`${d} ${v}`].push(await run(d, v));
          }
        }
      }
      return true;
    };
    // Pipelined stats: all issued at once, on one session each.
    const statRun = async (fn) => {
      const t0 = performance.now();
      await Promise.all(Array.from({ length: STATS }, () => fn(src)));
      return performance.now() - t0;
    };
    const stats = async (fn) => {
      await statRun(fn);
      const xs = [];
      for (let i = 0; i < REPS; i++) xs.push(await statRun(fn));
      return xs;
    };

    if (!(await phase(['L', 'h', 'f']))) return undefined;
    const statL = await stats((p) => sftp.stat(p));

    const { default: SftpClient } = await import('ssh2-sftp-client');
    peer = new SftpClient();
    await peer.connect({ host: server.host, port: server.port, username: BENCH_USER, privateKey: readFileSync(server.keyPath) });
    peer.client.setMaxListeners(0); // ssh2-sftp-client adds listeners per call: 10,000 stats at once would warn
    if (!(await phase(['s']))) return undefined;
    const statS = await stats((p) => peer.stat(p));

    const cpu = cpus();
    const v = spawnSync('ssh', ['-V'], { encoding: 'utf8' });
    const peerVersion = JSON.parse(readFileSync(new URL('../node_modules/ssh2-sftp-client/package.json', import.meta.url), 'utf8')).version;
    console.log(`openssh-mux SFTP: ${SIZE_MIB} MiB each way, fastGet/fastPut vs OpenSSH's sftp (same master) and ssh2-sftp-client (own connection), loopback sshd`);
    console.log(`  OpenSSH : ${(v.stderr || v.stdout).trim()}`);
    console.log(`  ssh2-sftp-client ${peerVersion}; Node ${process.version}`);
    console.log(`  CPU     : ${cpu.length} x ${cpu[0]?.model?.trim() ?? '?'} (load avg at end ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
    console.log(`  runs    : ${REPS} per variant and direction after a warm-up run of each, gets then puts; library, sftp and the floor interleaved, then ssh2-sftp-client (loaded only then); library and floor chunk ${sftp.settings.chunkSize} B, ${sftp.settings.readConcurrency} reads / ${sftp.settings.concurrency} writes in flight`);
    console.log('');
    console.log(`  ${'dir'.padEnd(5)}${'L MiB/s'.padStart(9)}${'sftp MiB/s'.padStart(12)}${'ssh2 MiB/s'.padStart(12)}${'floor MiB/s'.padStart(13)}${'L/sftp'.padStart(9)}${'L/ssh2'.padStart(9)}${'L/floor'.padStart(9)}${'floor/sftp'.padStart(12)}`);
    let ok = true;
    const rate = (ms) => (SIZE_MIB * 1000) / ms;
    for (const d of ['get', 'put']) {
      const [l, h, s, f] = ['L', 'h', 's', 'f'].map((x) => median(times[`${d} ${x}`]));
      const rh = h / l;
      const rs = s / l;
      ok &&= rh >= TARGET && rs >= TARGET;
      const cols = [rate(l), rate(h), rate(s), rate(f)].map((x, k) => x.toFixed(0).padStart(k === 0 ? 9 : k === 3 ? 13 : 12)).join('');
      const ratios = [rh, rs, f / l, h / f].map((x, k) => x.toFixed(3).padStart(k === 3 ? 12 : 9)).join('');
      console.log(`  ${d.padEnd(5)}${cols}${ratios}  ${rh >= TARGET && rs >= TARGET ? 'PASS' : 'FAIL'}`);
    }
    const opsL = (STATS * 1000) / median(statL);
    const opsS = (STATS * 1000) / median(statS);
    console.log(`  stat x${STATS} pipelined: library ${opsL.toFixed(0)} ops/s, ssh2-sftp-client ${opsS.toFixed(0)} ops/s, ratio ${(opsL / opsS).toFixed(3)}`);
    console.log(`  (ratios: throughput of the first / the second; target >= ${TARGET} for L/sftp and L/ssh2; the floor is the leanest Node loop, bench/sftp-floor.mjs)`);
    console.log(`  run took ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return ok;
  } finally {
    await sftp.close().catch(() => {});
    await floor?.close().catch(() => {});
    await peer?.end().catch(() => {});
  }
}

await bench.finish(main);
