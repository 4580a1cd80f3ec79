import { createServer, Socket, type AddressInfo } from 'node:net';
import { PassThrough, Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandError, type OpenSSH } from '../../src/index.js';
import { connectForFile } from '../helpers/server.js';
import { expectTypeError } from '../helpers/expect-throw.js';

let ssh: OpenSSH;
beforeAll(async () => {
  ssh = await connectForFile();
});
afterAll(() => ssh.disconnect());

const readAll = async (r: NodeJS.ReadableStream): Promise<string> => {
  let s = '';
  for await (const c of r) s += String(c);
  return s;
};
const settle = <T>(p: Promise<T>) => p.then(() => undefined as unknown, (e: unknown) => e);

/** A connected pair of TCP sockets on 127.0.0.1: [ours, theirs]. */
async function tcpPair(): Promise<[Socket, Socket]> {
  // Half-open (the peer's end() must not end our side) and paused (Node must not read a socket whose fd ssh reads).
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const accepted = new Promise<Socket>((r) => server.once('connection', r));
  const ours = new Socket({ allowHalfOpen: true });
  await new Promise<void>((r) => ours.connect((server.address() as AddressInfo).port, '127.0.0.1', r));
  const theirs = await accepted;
  server.close();
  return [ours, theirs];
}

describe('open3socket', () => {
  it('stdin/stdout on the Duplex, stderr apart', async () => {
    const d = ssh.open3socket('tr a-z A-Z; echo to-stderr >&2');
    d.end('shout\n');
    const [out, err] = await Promise.all([readAll(d), readAll(d.stderr)]);
    expect(out).toBe('SHOUT\n');
    expect(err).toBe('to-stderr\n');
    const r = await d.done;
    expect(r.exitCode).toBe(0);
    // stderr went to the caller, not into the Result.
    expect(r.stderr).toBe('');
  });

  it('a failing command rejects done with a CommandError; both streams end', async () => {
    const d = ssh.open3socket('echo bad >&2; exit 3');
    d.end();
    const [failure, err] = await Promise.all([settle(readAll(d)), readAll(d.stderr)]);
    expect(err).toBe('bad\n');
    // Reading the Duplex throws the command's error, as with open2socket.
    const e = (await settle(d.done)) as CommandError;
    expect(failure).toBe(e);
    expect(e).toBeInstanceOf(CommandError);
    expect(e.code).toBe('OSSH_SLAVE_CMD_FAILED');
    expect(e.message).toBe('command failed with exit code 3: echo bad >&2; exit 3');
    expect(e.exitCode).toBe(3);
  });

  it('refuses options that would connect its streams', () => {
    expectTypeError(() => ssh.open3socket('cat', { stderrToStdout: true } as never), "option 'stderrToStdout' cannot be used with open3socket(): it connects stderr itself");
    expectTypeError(() => ssh.open3socket('cat', { stdinoutSocket: new PassThrough() } as never), "option 'stdinoutSocket' cannot be used with open3socket(): it connects stdin itself");
  });
});

describe('stdinoutSocket', () => {
  it("a TCP socket's data feeds the remote stdin and the remote stdout comes back on it, then EOF", async () => {
    const [ours, theirs] = await tcpPair();
    const run = ssh.run('tr a-z A-Z; echo done >&2', { stdinoutSocket: theirs });
    ours.end('over the socket\n');
    expect(await readAll(ours)).toBe('OVER THE SOCKET\n');
    const r = await run;
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('done\n');
    theirs.destroy();
  });

  it("a socket's fd works the same way", async () => {
    const [ours, theirs] = await tcpPair();
    const fd = (theirs as unknown as { _handle: { fd: number } })._handle.fd;
    const sys = ssh.system('head -n 1 | rev', { stdinoutSocket: fd });
    ours.write('abc\n');
    await sys;
    ours.end();
    theirs.destroy();
    expect(await readAll(ours)).toBe('cba\n');
  });

  it('bad values and conflicts are TypeErrors naming the options', () => {
    expectTypeError(() => ssh.run('cat', { stdinoutSocket: 'sock' as never }), "option 'stdinoutSocket' must be a Duplex stream (such as a net.Socket) or the file descriptor of a socket, received string \"sock\"");
    const d = Duplex.from({ readable: new PassThrough(), writable: new PassThrough() });
    expectTypeError(() => ssh.run('cat', { stdinoutSocket: d, stdinData: 'x' }), "options 'stdinData' and 'stdinoutSocket' both set the stdin; give only one of them");
    expectTypeError(() => ssh.run('cat', { stdinoutSocket: d, stdoutDiscard: true }), "options 'stdoutDiscard' and 'stdinoutSocket' both set the stdout; give only one of them");
    expectTypeError(() => ssh.capture('cat', { stdinoutSocket: d }), "option 'stdinoutSocket' cannot be used here: this method captures stdout itself (use run() or system())");
    expectTypeError(() => ssh.run('cat', { stdinoutSocket: d, stdinoutDpipe: ['cat'] }), "options 'stdinoutSocket' and 'stdinoutDpipe' cannot be used together: both connect stdin and stdout");
  });
});
