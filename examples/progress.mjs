// File transfer with a progress bar: start a throwaway sshd on 127.0.0.1, connect once, copy
// a few files up and down with rsync and scp (bandwidth-limited so the bar has time to
// move), and draw each tool's progress in the terminal. Cleans everything up, also on Ctrl-C.
// Run with `npm run build && node examples/progress.mjs`.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenSSH } from '../dist/index.js';
import { startSshd } from '../dist/testing/index.js';

const MiB = 1024 * 1024;
const tty = process.stdout.isTTY === true;
const width = Math.max(20, Math.min(50, (process.stdout.columns ?? 80) - 50));

const human = (n) => (n === undefined ? '?' : n >= MiB ? `${(n / MiB).toFixed(1)} MiB` : `${(n / 1024).toFixed(0)} KiB`);

/** One line: [#######.......]  42%  1.2 MiB / 3.0 MiB  500 KiB/s  name */
function bar(p) {
  const pct = p.percent ?? 0;
  const filled = Math.round((pct / 100) * width);
  const rate = p.rate === undefined ? '' : `${human(p.rate)}/s`;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(pct)).padStart(3)}%  ${human(p.bytes)} / ${human(p.totalBytes)}  ${rate.padEnd(12)} ${p.file ?? ''}`;
}

function draw(p) {
  // On a terminal redraw the line in place; elsewhere print finished files only.
  if (tty) process.stdout.write(`\r\x1b[2K${bar(p)}${p.done ? '\n' : ''}`);
  else if (p.done) console.log(bar(p));
}

let server;
let ssh;
let work;
let cleaning;
async function cleanup() {
  cleaning ??= (async () => {
    await ssh?.disconnect();
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  })();
  return cleaning;
}
process.once('SIGINT', async () => {
  console.log('\ninterrupted: cleaning up');
  await cleanup();
  process.exit(130);
});

try {
  console.log('starting a throwaway sshd on 127.0.0.1 ...');
  server = await startSshd();
  ssh = await OpenSSH.connect(server.target(), server.connectOptions());
  console.log(`connected to 127.0.0.1:${server.port} as ${server.users[0].name}; master pid ${ssh.masterPid}\n`);

  // The "remote" side is this machine: a directory the server's user may write.
  work = mkdtempSync(join(tmpdir(), 'openssh-mux-progress-'));
  chmodSync(work, 0o777);
  for (const [name, size] of [['small.bin', 1 * MiB], ['medium.bin', 3 * MiB], ['large.bin', 6 * MiB]]) {
    writeFileSync(join(work, name), Buffer.alloc(size, name.length));
  }
  const up = join(work, 'uploaded');

  console.log('rsyncPut of three files at 40 Mbit/s, with onProgress:');
  await ssh.rsyncPut(['small.bin', 'medium.bin', 'large.bin'].map((f) => join(work, f)), `${up}-rsync/`, {
    bwlimit: 40_000,
    mkpath: true, // an rsync option by name: --mkpath
    onProgress: draw,
  });

  console.log('\nrsyncGet in the background, reading Transfer.progress:');
  const t = await ssh.rsyncGet(join(work, 'large.bin'), join(work, 'fetched.bin'), { async: true, progress: true, bwlimit: 40_000 });
  for await (const p of t.progress) draw(p);
  const r = await t.result;
  console.log(`done in ${(r.durationMs / 1000).toFixed(1)} s (rsync pid ${t.pid})`);

  console.log('\nscpPut (SFTP mode) at 40 Mbit/s: scp shows no progress off a terminal, so the library counts the bytes scp moves:');
  await ssh.scpPut(join(work, 'large.bin'), join(work, 'scp-copy.bin'), { bwlimit: 40_000, onProgress: draw });
} catch (err) {
  if (tty) process.stdout.write('\n');
  console.error(`failed: ${err.name} ${err.code ?? ''}: ${err.message}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
