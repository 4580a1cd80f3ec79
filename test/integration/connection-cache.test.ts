import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AbortError, ConnectionCache, ConnectionCacheError, Fleet, MasterError, OpenSSH, TimeoutError, defaultConnectionCache, type HostSpec, type OpenSSHOptions } from '../../src/index.js';
import { alive, waitGone, sshProcsIn } from '../helpers/processes.js';
import { baseOptions, sshd, target } from '../helpers/server.js';
import { rejection } from '../helpers/expect-throw.js';

let ctlDir: string;
let silent: Server;
let silentPort: number;
const sockets = new Set<Socket>();
const caches: ConnectionCache[] = [];

/** ssh processes using this file's private ControlPath directory. */
const sshProcs = () => sshProcsIn(ctlDir);

const opts = (extra: OpenSSHOptions = {}): OpenSSHOptions => ({ ...baseOptions(), ctlDir, ...extra });
const cache = (o: ConstructorParameters<typeof ConnectionCache>[0] = {}): ConnectionCache => {
  const c = new ConnectionCache(o);
  caches.push(c);
  return c;
};

/** Poll (generous bound, never a timing assertion) until `cond` holds; resolve with whether it did. */
async function eventually(cond: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
  return cond();
}

beforeAll(async () => {
  ctlDir = mkdtempSync(join(sshd().dir, 'cache-ctl-'));
  silent = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  silentPort = await new Promise<number>((resolve) => silent.listen(0, '127.0.0.1', () => resolve((silent.address() as { port: number }).port)));
});

afterEach(async () => {
  for (const c of caches.splice(0)) await c.close();
  await defaultConnectionCache().clear();
  // No master or slave outlives a test.
  expect(await eventually(() => sshProcs().masters + sshProcs().slaves === 0, 5000)).toBe(true);
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent.close(r));
  rmSync(ctlDir, { recursive: true, force: true });
});

