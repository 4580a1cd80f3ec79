// Streams over one master: upload and download with sha256 checks, a line-by-line loop, a
// bc conversation over open2, open3 with stderr apart, and a local command joined to a
// remote one. Starts a throwaway sshd on 127.0.0.1 and cleans up (also on Ctrl-C).
// Run: npm run build && node examples/streams.mjs
import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CommandError, OpenSSH } from '../dist/index.js';
import { startSshd } from '../dist/testing/index.js';

let server;
let ssh;
const cleanup = async () => {
  await ssh?.disconnect();
  await server?.stop();
};
process.once('SIGINT', () => cleanup().then(() => process.exit(130)));

/** Read from a stream until a newline arrives. */
function readLine(stream) {
  return new Promise((resolve) => {
    let got = '';
    const onData = (c) => {
      got += c;
      if (!got.includes('\n')) return;
      stream.off('data', onData).pause();
      resolve(got.trimEnd());
    };
    stream.on('data', onData).resume();
  });
}

try {
  server = await startSshd();
  ssh = await OpenSSH.connect(server.target(), server.connectOptions());

  // 1. Upload 32 MiB through pipeIn(); the remote sha256sum must match ours.
  const data = randomBytes(32 * 1024 * 1024);
  const up = ssh.pipeIn('sha256sum');
  await pipeline(Readable.from([data]), up);
  const remoteSum = (await up.done).stdout.split(' ')[0];
  const localSum = createHash('sha256').update(data).digest('hex');
  console.log(`pipeIn : 32 MiB up, sha256 ${remoteSum === localSum ? 'matches' : 'DIFFERS'}`);

  // 2. Download 32 MiB through pipeOut(), hashing as it arrives (memory stays flat).
  const hash = createHash('sha256');
  const sink = new Writable({ write: (c, _e, cb) => (hash.update(c), cb()) });
  await pipeline(ssh.pipeOut('head -c 33554432 /dev/zero'), sink);
  const zeros = createHash('sha256').update(Buffer.alloc(32 * 1024 * 1024)).digest('hex');
  console.log(`pipeOut: 32 MiB down, sha256 ${hash.digest('hex') === zeros ? 'matches' : 'DIFFERS'}`);

  // 3. Line by line; the exit status is checked when the loop ends.
  let count = 0;
  for await (const line of ssh.lines('seq 1 5000')) count += Number(line) > 0 ? 1 : 0;
  console.log(`lines  : ${count} lines`);
  try {
    for await (const line of ssh.lines('echo one; exit 3')) console.log(`lines  : got ${JSON.stringify(line)}`);
  } catch (e) {
    if (!(e instanceof CommandError)) throw e;
    console.log(`lines  : then the loop threw ${e.code} (exit ${e.exitCode})`);
  }

  // 4. A conversation with bc over open2().
  const bc = await ssh.open2('bc -l');
  for (const q of ['2^64', 'scale=5; 4*a(1)']) {
    bc.stdin.write(`${q}\n`);
    console.log(`open2  : ${q} = ${await readLine(bc.stdout)}`);
  }
  bc.stdin.end();
  await bc.done;

  // 5. open3(): stderr apart from stdout.
  const p = await ssh.open3('read name; echo "hello $name"; echo "warning: $name" >&2');
  p.stdin.end('world\n');
  const [out, err] = await Promise.all([readLine(p.stdout), readLine(p.stderr)]);
  await p.done;
  console.log(`open3  : stdout ${JSON.stringify(out)}, stderr ${JSON.stringify(err)}`);

  // 6. A local command joined to a remote one: local stdout -> remote stdin, and back.
  await ssh.system(['tr', 'a-z', 'A-Z'], {
    stdinoutDpipe: ['sh', '-c', 'echo "shout this" ; exec >&- ; read answer ; echo "dpipe  : remote said $answer" >&2'],
  });
} finally {
  await cleanup();
}
