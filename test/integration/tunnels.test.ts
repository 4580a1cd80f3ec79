import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortError, CommandError, MasterError, OpenSSH, TimeoutError } from '../../src/index.js';
import { nodeEngine, type Engine, type SpawnRequest } from '../../src/run/engine.js';
import { startSshd, type TestServer } from '../../src/testing/index.js';
import { expectTypeError } from '../helpers/expect-throw.js';
import { waitGone } from '../helpers/processes.js';
import { connect, connectForFile, sshd, TEST_ENGINE } from '../helpers/server.js';

let ssh: OpenSSH;
let echo: Server;
let echoPort: number;
let http: HttpServer;
let httpPort: number;
/** A loopback port nothing listens on. */
let closedPort: number;

function listen<S extends Server | HttpServer>(server: S, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as AddressInfo).port));
  });
}
const close = (s: Server | HttpServer) => new Promise<void>((r) => s.close(() => r()));
const settle = <T>(p: Promise<T>) => p.then(() => undefined as unknown, (e: unknown) => e);

/** A TCP echo server: every connection gets back what it sends, and EOF after the client's. */
const echoServer = () => createServer({ allowHalfOpen: true }, (s) => s.pipe(s));

/** An echo server that says nothing, ever (for the idle timeout). */
const silentSockets = new Set<import('node:net').Socket>();

beforeAll(async () => {
  ssh = await connectForFile();
  echo = echoServer();
  echoPort = await listen(echo, '127.0.0.1');
  http = createHttpServer((req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(`hello from ${req.method} ${req.url}\n`);
  });
  httpPort = await listen(http, '127.0.0.1');
  const probe = createServer();
  closedPort = await listen(probe, '127.0.0.1');
  await close(probe);
});
afterAll(async () => {
  await ssh.disconnect();
  await Promise.all([close(echo), close(http)]);
});

/**
 * A tunnel whose open the server refuses: write to it, and expect `done` to reject with the
 * CommandError of a failed slave (exit 255). `errors` resolves, a tick later (when the stream
 * emits 'error'), with every error the stream emitted.
 */
async function refusedOpen(sock: ReturnType<OpenSSH['openTunnel']>): Promise<{ e: CommandError; errors: Promise<unknown[]> }> {
  const seen: unknown[] = [];
  sock.on('error', (err: unknown) => seen.push(err));
  sock.end('x');
  const e = (await settle(sock.done)) as CommandError;
  expect(e).toBeInstanceOf(CommandError);
  expect(e.code).toBe('OSSH_SLAVE_CMD_FAILED');
  expect(e.exitCode).toBe(255);
  return { e, errors: new Promise((r) => setImmediate(() => r(seen))) };
}