describe('ConnectionCache on the test sshd', () => {
  it('reuse: an equal target and options get the same connected object, one master, one login', async () => {
    const c = cache();
    const a = await c.get(target(), opts());
    expect(a).toBeInstanceOf(OpenSSH);
    expect(a.state).toBe('running');
    const pid = a.masterPid!;
    // The same target written another way: user and port as options.
    const { port, host } = sshd();
    const b = await c.get(host, opts({ user: a.user, port }));
    expect(b).toBe(a);
    expect(b.masterPid).toBe(pid);
    expect(await b.capture('echo hi')).toBe('hi\n');
    expect(c.size).toBe(1);
    expect(sshProcs().masters).toBe(1);
  });

  it('different options give different connections', async () => {
    const c = cache();
    const a = await c.get(target(), opts({ vars: { ROLE: 'a' } }));
    const b = await c.get(target(), opts({ vars: { ROLE: 'b' } }));
    const a2 = await c.get(target(), opts({ vars: { ROLE: 'a' } }));
    expect(b).not.toBe(a);
    expect(b.masterPid).not.toBe(a.masterPid);
    expect(a2).toBe(a);
    expect(c.size).toBe(2);
    expect(sshProcs().masters).toBe(2);
  });

  it('concurrent get() calls for one key share one login', async () => {
    const c = cache();
    const all = await Promise.all(Array.from({ length: 6 }, () => c.get(target(), opts())));
    for (const s of all) expect(s).toBe(all[0]);
    expect(c.size).toBe(1);
    expect(sshProcs().masters).toBe(1);
  });

  it('a master that died is replaced transparently by a new login', async () => {
    const c = cache();
    const a = await c.get(target(), opts());
    const pid = a.masterPid!;
    process.kill(pid, 'SIGKILL');
    expect(await waitGone(pid)).toBe(true);
    const b = await c.get(target(), opts());
    expect(b).not.toBe(a);
    expect(b.state).toBe('running');
    expect(b.masterPid).not.toBe(pid);
    expect(await b.capture('echo new')).toBe('new\n');
    expect(c.size).toBe(1);
  });

  it('a master that died unnoticed (socket gone, -O check fails) is replaced too', async () => {
    const c = cache();
    const a = await c.get(target(), opts());
    const pid = a.masterPid!;
    // The process is stopped, not dead: only the alive check can tell.
    process.kill(pid, 'SIGSTOP');
    rmSync(a.ctlPath!, { force: true });
    try {
      const b = await c.get(target(), opts());
      expect(b).not.toBe(a);
      expect(b.masterPid).not.toBe(pid);
      expect(await b.capture('echo ok')).toBe('ok\n');
    } finally {
      if (alive(pid)) process.kill(pid, 'SIGCONT');
    }
    expect(await waitGone(pid)).toBe(true);
  });

  it('a connection its user disconnected is dropped: the next get() logs in again', async () => {
    const c = cache();
    const a = await c.get(target(), opts());
    await a.disconnect();
    const b = await c.get(target(), opts());
    expect(b).not.toBe(a);
    expect(b.state).toBe('running');
    expect(c.size).toBe(1);
  });

  it('a failed login is not cached: each call tries again and rejects with its MasterError', async () => {
    const c = cache();
    const bad = opts({ keyPath: join(sshd().dir, 'no-such-key'), connectTimeout: 10_000 });
    const [e1, e2] = await Promise.all([rejection<MasterError>(c.get(target('nosuchuser'), bad)), rejection<MasterError>(c.get(target('nosuchuser'), bad))]);
    // Concurrent calls share the one attempt.
    expect(e2).toBe(e1);
    expect(e1).toBeInstanceOf(MasterError);
    expect(e1.code).toBe('OSSH_MASTER_FAILED');
    expect(e1.reason).toBe('auth');
    expect(c.size).toBe(0);
    const e3 = await rejection<MasterError>(c.get(target('nosuchuser'), bad));
    expect(e3).not.toBe(e1);
    expect(e3.reason).toBe('auth');
    expect(c.size).toBe(0);
  });

  it('LRU: past maxSize the least recently used connection not in use is disconnected', async () => {
    const c = cache({ maxSize: 2 });
    const a = await c.get(target(), opts({ vars: { N: 1 } }));
    const b = await c.get(target(), opts({ vars: { N: 2 } }));
    // a is used again: b becomes the least recently used.
    expect(await c.get(target(), opts({ vars: { N: 1 } }))).toBe(a);
    const bPid = b.masterPid!;
    const d = await c.get(target(), opts({ vars: { N: 3 } }));
    expect(c.size).toBe(2);
    expect(b.state).toBe('gone');
    expect((b.error as MasterError).reason).toBe('disconnected');
    expect(await waitGone(bPid)).toBe(true);
    expect(a.state).toBe('running');
    expect(d.state).toBe('running');
    expect(sshProcs().masters).toBe(2);
  });

  it('never evicts a connection in use: a running command, or a lease; the cache shrinks back once released', async () => {
    const c = cache({ maxSize: 1 });
    const a = await c.get(target(), opts({ vars: { N: 1 } }));
    const running = a.capture('sleep 1; echo done');
    expect(await eventually(() => a.activeSessions === 1)).toBe(true);
    const lease = await c.acquire(target(), opts({ vars: { N: 2 } }));
    // Both in use: the cache is over maxSize rather than kill a command.
    expect(c.size).toBe(2);
    expect(a.state).toBe('running');
    expect(await running).toBe('done\n');
    expect(a.activeSessions).toBe(0);
    // The lease's connection is in use: a third one evicts a (idle now), not it.
    const d = await c.get(target(), opts({ vars: { N: 3 } }));
    expect(a.state).toBe('gone');
    expect(lease.ssh.state).toBe('running');
    expect(c.size).toBe(2);
    // Released: the least recently used one not in use (d) goes, back to maxSize.
    lease.release();
    lease.release();
    expect(c.size).toBe(1);
    expect(await eventually(() => d.state === 'gone')).toBe(true);
    expect(lease.ssh.state).toBe('running');
  });

  it('idleTimeout: a connection unused that long is disconnected; a leased one is not', async () => {
    const c = cache({ idleTimeout: 200 });
    const leased = await c.acquire(target(), opts({ vars: { N: 1 } }));
    const idle = await c.get(target(), opts({ vars: { N: 2 } }));
    const pid = idle.masterPid!;
    expect(await eventually(() => idle.state === 'gone')).toBe(true);
    expect(await waitGone(pid)).toBe(true);
    expect(c.size).toBe(1);
    // Held through several periods: still there.
    await new Promise((r) => setTimeout(r, 700));
    expect(leased.ssh.state).toBe('running');
    leased.release();
    expect(await eventually(() => leased.ssh.state === 'gone')).toBe(true);
    expect(c.size).toBe(0);
  });

  it('the idle timers never keep the process alive (a child using the built package exits on its own)', () => {
    const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
    if (!existsSync(dist)) throw new Error('dist/ is missing: run `npm run build` first (npm test builds)');
    const script = `
      import { ConnectionCache } from ${JSON.stringify(dist)};
      const c = new ConnectionCache({ idleTimeout: 600000 });
      const ssh = await c.get(${JSON.stringify(target())}, ${JSON.stringify(opts())});
      console.log(await ssh.capture('echo up'));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(out).toBe('up\n\n');
  });

  it('clear() disconnects every connection and the cache stays usable; close() refuses later calls', async () => {
    const c = cache();
    const a = await c.get(target(), opts({ vars: { N: 1 } }));
    const lease = await c.acquire(target(), opts({ vars: { N: 2 } }));
    const pids = [a.masterPid!, lease.ssh.masterPid!];
    await c.clear();
    expect(c.size).toBe(0);
    expect(a.state).toBe('gone');
    expect(lease.ssh.state).toBe('gone');
    for (const pid of pids) expect(await waitGone(pid)).toBe(true);
    lease.release();
    const b = await c.get(target(), opts({ vars: { N: 1 } }));
    expect(b).not.toBe(a);
    await c.close();
    expect(b.state).toBe('gone');
    const e = await rejection<ConnectionCacheError>(c.get(target(), opts()));
    expect(e).toBeInstanceOf(ConnectionCacheError);
    expect(e.code).toBe('OSSH_CACHE_CLOSED');
  });

  it('close() during a login: the waiting call rejects with ConnectionCacheError, its cause the MasterError', async () => {
    const c = cache();
    const p = c.get(target(), opts());
    await c.close();
    const e = await rejection<ConnectionCacheError>(p);
    expect(e.code).toBe('OSSH_CACHE_CLOSED');
    expect(e.message).toBe('the connection cache is closed');
    expect((e.cause as MasterError).reason).toBe('disconnected');
  });

  it('a cancelled wait abandons a login nobody else waits for (AbortError, nothing left)', async () => {
    const c = cache();
    const ac = new AbortController();
    const p = c.get(`127.0.0.1:${silentPort}`, opts({ connectTimeout: 30_000 }), { signal: ac.signal });
    expect(await eventually(() => sshProcs().masters === 1)).toBe(true);
    ac.abort(new Error('enough'));
    const e = await rejection<AbortError>(p);
    expect(e).toBeInstanceOf(AbortError);
    expect(e.code).toBe('OSSH_ABORTED');
    expect(e.message).toBe('the wait for a cached connection to 127.0.0.1 was cancelled');
    expect((e.cause as Error).message).toBe('enough');
    expect(c.size).toBe(0);
    expect(sshProcs().masters).toBe(0);
  });

  it('a lease discarded: out of the cache and disconnected', async () => {
    const c = cache();
    const lease = await c.acquire(target(), opts());
    const other = await c.acquire(target(), opts());
    expect(other.ssh).toBe(lease.ssh);
    await lease.discard();
    // Another lease still holds it: it is out of the cache, and closed when that one lets go.
    expect(c.size).toBe(0);
    expect(other.ssh.state).toBe('running');
    other.release();
    expect(await eventually(() => other.ssh.state === 'gone')).toBe(true);
  });

  it('OpenSSH.cached(): the default cache, Net::OpenSSH::ConnectionCache style', async () => {
    const a = await OpenSSH.cached(target(), opts());
    const b = await OpenSSH.cached(target(), opts());
    expect(b).toBe(a);
    expect(defaultConnectionCache().size).toBe(1);
    await defaultConnectionCache().clear();
    expect(a.state).toBe('gone');
  });
});

describe('Fleet with a cache', () => {
  const webs = (n: number): HostSpec[] => Array.from({ length: n }, (_, i) => ({ label: `web${i + 1}`, target: target() }));

  it('a second run reuses the masters of the first instead of logging in again; connections still bounds live masters', async () => {
    const fleet = new Fleet(webs(4), { defaults: opts(), connections: 2, cache: true });
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, sshProcs().masters)), 10);
    try {
      const first = await fleet.run(async (ssh) => ssh.masterPid!);
      expect(first.summary.ok).toBe(4);
      const pidOf = new Map(first.results.map((r) => [r.label, r.ok ? r.value : -1]));
      // Only the last `connections` hosts' masters are kept (maxSize 2): run those again.
      const kept = first.results.filter((r) => r.ok && alive(r.value)).map((r) => r.label);
      expect(kept).toHaveLength(2);
      const second = await fleet.run(async (ssh) => ssh.masterPid!, { hosts: kept });
      expect(second.summary.ok).toBe(2);
      expect(second.results.map((r) => r.ok && r.value)).toEqual(kept.map((l) => pidOf.get(l)));
      const third = await fleet.capture('echo %LABEL%');
      expect(third.results.map((r) => r.ok && r.value)).toEqual(['web1\n', 'web2\n', 'web3\n', 'web4\n']);
    } finally {
      clearInterval(sampler);
    }
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(2);
    expect(fleet.cache!.size).toBe(2);
    await fleet.close();
    expect(sshProcs().masters).toBe(0);
    // Ten logins in all: a generous bound for a loaded machine (an upper bound, not a timing).
  }, 90_000);

  it('a shared ConnectionCache: the same host reused across two runs (one login per host)', async () => {
    const shared = cache({ maxSize: 10 });
    const fleet = new Fleet(webs(3), { defaults: opts(), connections: 3, cache: shared });
    const first = await fleet.run(async (ssh) => ssh.masterPid);
    const second = await fleet.run(async (ssh) => ssh.masterPid);
    expect(second.results.map((r) => r.ok && r.value)).toEqual(first.results.map((r) => r.ok && r.value));
    expect(shared.size).toBe(3);
    expect(sshProcs().masters).toBe(3);
    await fleet.close();
    // Not the fleet's own cache: still there.
    expect(shared.size).toBe(3);
  });

  it('a host that timed out has its master discarded, not returned; the commands of the shortcuts get the host signal', async () => {
    const fleet = new Fleet(webs(2), { defaults: opts(), connections: 2, cache: true });
    const r = await fleet.capture('sleep 20', {}, { timeout: 1500 });
    expect(r.results.map((x) => x.status)).toEqual(['timed-out', 'timed-out']);
    expect(r.results[0]!.error).toBeInstanceOf(TimeoutError);
    expect(fleet.cache!.size).toBe(0);
    expect(await eventually(() => sshProcs().masters + sshProcs().slaves === 0)).toBe(true);
    await fleet.close();
  });
});
