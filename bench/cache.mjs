// What the connection cache saves, in one run:
//
//   (H) hit      await cache.get(target, opts) on a cached connection: key, state, -O check
//   (M) miss     the same call on an empty cache: a full login (then cache.clear())
//   (F) fleet    a second fleet.capture('true') over 10 hosts (connections 10), with
//                `cache: true` (masters reused) and without (each host logs in again)
//
// Usage: node bench/cache.mjs after npm run build.
//   BENCH_CACHE_N=30   runs of H and M (after 3 of warm-up); F runs 5 times each way
// Reports medians; no pass/fail thresholds (the machine may be shared).

import { loadavg } from 'node:os';
import { ConnectionCache, Fleet } from '../dist/index.js';
import { startSshd } from '../dist/testing/index.js';
import { BENCH_USER, envInt, median } from './common.mjs';

const N = envInt('BENCH_CACHE_N', 30);
const WARMUP = 3;
const HOSTS = 10;
const FLEET_RUNS = 5;

async function main() {
  const server = await startSshd({ users: [{ name: BENCH_USER, shell: '/bin/sh' }], maxSessions: 20 });
  const cache = new ConnectionCache();
  try {
    const opts = server.connectOptions();
    const target = server.target(BENCH_USER);
    const hit = [];
    const miss = [];
    await cache.get(target, opts);
    for (let i = 0; i < WARMUP + N; i++) {
      let t0 = performance.now();
      await cache.get(target, opts);
      const h = performance.now() - t0;
      await cache.clear();
      t0 = performance.now();
      await cache.get(target, opts);
      const m = performance.now() - t0;
      if (i >= WARMUP) {
        hit.push(h);
        miss.push(m);
      }
    }
    await cache.clear();
    const hosts = Array.from({ length: HOSTS }, (_, i) => ({ label: `h${i}`, target }));
    const second = async (useCache) => {
      const times = [];
      for (let r = 0; r < FLEET_RUNS; r++) {
        const fleet = new Fleet(hosts, { defaults: opts, connections: HOSTS, cache: useCache });
        await fleet.capture('true', {}, { reject: true });
        const t0 = performance.now();
        await fleet.capture('true', {}, { reject: true });
        times.push(performance.now() - t0);
        await fleet.close();
      }
      return median(times);
    };
    const withCache = await second(true);
    const without = await second(false);
    console.log(`\nconnection cache benchmark (${N} runs, load ${loadavg()[0].toFixed(2)})`);
    console.log(`  get() hit   median ${median(hit).toFixed(1).padStart(7)} ms`);
    console.log(`  get() miss  median ${median(miss).toFixed(1).padStart(7)} ms   (a login)`);
    console.log(`  fleet of ${HOSTS}, second capture('true'): cache ${withCache.toFixed(0)} ms, no cache ${without.toFixed(0)} ms (median of ${FLEET_RUNS})`);
  } finally {
    await cache.close();
    await server.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