async function readAll(stream: AsyncIterable<Buffer | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

const fdCount = () => readdirSync('/proc/self/fd').length;

describe('openTunnel', () => {
  it('returns a Duplex at once that talks to a TCP echo server on 127.0.0.1 through ssh -W', async () => {
    const sock = ssh.openTunnel('127.0.0.1', echoPort);
    expect(sock.pid).toBeUndefined();
    sock.write('hello ');
    sock.end('tunnel\n');
    expect((await readAll(sock)).toString()).toBe('hello tunnel\n');
    const r = await sock.done;
    expect(r.exitCode).toBe(0);
    expect(r.argv).toContain('-W');
    expect(r.argv[r.argv.indexOf('-W') + 1]).toBe(`127.0.0.1:${echoPort}`);
    expect(await waitGone(sock.pid!)).toBe(true);
  });

  it('carries 8 MiB both ways unchanged, and leaves no process or fd behind', async () => {
    const before = fdCount();
    const data = randomBytes(8 * 1024 * 1024);
    const sock = ssh.openTunnel('127.0.0.1', String(echoPort), { encoding: 'buffer' });
    const back = readAll(sock);
    sock.end(data);
    const got = await back;
    expect(createHash('sha256').update(got).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    await sock.done;
    expect(await waitGone(sock.pid!)).toBe(true);
    for (let i = 0; i < 100 && fdCount() > before; i++) await new Promise((r) => setTimeout(r, 20));
    expect(fdCount()).toBeLessThanOrEqual(before);
  });

  it('brackets an IPv6 target: a server on ::1', async (ctx) => {
    const ip6 = readFileSync('/proc/net/if_inet6', 'utf8').includes('00000000000000000000000000000001');
    if (!ip6) ctx.skip('loopback IPv6 (::1) is not configured on this machine');
    const server = echoServer();
    const port = await listen(server, '::1');
    try {
      for (const host of ['::1', '[::1]']) {
        const sock = ssh.openTunnel(host, port);
        sock.end(`via ${host}`);
        expect((await readAll(sock)).toString()).toBe(`via ${host}`);
        const r = await sock.done;
        expect(r.argv[r.argv.indexOf('-W') + 1]).toBe(`[::1]:${port}`);
      }
    } finally {
      await close(server);
    }
  });

  it('a refused connection rejects done with the CommandError ssh reports', async () => {
    const { e, errors } = await refusedOpen(ssh.openTunnel('127.0.0.1', closedPort));
    // The spawn engine cannot know why; the mux engine has the server's reason.
    expect(e.message).toBe(
      TEST_ENGINE === 'mux'
        ? `tunnel to 127.0.0.1:${closedPort} failed: the server could not open the connection: Connection refused`
        : `tunnel to 127.0.0.1:${closedPort} failed: the server could not open the connection (refused, unreachable, unknown host or forbidden by the server; see masterLog)`,
    );
    // The stream hears it too ('error' is emitted on the next tick).
    expect(await errors).toEqual([e]);
  });

  it('an AbortSignal stops an open tunnel with an AbortError', async () => {
    const ac = new AbortController();
    const sock = ssh.openTunnel('127.0.0.1', echoPort, { signal: ac.signal });
    sock.on('error', () => {});
    sock.write('ping');
    const first = await new Promise<string>((r) => sock.once('data', (c) => r(String(c))));
    expect(first).toBe('ping');
    ac.abort(new Error('enough'));
    const e = (await settle(sock.done)) as AbortError;
    expect(e).toBeInstanceOf(AbortError);
    expect(e.code).toBe('OSSH_ABORTED');
    expect(e.message).toBe('the command was aborted: enough');
    expect(await waitGone(sock.pid!)).toBe(true);
  });

  it('idleTimeout stops a tunnel to a peer that never answers', async () => {
    const silent = createServer((s) => {
      silentSockets.add(s);
      s.on('close', () => silentSockets.delete(s));
    });
    const port = await listen(silent, '127.0.0.1');
    try {
      const sock = ssh.openTunnel('127.0.0.1', port, { idleTimeout: 300 });
      sock.on('error', () => {});
      sock.resume();
      const e = (await settle(sock.done)) as TimeoutError;
      expect(e).toBeInstanceOf(TimeoutError);
      expect(e.code).toBe('OSSH_SLAVE_TIMEOUT');
      expect(e.kind).toBe('idle');
      expect(e.message).toBe('ssh slave timed out: no data for 300 ms (idleTimeout); the slave was stopped');
    } finally {
      for (const s of silentSockets) s.destroy();
      await close(silent);
    }
  });

  it('timeout bounds the whole tunnel (deadline)', async () => {
    const sock = ssh.openTunnel('127.0.0.1', echoPort, { timeout: 300 });
    sock.on('error', () => {});
    sock.resume();
    const e = (await settle(sock.done)) as TimeoutError;
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.kind).toBe('deadline');
    expect(e.message).toBe('ssh slave timed out: still running after 300 ms (timeout); the slave was stopped');
  });

  it('refuses bad hosts, ports and options at once with TypeErrors', () => {
    expectTypeError(() => ssh.openTunnel('', 80), 'tunnel host must be a host name or IP address (no spaces or slashes), received ""');
    expectTypeError(() => ssh.openTunnel('a b', 80), 'tunnel host must be a host name or IP address (no spaces or slashes), received "a b"');
    expectTypeError(() => ssh.openTunnel(undefined as unknown as string, 80), 'tunnel host must be a host name or IP address (no spaces or slashes), received undefined');
    expectTypeError(() => ssh.openTunnel('h', 0), 'tunnel port must be an integer from 1 to 65535, received 0');
    expectTypeError(() => ssh.openTunnel('h', 65536), 'tunnel port must be an integer from 1 to 65535, received 65536');
    expectTypeError(() => ssh.openTunnel('h', 1.5), 'tunnel port must be an integer from 1 to 65535, received 1.5');
    expectTypeError(() => ssh.openTunnel('h', 'http'), 'tunnel port must be an integer from 1 to 65535, received "http"');
    expectTypeError(() => ssh.openTunnel('h', 80, { tunnel: true } as object), "option 'tunnel' cannot be used with openTunnel(): it always opens a tunnel");
    expectTypeError(() => ssh.captureTunnel('h', 80, { subsystem: true } as object), "option 'subsystem' cannot be used with captureTunnel(): it always opens a tunnel");
    expectTypeError(() => ssh.openTunnel('h', 80, { tty: true }), "option 'tty' cannot be used with 'tunnel': no remote shell command is run");
    expectTypeError(() => ssh.openTunnel('h', 80, { stdinData: 'x' }), "option 'stdinData' cannot be used with openTunnel(): it connects stdin itself");
    expectTypeError(() => ssh.captureTunnel('h', 80, 'x' as unknown as object), "option 'options' must be an object, received string \"x\"");
  });
});

describe('captureTunnel', () => {
  it('sends an HTTP request to a local HTTP server and returns the whole response', async () => {
    const res = await ssh.captureTunnel('127.0.0.1', httpPort, { stdinData: 'GET /through/the/tunnel HTTP/1.0\r\nHost: x\r\n\r\n' });
    expect(res).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(res).toMatch(/\r\n\r\nhello from GET \/through\/the\/tunnel\n$/);
  });

  it("reads the test sshd's banner, as in Net::OpenSSH's manual", async () => {
    // After its banner the server sends its binary key exchange offer: latin1 keeps every byte.
    const banner = await ssh.captureTunnel('127.0.0.1', sshd().port, { stdinData: 'SSH-2.0-x\r\n', encoding: 'latin1' });
    expect(banner).toMatch(/^SSH-2\.0-OpenSSH_\S+/);
  });

  it('returns a Buffer with encoding buffer', async () => {
    const res = await ssh.captureTunnel('127.0.0.1', echoPort, { stdinData: Buffer.from([0, 255, 10]), encoding: 'buffer' });
    expect(res).toEqual(Buffer.from([0, 255, 10]));
  });

  it('a refused connection rejects with the CommandError', async () => {
    const e = (await settle(ssh.captureTunnel('127.0.0.1', closedPort, { stdinData: 'x' }))) as CommandError;
    expect(e).toBeInstanceOf(CommandError);
    expect(e.code).toBe('OSSH_SLAVE_CMD_FAILED');
    // The spawn engine cannot know why; the mux engine has the server's reason.
    expect(e.message).toBe(
      TEST_ENGINE === 'mux'
        ? `tunnel to 127.0.0.1:${closedPort} failed: the server could not open the connection: Connection refused`
        : `tunnel to 127.0.0.1:${closedPort} failed: the server could not open the connection (refused, unreachable, unknown host or forbidden by the server; see masterLog)`,
    );
  });

  it('an aborted signal rejects with an AbortError', async () => {
    const e = (await settle(ssh.captureTunnel('127.0.0.1', echoPort, { stdinData: 'x', signal: AbortSignal.abort('no') }))) as AbortError;
    expect(e).toBeInstanceOf(AbortError);
    expect(e.message).toBe('the command was aborted: no');
  });
});

describe('tunnel: true on the core methods', () => {
  const cmd = () => ['127.0.0.1', String(echoPort)];

  it('run() and capture()', async () => {
    const r = await ssh.run(cmd(), { tunnel: true, stdinData: 'via run' });
    expect(r.stdout).toBe('via run');
    expect(r.argv).toContain(`127.0.0.1:${echoPort}`);
    expect(await ssh.capture(cmd(), { tunnel: true, stdinData: 'via capture' })).toBe('via capture');
  });

  it('system() with stdoutFile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'osmux-tunnel-'));
    try {
      await ssh.system(cmd(), { tunnel: true, stdinData: 'via system', stdoutFile: join(dir, 'out') });
      expect(readFileSync(join(dir, 'out'), 'utf8')).toBe('via system');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('spawn() with pipes', async () => {
    const p = await ssh.spawn(cmd(), { tunnel: true });
    p.stdin!.end('via spawn');
    expect((await p.result).stdout).toBe('via spawn');
  });

  it('a command that is not [host, port] is a TypeError', () => {
    expectTypeError(() => ssh.capture('127.0.0.1:80', { tunnel: true }), `with 'tunnel', the command must be [host, port] or [absolute Unix socket path], received "127.0.0.1:80"`);
    expectTypeError(() => ssh.capture(['h'], { tunnel: true }), `with 'tunnel', the command must be [host, port] or [absolute Unix socket path], received ["h"]`);
  });
});

describe('subsystem: true', () => {
  /** SSH_FXP_INIT, version 3 (draft-ietf-secsh-filexfer-02). */
  const FXP_INIT = Buffer.from([0, 0, 0, 5, 1, 0, 0, 0, 3]);

  it('talks to the sftp subsystem: INIT gets a VERSION 3 reply', async () => {
    const sock = ssh.open2socket('sftp', { subsystem: true, encoding: 'buffer' });
    sock.write(FXP_INIT);
    const reply = await new Promise<Buffer>((resolve) => {
      let buf = Buffer.alloc(0);
      sock.on('data', (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        if (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) resolve(buf);
      });
    });
    expect(reply[4]).toBe(2); // SSH_FXP_VERSION
    expect(reply.readUInt32BE(5)).toBe(3);
    expect(reply.includes(Buffer.from('posix-rename@openssh.com'))).toBe(true);
    sock.end();
    const r = await sock.done;
    expect(r.argv).toContain('-s');
    expect(r.argv.at(-1)).toBe('sftp');
  });

  it('an unknown subsystem is a CommandError', async () => {
    const e = (await settle(ssh.capture('no-such-subsystem', { subsystem: true }))) as CommandError;
    expect(e).toBeInstanceOf(CommandError);
    expect(e.code).toBe('OSSH_SLAVE_CMD_FAILED');
    expect(e.exitCode).toBe(255);
    expect(e.message).toBe(
      TEST_ENGINE === 'mux'
        ? 'subsystem no-such-subsystem failed: the server refused it, it probably does not offer it'
        : 'subsystem no-such-subsystem failed with exit code 255 and no message: the server probably does not offer it',
    );
  });

  it('a subsystem name that is not one word is a TypeError', () => {
    expectTypeError(() => ssh.capture('sftp; rm -rf /', { subsystem: true }), `with 'subsystem', the command must be a subsystem name such as 'sftp', received "sftp; rm -rf /"`);
    expectTypeError(() => ssh.capture('sftp', { subsystem: true, tunnel: true }), "options 'tunnel' and 'subsystem' cannot be used together: a call either forwards to host:port or opens a subsystem");
  });
});

/**
 * Tunnels to a remote Unix socket: a direct-streamlocal@openssh.com channel over the master's
 * socket on both engines (ssh 9.2's `-W` cannot reach a socket). On the spawn engine a
 * recording engine shows that no ssh process is started for them.
 */
describe.each(['spawn', 'mux'] as const)('Unix socket tunnels on the %s engine', (engine) => {
  let own: OpenSSH;
  let sockDir: string;
  let echoPath: string;
  let httpPath: string;
  const servers: Array<Server | HttpServer> = [];
  const spawned: SpawnRequest[] = [];
  const recording: Engine = {
    spawn: (req) => {
      spawned.push(req);
      return nodeEngine.spawn(req);
    },
  };
  /** Whether any process was spawned with `path` in its argv. */
  const spawnedFor = (path: string) => spawned.some((r) => r.args.includes(path) || r.args.some((a) => a.includes(path)));

  async function listenPath<S extends Server | HttpServer>(server: S, path: string, mode = 0o777): Promise<S> {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    chmodSync(path, mode); // the remote user (another account when the tests run as root) connects
    servers.push(server);
    return server;
  }

  beforeAll(async () => {
    own = await connectForFile({ engine: engine === 'mux' ? 'mux' : recording });
    sockDir = mkdtempSync(join(tmpdir(), 'osmux-sock-'));
    chmodSync(sockDir, 0o755);
    echoPath = join(sockDir, 'echo.sock');
    await listenPath(echoServer(), echoPath);
    httpPath = join(sockDir, 'docker like.sock');
    await listenPath(
      createHttpServer((req, res) => {
        res.setHeader('content-type', 'text/plain');
        res.end(`socket says ${req.method} ${req.url}\n`);
      }),
      httpPath,
    );
  });
  afterAll(async () => {
    await own?.disconnect();
    await Promise.all(servers.map(close));
    rmSync(sockDir, { recursive: true, force: true });
  });

  it('openTunnel(path): a Duplex to the remote socket, no process; 1 MiB goes both ways unchanged', async () => {
    const data = randomBytes(1024 * 1024);
    const sock = own.openTunnel(echoPath, { encoding: 'buffer' });
    const back = readAll(sock);
    sock.end(data);
    const got = await back;
    expect(createHash('sha256').update(got).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    const r = await sock.done;
    expect(r.exitCode).toBe(0);
    expect(sock.pid).toBeUndefined();
    // The Result shows the equivalent ssh command (valid for OpenSSH >= 9.4); none was run.
    expect(r.argv[r.argv.indexOf('-W') + 1]).toBe(echoPath);
    expect(spawnedFor(echoPath)).toBe(false);
  });

  it('captureTunnel(path): an HTTP request to a socket whose path has a space (as with the Docker socket)', async () => {
    const res = await own.captureTunnel(httpPath, { stdinData: 'GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n' });
    expect(res).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(res).toMatch(/\r\n\r\nsocket says GET \/_ping\n$/);
    expect(spawnedFor(httpPath)).toBe(false);
  });

  it('tunnel: true with [path] on capture()', async () => {
    expect(await own.capture([echoPath], { tunnel: true, stdinData: 'via capture' })).toBe('via capture');
  });

  const refusal = (path: string) =>
    `tunnel to the Unix socket ${path} failed: the server could not connect to it: open failed (connect failed); ` +
    "sshd gives this answer when the socket does not exist, when the remote user may not connect to it, and when its AllowStreamLocalForwarding forbids it (the server's log says which)";

  it('a socket that does not exist: CommandError naming the path and the server reason, on done and on the stream', async () => {
    const path = join(sockDir, 'none.sock');
    const { e, errors } = await refusedOpen(own.openTunnel(path));
    expect(e.message).toBe(refusal(path));
    expect(await errors).toEqual([e]);
  });

  it('a socket the remote user may not connect to: the same typed error', async (ctx) => {
    if (!sshd().isRoot) ctx.skip('needs the tests to run as root: the remote user is then another account');
    const path = join(sockDir, 'private.sock');
    await listenPath(echoServer(), path, 0o600);
    const e = (await settle(own.captureTunnel(path, { stdinData: 'x' }))) as CommandError;
    expect(e).toBeInstanceOf(CommandError);
    expect(e.code).toBe('OSSH_SLAVE_CMD_FAILED');
    expect(e.message).toBe(refusal(path));
  });

  it('an AbortSignal stops an open socket tunnel with an AbortError', async () => {
    const ac = new AbortController();
    const sock = own.openTunnel(echoPath, { signal: ac.signal });
    sock.on('error', () => {});
    sock.write('ping');
    expect(await new Promise<string>((r) => sock.once('data', (c) => r(String(c))))).toBe('ping');
    ac.abort(new Error('enough'));
    const e = (await settle(sock.done)) as AbortError;
    expect(e).toBeInstanceOf(AbortError);
    expect(e.code).toBe('OSSH_ABORTED');
    expect(e.message).toBe('the command was aborted: enough');
  });

  it('timeout bounds a socket tunnel (deadline)', async () => {
    const sock = own.openTunnel(echoPath, { timeout: 300 });
    sock.on('error', () => {});
    sock.resume();
    const e = (await settle(sock.done)) as TimeoutError;
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.code).toBe('OSSH_SLAVE_TIMEOUT');
    expect(e.kind).toBe('deadline');
    expect(e.message).toBe('ssh slave timed out: still running after 300 ms (timeout); the slave was stopped');
  });

  it('on a disconnected object: the MasterError', async () => {
    const gone = await connect({ engine: engine === 'mux' ? 'mux' : recording });
    await gone.disconnect();
    const e = (await settle(gone.captureTunnel(echoPath, { stdinData: 'x' }))) as MasterError;
    expect(e).toBeInstanceOf(MasterError);
    expect(e.code).toBe('OSSH_MASTER_FAILED');
    expect(e.reason).toBe('disconnected');
    expect(e.message).toMatch(/the connection was closed by disconnect\(\)/);
  });

  it('refuses bad socket forms at once with TypeErrors', () => {
    expectTypeError(() => own.openTunnel('/run/x.sock', 80 as never), 'openTunnel() to a Unix socket path takes no port: call openTunnel(path, options), received "/run/x.sock" and port 80');
    expectTypeError(() => own.captureTunnel('/run/x.sock', '80' as never), 'captureTunnel() to a Unix socket path takes no port: call captureTunnel(path, options), received "/run/x.sock" and port "80"');
    expectTypeError(() => own.openTunnel('/run/x.sock', {} as never, {} as never), 'openTunnel() to a Unix socket path takes (path, options), received a third argument');
    expectTypeError(() => own.openTunnel('/run/x\0.sock'), 'tunnel socket path must be an absolute Unix socket path (no NUL), received "/run/x\\u0000.sock"');
    expectTypeError(() => own.openTunnel('run/x.sock'), 'tunnel host must be a host name or IP address (no spaces or slashes), received "run/x.sock"');
    expectTypeError(() => own.openTunnel('/run/x.sock', { tunnel: true } as object), "option 'tunnel' cannot be used with openTunnel(): it always opens a tunnel");
    expectTypeError(
      () => own.openTunnel('/run/x.sock', { sshOpts: ['-v'] }),
      "a tunnel to the Unix socket /run/x.sock runs as a channel over the master's socket, not as an ssh process, and sshOpts are options of a local ssh process",
    );
    expectTypeError(() => own.capture(['h'], { tunnel: true }), `with 'tunnel', the command must be [host, port] or [absolute Unix socket path], received ["h"]`);
  });
});

describe.each(['spawn', 'mux'] as const)('Unix socket tunnels to a server with AllowStreamLocalForwarding no (%s engine)', (engine) => {
  let server: TestServer;
  let own: OpenSSH;
  let sockDir: string;
  let echo: Server;
  beforeAll(async () => {
    server = await startSshd({ config: ['AllowStreamLocalForwarding no'], users: sshd().isRoot ? [sshd().users[0]!] : undefined });
    own = await OpenSSH.connect(server.target(), { ...server.connectOptions(), engine });
    sockDir = mkdtempSync(join(tmpdir(), 'osmux-sock-'));
    chmodSync(sockDir, 0o755);
    echo = echoServer();
    await new Promise<void>((r) => echo.listen(join(sockDir, 'echo.sock'), r));
    chmodSync(join(sockDir, 'echo.sock'), 0o777);
  });
  afterAll(async () => {
    await own?.disconnect();
    await server?.stop();
    if (echo) await close(echo);
    rmSync(sockDir, { recursive: true, force: true });
  });

  it('a socket that exists is refused: the typed error naming the path and the server reason', async () => {
    const path = join(sockDir, 'echo.sock');
    const e = (await settle(own.captureTunnel(path, { stdinData: 'x' }))) as CommandError;
    expect(e).toBeInstanceOf(CommandError);
    expect(e.code).toBe('OSSH_SLAVE_CMD_FAILED');
    expect(e.message).toBe(
      `tunnel to the Unix socket ${path} failed: the server could not connect to it: open failed (connect failed); ` +
        "sshd gives this answer when the socket does not exist, when the remote user may not connect to it, and when its AllowStreamLocalForwarding forbids it (the server's log says which)",
    );
    // and the server did log why (the originator is the reserved, empty, string)
    expect(readFileSync(join(server.dir, 'sshd.log'), 'utf8')).toContain(`refused streamlocal port forward: originator  port 0, target ${path}`);
    // TCP tunnels are another setting (AllowTcpForwarding): they still work
    expect(await own.captureTunnel('127.0.0.1', echoPort, { stdinData: 'tcp ok' })).toBe('tcp ok');
  });
});
