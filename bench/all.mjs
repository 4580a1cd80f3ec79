// `npm run bench`: every benchmark file in turn (after the build), each in its own Node
// process, whatever the one before reported. A file exits 1 when it missed one of its targets
// (or failed); the run goes on and ends with a summary, exiting 1 if any file did.
// (bench/sshfs.mjs needs FUSE and is run on its own: node bench/sshfs.mjs.)
//
// Usage: npm run bench            all of them
//        node bench/all.mjs mux shell    only these (names without .mjs), after npm run build

import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ALL = ['latency', 'throughput', 'transfer', 'sftp', 'output-file', 'fleet', 'shell', 'mux', 'burst', 'trace', 'connect', 'cache'];

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !ALL.includes(w));
if (unknown.length) {
  console.error(`unknown benchmark ${unknown.join(', ')}; known: ${ALL.join(', ')}`);
  process.exit(2);
}
// Ctrl-C: the running benchmark cleans up and exits; this process stays to print the summary.
process.on('SIGINT', () => {});
const here = dirname(fileURLToPath(import.meta.url));
const results = [];
for (const name of wanted.length ? wanted : ALL) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(here, `${name}.mjs`)], { stdio: 'inherit' });
  const secs = ((performance.now() - t0) / 1000).toFixed(0);
  results.push({ name, status: r.status, signal: r.signal, secs });
  // Ctrl-C reaches the child and us alike: stop after the child has cleaned up.
  if (r.signal === 'SIGINT' || r.status === 130) break;
}
console.log('\nnpm run bench: summary');
for (const { name, status, signal, secs } of results) {
  const how = status === 0 ? 'ok' : signal ? `killed by ${signal}` : status === null ? 'did not start' : `exit ${status}: a target missed or an error, see its output above`;
  console.log(`  ${`bench/${name}.mjs`.padEnd(24)} ${secs.padStart(4)} s  ${how}`);
}
process.exitCode = results.some((r) => r.status !== 0) ? 1 : 0;
