import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect as netConnect, createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortError, ForwardError, MasterError, OpenSSH, TimeoutError, type PortForward } from '../../src/index.js';
import { nodeEngine, type Engine, type SpawnRequest } from '../../src/run/engine.js';
import { expectTypeError } from '../helpers/expect-throw.js';
import { connect, connectForFile, open, sshd } from '../helpers/server.js';

let ssh: OpenSSH;
let http: HttpServer;
let httpPort: number;
let dir: string;

function listen(server: Server | HttpServer, where: { host: string; port?: number } | { path: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen('path' in where ? where.path : { host: where.host, port: where.port ?? 0 }, () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? (a as AddressInfo).port : 0);
    });
  });
}
const close = (s: Server | HttpServer) => new Promise<void>((r) => s.close(() => r()));
const settle = <T>(p: Promise<T>) => p.then(() => undefined as unknown, (e: unknown) => e);

/** Run curl here: resolves with its stdout, rejects with its exit code and stderr. */
function curl(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['-sS', '--max-time', '10', ...args], { timeout: 15_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`curl exited ${String(err.code)}: ${stderr.trim()}`));
      else resolve(stdout);
    });
  });
}

/** Whether something accepts TCP connections on 127.0.0.1:port (or a Unix socket path). */
function accepts(where: number | string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = typeof where === 'number' ? netConnect(where, '127.0.0.1') : netConnect(where);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Poll until `accepts()` says `want` (a cancel is asynchronous on the master's side). */
async function waitAccepts(where: number | string, want: boolean): Promise<boolean> {
  for (let i = 0; i < 250; i++) {
    if ((await accepts(where)) === want) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/** A local TCP port nobody uses right now. */
async function freePort(): Promise<number> {
  const s = createServer();
  const port = await listen(s, { host: '127.0.0.1' });
  await close(s);
  return port;
}

beforeAll(async () => {
  ssh = await connectForFile();
  http = createHttpServer((req, res) => res.end(`hello from ${req.url}\n`));
  httpPort = await listen(http, { host: '127.0.0.1' });
  dir = mkdtempSync(join(tmpdir(), 'osmux-forward-'));
  chmodSync(dir, 0o755);
});
afterAll(async () => {
  await ssh.disconnect();
  await close(http);
  rmSync(dir, { recursive: true, force: true });
});

describe('local forwards (-L)', () => {
  it('picks a free local port when none is given; curl through it reaches the target; no fd is left', async () => {
    const fdCount = () => readdirSync('/proc/self/fd').length;
    const before = fdCount();
    const fwd = await ssh.forward({ type: 'local', targetHost: '127.0.0.1', targetPort: httpPort });
    expect(fwd.type).toBe('local');
    expect(fwd.bindAddress).toBe('127.0.0.1');
    expect(fwd.port).toBeGreaterThan(0);
    expect(fwd.spec).toBe(`127.0.0.1:${fwd.port}:127.0.0.1:${httpPort}`);
    expect(fwd.closed).toBe(false);
    expect(await curl(`http://127.0.0.1:${fwd.port}/local`)).toBe('hello from /local\n');
    await fwd.close();
    expect(fwd.closed).toBe(true);
    expect(await waitAccepts(fwd.port!, false)).toBe(true);
    await fwd.close(); // harmless
    for (let i = 0; i < 100 && fdCount() > before; i++) await new Promise((r) => setTimeout(r, 20));
    expect(fdCount()).toBeLessThanOrEqual(before);
  });

  it('listens on the port asked for; await using cancels it', async () => {
    const port = await freePort();
    {
      await using fwd = await ssh.forward({ type: 'local', port, targetHost: 'localhost', targetPort: httpPort });
      expect(fwd.port).toBe(port);
      expect(await curl(`http://127.0.0.1:${port}/asked`)).toBe('hello from /asked\n');
    }
    expect(await waitAccepts(port, false)).toBe(true);
  });

  it('binds an IPv6 address, bracketed in the spec', async (ctx) => {
    if (!(await canListen('::1'))) ctx.skip('loopback IPv6 (::1) is not usable on this machine');
    await using fwd = await ssh.forward({ type: 'local', bindAddress: '[::1]', targetHost: '127.0.0.1', targetPort: httpPort });
    expect(fwd.bindAddress).toBe('::1');
    expect(fwd.spec).toBe(`[::1]:${fwd.port}:127.0.0.1:${httpPort}`);
    expect(await curl(`http://[::1]:${fwd.port}/v6`)).toBe('hello from /v6\n');
  });

  it('listens on a Unix socket (path) and connects to one (targetPath); close() removes the socket', async () => {
    const target = join(dir, 'http.sock');
    const server = createHttpServer((req, res) => res.end(`unix ${req.url}\n`));
    await listen(server, { path: target });
    chmodSync(target, 0o777); // the remote user connects to it
    try {
      const path = join(dir, 'local.sock');
      const fwd = await ssh.forward({ type: 'local', path, targetPath: target });
      expect(fwd.port).toBeUndefined();
      expect(fwd.spec).toBe(`${path}:${target}`);
      expect(await curl('--unix-socket', path, 'http://x/sock')).toBe('unix /sock\n');
      await fwd.close();
      expect(await waitAccepts(path, false)).toBe(true);
      // ssh leaves the socket file behind; close() removes it.
      expect(existsSync(path)).toBe(false);
    } finally {
      await close(server);
    }
  });

  it('an AbortSignal cancels the forward', async () => {
    const ac = new AbortController();
    const fwd = await ssh.forward({ type: 'local', targetHost: '127.0.0.1', targetPort: httpPort, signal: ac.signal });
    expect(await curl(`http://127.0.0.1:${fwd.port}/`)).toBe('hello from /\n');
    ac.abort();
    expect(fwd.closed).toBe(true);
    await fwd.close(); // the same cancellation
    expect(await waitAccepts(fwd.port!, false)).toBe(true);
  });

  it('a port already in use is refused with a ForwardError naming the reason', async () => {
    const busy = createServer();
    const port = await listen(busy, { host: '127.0.0.1' });
    try {
      const e = (await settle(ssh.forward({ type: 'local', port, targetHost: '127.0.0.1', targetPort: httpPort }))) as ForwardError;
      expect(e).toBeInstanceOf(ForwardError);
      expect(e.code).toBe('OSSH_FORWARD_FAILED');
      expect(e.forwardType).toBe('local');
      expect(e.spec).toBe(`127.0.0.1:${port}:127.0.0.1:${httpPort}`);
      // In-process (MUX_C_OPEN_FWD): no ssh process, so no exit code and no argv.
      expect(e.exitCode).toBeUndefined();
      expect(e.argv).toBeUndefined();
      expect(e.message).toMatch(
        new RegExp(`^the master refused the local forward -L 127\\.0\\.0\\.1:${port}:127\\.0\\.0\\.1:${httpPort}: Port forwarding failed \\(master: bind \\[127\\.0\\.0\\.1\\]:${port}: Address already in use; `),
      );
      expect(ssh.error).toBe(e);
    } finally {
      await close(busy);
    }
  });
});

async function canListen(host: string): Promise<boolean> {
  const s = createServer();
  try {
    await listen(s, { host });
    await close(s);
    return true;
  } catch {
    return false;
  }
}

describe('remote forwards (-R)', () => {
  it('port 0: the server allocates a port, reported on the handle; curl on the remote side reaches our server', async () => {
    const fwd = await ssh.forward({ type: 'remote', targetHost: '127.0.0.1', targetPort: httpPort });
    expect(fwd.port).toBeGreaterThan(0);
    expect(fwd.bindAddress).toBeUndefined();
    expect(fwd.spec).toBe(`0:127.0.0.1:${httpPort}`);
    expect(await ssh.capture(['curl', '-sS', '--max-time', '10', `http://127.0.0.1:${fwd.port}/remote`])).toBe('hello from /remote\n');
    await fwd.close();
    expect(await waitAccepts(fwd.port!, false)).toBe(true);
  });

  it('two identical requests share one forwarding: it stays until the last handle closes', async () => {
    const a = await ssh.forward({ type: 'remote', targetHost: '127.0.0.1', targetPort: httpPort });
    const b = await ssh.forward({ type: 'remote', targetHost: '127.0.0.1', targetPort: httpPort });
    expect(b.port).toBe(a.port);
    await a.close();
    expect(await curl(`http://127.0.0.1:${b.port}/still`)).toBe('hello from /still\n');
    await b.close();
    expect(await waitAccepts(b.port!, false)).toBe(true);
  });

  it('a given bind address and port, to a local Unix socket (targetPath)', async () => {
    const target = join(dir, 'remote-target.sock');
    const server = createHttpServer((req, res) => res.end(`unix ${req.url}\n`));
    await listen(server, { path: target });
    try {
      const port = await freePort();
      await using fwd = await ssh.forward({ type: 'remote', bindAddress: '127.0.0.1', port, targetPath: target });
      expect(fwd.port).toBe(port);
      expect(fwd.spec).toBe(`127.0.0.1:${port}:${target}`);
      expect(await ssh.capture(['curl', '-sS', '--max-time', '10', `http://127.0.0.1:${port}/r`])).toBe('unix /r\n');
    } finally {
      await close(server);
    }
  });

  it('on the IPv6 loopback of the server, port 0 allocated there', async (ctx) => {
    if (!(await canListen('::1'))) ctx.skip('loopback IPv6 (::1) is not usable on this machine');
    await using fwd = await ssh.forward({ type: 'remote', bindAddress: '::1', targetHost: '127.0.0.1', targetPort: httpPort });
    expect(fwd.spec).toBe(`[::1]:0:127.0.0.1:${httpPort}`);
    expect(fwd.port).toBeGreaterThan(0);
    expect(await ssh.capture(['curl', '-sS', '--max-time', '10', `http://[::1]:${fwd.port}/v6`])).toBe('hello from /v6\n');
  });

  it('an AbortSignal cancels it', async () => {
    const ac = new AbortController();
    const fwd = await ssh.forward({ type: 'remote', targetHost: '127.0.0.1', targetPort: httpPort, signal: ac.signal });
    expect(await accepts(fwd.port!)).toBe(true);
    ac.abort();
    await fwd.close();
    expect(await waitAccepts(fwd.port!, false)).toBe(true);
  });

  it('a remote port already in use is refused with a ForwardError', async () => {
    const busy = createServer();
    const port = await listen(busy, { host: '127.0.0.1' });
    try {
      const e = (await settle(ssh.forward({ type: 'remote', bindAddress: '127.0.0.1', port, targetHost: '127.0.0.1', targetPort: httpPort }))) as ForwardError;
      expect(e).toBeInstanceOf(ForwardError);
      expect(e.code).toBe('OSSH_FORWARD_FAILED');
      expect(e.forwardType).toBe('remote');
      expect(e.message).toMatch(
        new RegExp(`^the master refused the remote forward -R 127\\.0\\.0\\.1:${port}:127\\.0\\.0\\.1:${httpPort}: remote port forwarding failed for listen port ${port}`),
      );
    } finally {
      await close(busy);
    }
  });
});

describe('dynamic forwards (-D)', () => {
  it('a SOCKS proxy: curl --socks5-hostname reaches localhost as the remote host resolves it', async () => {
    const fwd = await ssh.forward({ type: 'dynamic' });
    expect(fwd.spec).toBe(`127.0.0.1:${fwd.port}`);
    expect(fwd.targetHost).toBeUndefined();
    expect(await curl('--socks5-hostname', `127.0.0.1:${fwd.port}`, `http://localhost:${httpPort}/socks`)).toBe('hello from /socks\n');
    await fwd.close();
    expect(await waitAccepts(fwd.port!, false)).toBe(true);
  });

  it('an AbortSignal cancels it', async () => {
    const ac = new AbortController();
    const fwd = await ssh.forward({ type: 'dynamic', port: await freePort(), signal: ac.signal });
    expect(await curl('--socks5-hostname', `127.0.0.1:${fwd.port}`, `http://127.0.0.1:${httpPort}/`)).toBe('hello from /\n');
    ac.abort();
    await fwd.close();
    expect(await waitAccepts(fwd.port!, false)).toBe(true);
  });
});

describe('Unix socket paths (sent as strings: spaces and colons are fine)', () => {
  /** A directory the remote user (a non-root account when the tests run as root) can write. */
  let open777: string;
  beforeAll(() => {
    open777 = mkdtempSync(join(dir, 'sockets '));
    chmodSync(open777, 0o777);
  });

  it('local: listens on a path with a space, brackets and a colon, to a target path with a space; bytes go through', async () => {
    const target = join(open777, 'http target.sock');
    const server = createHttpServer((req, res) => res.end(`unix ${req.url}\n`));
    await listen(server, { path: target });
    chmodSync(target, 0o777);
    try {
      const path = join(dir, 'odd [name]:1.sock');
      const fwd = await ssh.forward({ type: 'local', path, targetPath: target });
      expect(fwd.path).toBe(path);
      expect(fwd.targetPath).toBe(target);
      expect(await curl('--unix-socket', path, 'http://x/odd')).toBe('unix /odd\n');
      await fwd.close();
      expect(await waitAccepts(path, false)).toBe(true);
      expect(existsSync(path)).toBe(false);
    } finally {
      await close(server);
    }
  });

  it('remote: listens on a remote socket path (with a space) to our TCP server; cancelForward takes it down', async () => {
    const path = join(open777, 'remote listen.sock');
    const fwd = await ssh.forward({ type: 'remote', path, targetHost: '127.0.0.1', targetPort: httpPort });
    expect(fwd.port).toBeUndefined();
    expect(fwd.spec).toBe(`${path}:127.0.0.1:${httpPort}`);
    expect(await ssh.capture(['curl', '-sS', '--max-time', '10', '--unix-socket', path, 'http://x/rsock'])).toBe('hello from /rsock\n');
    await ssh.cancelForward({ type: 'remote', path, targetHost: '127.0.0.1', targetPort: httpPort });
    expect(await waitAccepts(path, false)).toBe(true);
    // the handle's own cancel now finds nothing: the typed error
    const e = (await settle(fwd.close())) as ForwardError;
    expect(e).toBeInstanceOf(ForwardError);
    expect(e.code).toBe('OSSH_FORWARD_CANCEL_FAILED');
    expect(e.message).toBe(`the master could not cancel the remote forward -R ${path}:127.0.0.1:${httpPort}: port not forwarded`);
  });

  it('remote: socket to socket (path and targetPath)', async () => {
    const target = join(dir, 'local target.sock');
    const server = createHttpServer((req, res) => res.end(`local unix ${req.url}\n`));
    await listen(server, { path: target });
    try {
      const path = join(open777, 'r2.sock');
      await using fwd = await ssh.forward({ type: 'remote', path, targetPath: target });
      expect(fwd.spec).toBe(`${path}:${target}`);
      expect(await ssh.capture(['curl', '-sS', '--max-time', '10', '--unix-socket', path, 'http://x/both'])).toBe('local unix /both\n');
    } finally {
      await close(server);
    }
  });

  it('a local socket in a directory that is not writable is refused with a ForwardError naming the path and the reason', async (ctx) => {
    // The master runs as this user. Root writes into a 0555 directory all the same: as root
    // the directory is made immutable (chattr +i; ext4 and most Linux file systems have it).
    const ro = mkdtempSync(join(dir, 'ro-'));
    chmodSync(ro, 0o555);
    const root = process.geteuid?.() === 0;
    if (root && !(await run('chattr', ['+i', ro]))) ctx.skip('running as root and chattr +i does not work here: no directory is unwritable for root');
    const path = join(ro, 'x.sock');
    try {
      const e = (await settle(ssh.forward({ type: 'local', path, targetHost: '127.0.0.1', targetPort: httpPort }))) as ForwardError;
      expect(e).toBeInstanceOf(ForwardError);
      expect(e.code).toBe('OSSH_FORWARD_FAILED');
      expect(e.forwardType).toBe('local');
      expect(e.spec).toBe(`${path}:127.0.0.1:${httpPort}`);
      expect(e.message).toContain(`the master refused the local forward -L ${path}:127.0.0.1:${httpPort}: Port forwarding failed (master: `);
      expect(e.message).toContain(`cannot bind to path ${path}: ${root ? 'Operation not permitted' : 'Permission denied'}`);
    } finally {
      if (root) await run('chattr', ['-i', ro]);
    }
  });

  it('a remote socket in a directory the remote user cannot write is refused with a ForwardError', async (ctx) => {
    if (!sshd().isRoot) ctx.skip('needs the tests to run as root: the remote user is then another account');
    const ro = mkdtempSync(join(dir, 'remote-ro-'));
    chmodSync(ro, 0o755);
    const path = join(ro, 'x.sock');
    const e = (await settle(ssh.forward({ type: 'remote', path, targetHost: '127.0.0.1', targetPort: httpPort }))) as ForwardError;
    expect(e).toBeInstanceOf(ForwardError);
    expect(e.code).toBe('OSSH_FORWARD_FAILED');
    expect(e.forwardType).toBe('remote');
    expect(e.message).toMatch(new RegExp(`^the master refused the remote forward -R ${escape(path)}:127\\.0\\.0\\.1:${httpPort}: remote port forwarding failed for listen path ${escape(path)}`));
  });
});

/** Run a local program; resolves whether it exited 0. */
function run(file: string, args: string[]): Promise<boolean> {
  return new Promise((resolve) => execFile(file, args, { timeout: 10_000 }, (err) => resolve(!err)));
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('forwards and the master', () => {
  it('a disconnect takes every forward down; close() afterwards is harmless', async () => {
    const own = await connect();
    const local = await own.forward({ type: 'local', targetHost: '127.0.0.1', targetPort: httpPort });
    const remote = await own.forward({ type: 'remote', targetHost: '127.0.0.1', targetPort: httpPort });
    const dynamic = await own.forward({ type: 'dynamic' });
    const unix = await own.forward({ type: 'local', path: join(dir, 'gone.sock'), targetHost: '127.0.0.1', targetPort: httpPort });
    await own.disconnect();
    for (const f of [local, remote, dynamic]) expect(await waitAccepts(f.port!, false)).toBe(true);
    expect(await waitAccepts(unix.path!, false)).toBe(true);
    for (const f of [local, remote, dynamic, unix]) await f.close();
    expect(existsSync(unix.path!)).toBe(false);
  });

  it('no process is started for forward requests: they go over the control socket (MUX_C_OPEN_FWD/CLOSE_FWD)', async () => {
    const spawned: SpawnRequest[] = [];
    const recording: Engine = {
      spawn: (req) => {
        spawned.push(req);
        return nodeEngine.spawn(req);
      },
    };
    const own = await connect({ engine: recording });
    const before = spawned.length; // the master
    const local = await own.forward({ type: 'local', targetHost: '127.0.0.1', targetPort: httpPort });
    const remote = await own.forward({ type: 'remote', targetHost: '127.0.0.1', targetPort: httpPort });
    expect(remote.port).toBeGreaterThan(0);
    await local.close();
    await remote.close();
    await settle(own.cancelForward({ type: 'dynamic', port: 1 }));
    expect(spawned.slice(before).map((r) => r.args)).toEqual([]);
  });

  it('a master killed under a ready object: the request fails with the MasterError', async () => {
    const own = await connect();
    const pid = own.masterPid!;
    process.kill(pid, 'SIGKILL');
    const e = (await settle(own.forward({ type: 'dynamic' }))) as MasterError;
    expect(e).toBeInstanceOf(MasterError);
    expect(e.code).toBe('OSSH_MASTER_FAILED');
    // Either the alive check over the dead master's socket decided it, or the master's exit
    // was seen first (a race between SIGCHLD, the request and the check).
    if (e.reason === 'check') {
      expect(e.message).toBe(
        `the master connection is gone: unable to establish or keep the master SSH connection to 127.0.0.1: master check failed: unable to connect to the master's control socket ${own.ctlPath}: connect ECONNREFUSED ${own.ctlPath}`,
      );
    } else {
      expect(e.reason).toBe('exited');
      // The master's exit was seen either before the request (its sticky error, as is) or
      // while the failed request was being classified (then under the "connection is gone"
      // prefix, as every request that was already under way).
      expect(e.message).toMatch(
        /^(the master connection is gone: )?unable to establish or keep the master SSH connection to 127\.0\.0\.1: the master ssh process was killed by SIGKILL$/,
      );
    }
  });

  it("a master that died before the request: the master's own sticky MasterError (reason exited)", async () => {
    const own = await connect();
    process.kill(own.masterPid!, 'SIGKILL');
    // Let the object see the exit before asking.
    for (let i = 0; i < 100 && own.error === undefined; i++) await new Promise((r) => setTimeout(r, 20));
    const e = (await settle(own.forward({ type: 'dynamic' }))) as MasterError;
    expect(e).toBeInstanceOf(MasterError);
    expect([e.code, e.reason]).toEqual(['OSSH_MASTER_FAILED', 'exited']);
    expect(e.message).toBe('unable to establish or keep the master SSH connection to 127.0.0.1: the master ssh process was killed by SIGKILL');
  });

  it('a forward on a disconnected object is the MasterError', async () => {
    const own = await connect();
    await own.disconnect();
    const e = (await settle(own.forward({ type: 'dynamic' }))) as MasterError;
    expect(e).toBeInstanceOf(MasterError);
    expect(e.reason).toBe('disconnected');
  });

  it('a master that does not answer: timeout stops the request with a TimeoutError and nothing is left listening', async () => {
    const own = await connect();
    const port = await freePort();
    process.kill(own.masterPid!, 'SIGSTOP');
    let e: TimeoutError;
    try {
      e = (await settle(own.forward({ type: 'local', port, targetHost: '127.0.0.1', targetPort: httpPort, timeout: 300 }))) as TimeoutError;
    } finally {
      process.kill(own.masterPid!, 'SIGCONT');
    }
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.code).toBe('OSSH_SLAVE_TIMEOUT');
    expect(e.kind).toBe('deadline');
    expect(e.message).toBe(
      `the forward request got no answer from the master within 300 ms (timeout) for the local forward -L 127.0.0.1:${port}:127.0.0.1:${httpPort}; the request was stopped`,
    );
    // Awake again, the master must not hold a forwarding nobody has a handle for.
    await new Promise((r) => setTimeout(r, 500));
    expect(await accepts(port)).toBe(false);
  });

  it('an AbortSignal stops a pending request with an AbortError; an aborted one runs nothing', async () => {
    const own = await connect();
    const ac = new AbortController();
    process.kill(own.masterPid!, 'SIGSTOP');
    let e: AbortError;
    try {
      const p = settle(own.forward({ type: 'dynamic', signal: ac.signal }));
      setTimeout(() => ac.abort(new Error('changed my mind')), 100);
      e = (await p) as AbortError;
    } finally {
      process.kill(own.masterPid!, 'SIGCONT');
    }
    expect(e).toBeInstanceOf(AbortError);
    expect(e.code).toBe('OSSH_ABORTED');
    expect(e.message).toMatch(/^the forward request for the dynamic forward -D 127\.0\.0\.1:\d+ was aborted: changed my mind$/);
    // aborted while the master is still coming up: nothing is asked of it
    const starting = open();
    const ac3 = new AbortController();
    const p3 = settle(starting.forward({ type: 'local', port: 1, targetHost: 'h', targetPort: 2, signal: ac3.signal }));
    ac3.abort('too slow');
    const e3 = (await p3) as AbortError;
    expect(e3).toBeInstanceOf(AbortError);
    expect(e3.code).toBe('OSSH_ABORTED');
    expect(e3.message).toBe('the forward request for the local forward -L 127.0.0.1:1:h:2 was aborted: too slow');
    const e2 = (await settle(ssh.forward({ type: 'dynamic', signal: AbortSignal.abort('no') }))) as AbortError;
    expect(e2).toBeInstanceOf(AbortError);
    expect(e2.message).toBe('the forward request for the dynamic forward -D 127.0.0.1:0 was aborted: no');
  });
});

describe('cancelForward and failed cancels', () => {
  it('cancels a forward given in masterOpts', async () => {
    const port = await freePort();
    const own = await connect({ masterOpts: ['-L', `127.0.0.1:${port}:127.0.0.1:${httpPort}`] });
    expect(await curl(`http://127.0.0.1:${port}/opts`)).toBe('hello from /opts\n');
    await own.cancelForward({ type: 'local', port, targetHost: '127.0.0.1', targetPort: httpPort });
    expect(await waitAccepts(port, false)).toBe(true);
  });

  it('cancelling a forward the master does not have is a ForwardError', async () => {
    const port = await freePort();
    const e = (await settle(ssh.cancelForward({ type: 'local', port, targetHost: '127.0.0.1', targetPort: 1 }))) as ForwardError;
    expect(e).toBeInstanceOf(ForwardError);
    expect(e.code).toBe('OSSH_FORWARD_CANCEL_FAILED');
    expect(e.message).toBe(`the master could not cancel the local forward -L 127.0.0.1:${port}:127.0.0.1:1: port not forwarded`);
  });

  it('close() of a forward cancelled behind its back rejects with that ForwardError, every time', async () => {
    const fwd: PortForward = await ssh.forward({ type: 'dynamic' });
    await ssh.cancelForward({ type: 'dynamic', port: fwd.port! });
    const e = (await settle(fwd.close())) as ForwardError;
    expect(e).toBeInstanceOf(ForwardError);
    expect(e.code).toBe('OSSH_FORWARD_CANCEL_FAILED');
    expect(e.message).toBe(`the master could not cancel the dynamic forward -D 127.0.0.1:${fwd.port}: port not forwarded`);
    expect(await settle(fwd.close())).toBe(e);
  });
});

describe('option checks', () => {
  it('throws TypeErrors at once for bad forward options', () => {
    const t = { targetHost: 'h', targetPort: 80 };
    expectTypeError(() => ssh.forward(undefined as never), "forward() needs an options object such as { type: 'local', port: 8080, targetHost: 'db', targetPort: 5432 }, received undefined");
    expectTypeError(() => ssh.forward({ ...t } as never), "option 'type' must be one of 'local', 'remote', 'dynamic', received undefined");
    expectTypeError(() => ssh.forward({ type: 'sideways' } as never), "option 'type' must be one of 'local', 'remote', 'dynamic', received string \"sideways\"");
    expectTypeError(() => ssh.forward({ type: 'local', port: -1, ...t }), "option 'port' must be an integer port from 0 to 65535 (0: any free port), received number -1");
    expectTypeError(() => ssh.forward({ type: 'local', port: 65536, ...t }), "option 'port' must be an integer port from 0 to 65535 (0: any free port), received number 65536");
    expectTypeError(() => ssh.forward({ type: 'local', port: '80' as never, ...t }), "option 'port' must be an integer port from 0 to 65535 (0: any free port), received string \"80\"");
    expectTypeError(() => ssh.forward({ type: 'local', targetHost: 'h', targetPort: 0 }), "option 'targetPort' must be an integer port from 1 to 65535, received number 0");
    expectTypeError(() => ssh.forward({ type: 'local', bindAddress: 'a b', ...t }), "option 'bindAddress' must be a host name or IP address (or '*' for every address), received string \"a b\"");
    expectTypeError(() => ssh.forward({ type: 'local', targetHost: 'x:y/z', targetPort: 80 }), "option 'targetHost' must be a host name or IP address, received string \"x:y/z\"");
    expectTypeError(() => ssh.forward({ type: 'local', path: 'rel.sock', ...t }), "option 'path' must be an absolute Unix socket path (no NUL), received string \"rel.sock\"");
    expectTypeError(() => ssh.forward({ type: 'local', path: '/a\0b', ...t }), "option 'path' must be an absolute Unix socket path (no NUL), received string \"/a\\u0000b\"");
    expectTypeError(() => ssh.forward({ type: 'remote', port: 1, targetPath: 5 as never }), "option 'targetPath' must be an absolute Unix socket path (no NUL), received number 5");
    expectTypeError(() => ssh.forward({ type: 'local', path: '/a.sock', port: 1, ...t }), "options 'path' and 'port' cannot be used together: a forward listens on a Unix socket or on an address and port");
    expectTypeError(() => ssh.forward({ type: 'dynamic', path: '/a.sock' }), "option 'path' cannot be used with a dynamic forward: ssh's SOCKS proxy listens on a TCP port only");
    expectTypeError(() => ssh.forward({ type: 'dynamic', targetPort: 80 }), "option 'targetPort' cannot be used with a dynamic forward: the SOCKS client names the target of each connection");
    expectTypeError(() => ssh.forward({ type: 'local', targetHost: 'h' }), "a local forward needs 'targetHost' and 'targetPort' (or 'targetPath'), received undefined for 'targetPort'");
    expectTypeError(() => ssh.forward({ type: 'remote', targetPath: '/s', targetHost: 'h' }), "options 'targetPath' and 'targetHost' cannot be used together: a forward connects to a Unix socket or to a host and port");
    expectTypeError(() => ssh.forward({ type: 'dynamic', idleTimeout: 5 } as never), "option 'idleTimeout' cannot be used with forward(): the forwarded connections are carried by the master, which does not report their traffic");
    expectTypeError(() => ssh.forward({ type: 'dynamic', timeout: -5 }), "option 'timeout' must be a number of milliseconds from 0 to 2147483647, about 24.8 days (0 or Infinity: no limit), received number -5");
    expectTypeError(() => ssh.forward({ type: 'dynamic', signal: 'x' as never }), "option 'signal' must be an AbortSignal, received string \"x\"");
    expectTypeError(() => ssh.forward({ type: 'dynamic', host: 'x' } as never), /^unknown option 'host' for forward\(\); known options are: bindAddress, path, port, signal, targetHost, targetPath, targetPort, timeout, type$/);
    expectTypeError(() => ssh.cancelForward({ type: 'local', ...t }), "option 'port' of cancelForward() must be the port the local forward listens on, received undefined");
  });
});
