// Streaming throughput of openssh-mux against a bash pipeline over the same master.
//
//   download (L): ssh.pipeOut('head -c SIZE /dev/zero') read to the end by Node
//            (b): bash -c 'ssh -S <ctl> ... "head -c SIZE /dev/zero" >/dev/null'
//   upload   (L): ssh.pipeIn('cat >/dev/null') fed SIZE bytes by a Node Readable (1 MiB chunks)
//            (b): bash -c 'head -c SIZE /dev/zero | ssh -S <ctl> ... "cat >/dev/null"'
//
// The ratio is throughput(L) / throughput(b) = time(b) / time(L), medians over the runs.
// Target: at least 0.9. Peak RSS growth of this process during the library runs is also
// reported: backpressure keeps it flat whatever SIZE is.
//
// Usage: npm run bench   (runs bench/latency.mjs, then this file)
//   BENCH_MIB=512  size of each transfer in MiB (default 512)
//   BENCH_REPS=5   runs per variant and direction (default 5), interleaved
//
// The run starts its own throwaway sshd (dist/testing) and always disconnects, stops the
// sshd and removes its temp dir, also on SIGINT/SIGTERM/SIGHUP.

import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { benchRun, envInt, median, MiB } from './common.mjs';

const SIZE_MIB = envInt('BENCH_MIB', 512);
const SIZE = SIZE_MIB * MiB;
const REPS = envInt('BENCH_REPS', 5);
const TARGET = 0.9;

const bench = benchRun();

/** Peak RSS above the value at the start, sampled every 20 ms while `fn` runs. */
async function withPeakRss(fn) {
  const base = process.memoryUsage().rss;
  let peak = base;
  const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  try {
    const ms = await fn();
    return { ms, rssGrowth: Math.max(0, peak - base) };
  } finally {
    clearInterval(t);
  }
}

/** A Readable of `size` zero bytes in 1 MiB chunks (the same buffer, as `head -c` reads /dev/zero). */
function zeros(size) {
  const block = Buffer.alloc(MiB);
  let left = size;
  return new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const n = Math.min(MiB, left);
      left -= n;
      this.push(n === MiB ? block : block.subarray(0, n));
    },
  });
}

/** A Writable that counts and drops. */
function counter() {
  let bytes = 0;
  const stream = new Writable({
    write(chunk, _e, cb) {
      bytes += chunk.length;
      cb();
    },
  });
  return { stream, bytes: () => bytes };
}

async function main() {
  const started = performance.now();
  const session = await bench.start();
  if (!session) return undefined;
  const { ssh } = session;

  const down = `head -c ${SIZE} /dev/zero`;
  const up = 'cat >/dev/null';
  const downArgv = await ssh.makeRemoteCommand(down);
  const upArgv = await ssh.makeRemoteCommand(up);

  const variants = {
    'download L': async () => {
      const sink = counter();
      const t0 = performance.now();
      const r = ssh.pipeOut(down);
      await pipeline(r, sink.stream);
      await r.done;
      if (sink.bytes() !== SIZE) throw new Error(`download got ${sink.bytes()} bytes, expected ${SIZE}`);
      return performance.now() - t0;
    },
    'download b': () => bench.timeBash('exec "$@" >/dev/null', downArgv),
    'upload L': async () => {
      const t0 = performance.now();
      const w = ssh.pipeIn(up);
      await pipeline(zeros(SIZE), w);
      await w.done;
      return performance.now() - t0;
    },
    'upload b': () => bench.timeBash(`head -c ${SIZE} /dev/zero | "$@"`, upArgv),
  };
  const times = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  const rss = { download: 0, upload: 0 };

  // one warm-up of each, then REPS interleaved runs (library and floor alternate who goes first)
  for (const k of Object.keys(variants)) await variants[k]();
  for (let i = 0; i < REPS; i++) {
    for (const dir of ['download', 'upload']) {
      const order = i % 2 ? ['b', 'L'] : ['L', 'b'];
      for (const v of order) {
        const k = `${dir} ${v}`;
        if (v === 'L') {
          const { ms, rssGrowth } = await withPeakRss(variants[k]);
          times[k].push(ms);
          rss[dir] = Math.max(rss[dir], rssGrowth);
        } else {
          times[k].push(await variants[k]());
        }
      }
    }
  }

  const cpu = cpus();
  const v = spawnSync('ssh', ['-V'], { encoding: 'utf8' });
  console.log(`openssh-mux throughput: ${SIZE_MIB} MiB through pipeOut/pipeIn vs bash + ssh -S, loopback sshd`);
  console.log(`  OpenSSH : ${(v.stderr || v.stdout).trim()}`);
  console.log(`  Node    : ${process.version}`);
  console.log(`  CPU     : ${cpu.length} x ${cpu[0]?.model?.trim() ?? '?'} (load avg at end ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
  console.log(`  runs    : ${REPS} per variant after 1 warm-up, interleaved`);
  console.log('');
  console.log(`  ${'variant'.padEnd(14)}${'median ms'.padStart(11)}${'MiB/s'.padStart(9)}${'min ms'.padStart(9)}${'max ms'.padStart(9)}${'peak RSS +MiB'.padStart(15)}`);
  for (const [k, xs] of Object.entries(times)) {
    const m = median(xs);
    const growth = k.endsWith('L') ? (rss[k.split(' ')[0]] / MiB).toFixed(1) : '';
    console.log(
      `  ${k.padEnd(14)}${m.toFixed(0).padStart(11)}${((SIZE_MIB * 1000) / m).toFixed(0).padStart(9)}${Math.min(...xs).toFixed(0).padStart(9)}${Math.max(...xs).toFixed(0).padStart(9)}${growth.padStart(15)}`,
    );
  }
  console.log('');
  let ok = true;
  for (const dir of ['download', 'upload']) {
    const ratio = median(times[`${dir} b`]) / median(times[`${dir} L`]);
    ok &&= ratio >= TARGET;
    console.log(`  ${dir.padEnd(9)} throughput L/b = ${ratio.toFixed(3)}   target >= ${TARGET} -> ${ratio >= TARGET ? 'PASS' : 'FAIL'}`);
  }
  console.log(`  run took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return ok;
}

await bench.finish(main);
