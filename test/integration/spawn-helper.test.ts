import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningProcess, SpawnRequest } from '../../src/run/engine.js';
import { nodeEngine } from '../../src/run/engine.js';
import { canServe, SpawnHelper } from '../../src/run/spawn-helper/spawner.js';
import { SocketPairFactory } from '../../src/run/spawn-helper/socket-pair.js';
import { alive, waitGone } from '../helpers/processes.js';

/** Everything a process wrote, once it is done. */
async function collect(p: RunningProcess): Promise<{ out: string; err: string; exit: Awaited<RunningProcess['exited']> }> {
  let out = '';
  let err = '';
  p.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exit = await p.exited;
  return { out, err, exit };
}

const sh = (script: string, stdio: SpawnRequest['stdio'] = ['ignore', 'pipe', 'pipe']): SpawnRequest => ({ file: 'sh', args: ['-c', script], stdio });
const fds = () => readdirSync('/proc/self/fd').length;

describe.runIf(process.platform === 'linux')('the spawn helper (processes started without forking this one)', () => {
  const helpers: SpawnHelper[] = [];
  const helper = () => {
    const h = new SpawnHelper();
    helpers.push(h);
    return h;
  };
  afterEach(() => {
    for (const h of helpers.splice(0)) h.stop();
  });

  it('runs a command: stdout and stderr apart, the exit code, a pid that is not this process', async () => {
    const h = helper();
    const p = await h.spawn(sh('echo out; echo err >&2; exit 3'));
    expect(p.pid).toBeGreaterThan(0);
    expect(p.pid).not.toBe(process.pid);
    expect(await collect(p)).toEqual({ out: 'out\n', err: 'err\n', exit: { exitCode: 3, signal: null, error: undefined } });
    // The helper is a separate process, not this one.
    expect(h.pid).toBeGreaterThan(0);
    expect(h.pid).not.toBe(process.pid);
  });

  it('feeds stdin, and the child sees EOF when it is ended', async () => {
    const p = await helper().spawn(sh('wc -c; cat >&2', ['pipe', 'pipe', 'pipe']));
    p.stdin!.end('x'.repeat(100_000));
    const r = await collect(p);
    expect(r.out.trim()).toBe('100000');
    expect(r.exit.exitCode).toBe(0);
  });

  it("gives the child what libuv gives it for 'pipe': a Unix socket", async () => {
    const r = await collect(await helper().spawn(sh('readlink /proc/self/fd/1')));
    expect(r.out).toMatch(/^socket:\[\d+\]\n$/);
  });

  it('passes the environment given, and this process environment otherwise', async () => {
    const h = helper();
    expect((await collect(await h.spawn({ ...sh('echo "$OSMUX_T"'), env: { OSMUX_T: 'given', PATH: process.env.PATH } }))).out).toBe('given\n');
    process.env.OSMUX_T = 'inherited';
    try {
      expect((await collect(await h.spawn(sh('echo "$OSMUX_T"')))).out).toBe('inherited\n');
    } finally {
      delete process.env.OSMUX_T;
    }
  });

  it('a program that cannot be started comes back through exited, as child_process reports it', async () => {
    const p = await helper().spawn({ file: 'openssh-mux-no-such-program', args: ['a'], stdio: ['ignore', 'pipe', 'pipe'] });
    expect(p.pid).toBeUndefined();
    expect(p.stdout).toBeNull();
    const { error } = await p.exited;
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: 'ENOENT', syscall: 'spawn openssh-mux-no-such-program', path: 'openssh-mux-no-such-program', message: 'spawn openssh-mux-no-such-program ENOENT' });
  });

  it('kill() signals the child; false once it is gone', async () => {
    const p = await helper().spawn(sh('echo ready; exec sleep 30'));
    await new Promise((r) => p.stdout!.once('data', r));
    expect(p.kill('SIGTERM')).toBe(true);
    const r = await collect(p);
    expect(r.exit).toMatchObject({ exitCode: null, signal: 'SIGTERM' });
    expect(p.kill('SIGKILL')).toBe(false);
  });

  it('a helper that dies kills what it started and settles it with an error; the next spawn starts a new helper', async () => {
    const h = helper();
    const p = await h.spawn(sh('exec sleep 30'));
    const first = h.pid!;
    process.kill(first, 'SIGKILL');
    const exit = await p.exited;
    expect(exit.error?.message).toBe('the process that starts commands (the spawn helper) stopped: killed by SIGKILL');
    expect(await waitGone(p.pid!)).toBe(true);
    const again = await collect(await h.spawn(sh('echo again')));
    expect(again.out).toBe('again\n');
    expect(h.pid).not.toBe(first);
  });

  it('a helper that does not answer (stopped) is killed after the reply timeout; the start fails, the next one works', async () => {
    const h = new SpawnHelper({ replyTimeoutMs: 3000 });
    helpers.push(h);
    await collect(await h.spawn(sh('true')));
    const stuck = h.pid!;
    process.kill(stuck, 'SIGSTOP');
    const p = await h.spawn(sh('echo never'));
    expect(p.pid).toBeUndefined();
    expect((await p.exited).error?.message).toBe('the process that starts commands (the spawn helper) stopped: it did not answer a start within 3000 ms and was killed');
    expect(await waitGone(stuck)).toBe(true);
    expect((await collect(await h.spawn(sh('echo next')))).out).toBe('next\n');
  });

  it('out of fds: a start fails with EMFILE (never hangs), leaks nothing, and the next one works', async () => {
    const fixture = fileURLToPath(new URL('../fixtures/spawn-helper-emfile.mjs', import.meta.url));
    if (!existsSync(fileURLToPath(new URL('../../dist/run/spawn-helper/spawner.js', import.meta.url)))) throw new Error('dist/ is missing: run the tests with `npm test` (it builds first)');
    const out = await new Promise<string>((resolve, reject) => {
      execFile('prlimit', ['--nofile=128:128', process.execPath, fixture], { timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
    });
    const r = JSON.parse(out) as { before: number; after: number; outcomes: string[]; last: string };
    expect(r.after).toBe(r.before);
    expect(r.last).toBe('after\n');
    // With no fd free the start fails; with enough it works; never anything else.
    expect(r.outcomes[0]).toMatch(/^EMFILE spawn echo$/);
    expect(r.outcomes.at(-1)).toBe('ok "hi\\n"');
    for (const o of r.outcomes) expect(o).toMatch(/^(EMFILE spawn echo|ok "hi\\n")$/);
  });

  it('stop() with a process still running kills it and settles it with an error', async () => {
    const h = helper();
    const p = await h.spawn(sh('exec sleep 30'));
    h.stop();
    const exit = await p.exited;
    expect(exit.error?.message).toBe('the spawn helper was stopped');
    expect(exit.signal).toBe('SIGKILL');
    expect(await waitGone(p.pid!)).toBe(true);
    expect(h.pid).toBeUndefined();
  });

  it('stops when idle and leaves no fd or process behind', async () => {
    const before = fds();
    const h = helper();
    await collect(await h.spawn(sh('true')));
    const pid = h.pid!;
    expect(alive(pid)).toBe(true);
    // Stopped after its idle delay (2 s); poll generously.
    for (let i = 0; i < 200 && h.pid !== undefined; i++) await new Promise((r) => setTimeout(r, 50));
    expect(h.pid).toBeUndefined();
    expect(await waitGone(pid)).toBe(true);
    expect(fds()).toBeLessThanOrEqual(before);
  });

  it("nodeEngine.spawnAsync uses it, and spawns here when a slot is an fd or 'inherit'", async () => {
    expect(canServe(sh('true'))).toBe(true);
    expect(canServe(sh('true', ['ignore', 'pipe', 'ignore']))).toBe(true);
    expect(canServe(sh('true', ['inherit', 'pipe', 'pipe']))).toBe(false);
    expect(canServe(sh('true', ['ignore', 7, 'pipe']))).toBe(false);
    expect(canServe(sh('true', ['ignore', 'pipe', 2]))).toBe(false);
    const r = await collect(await nodeEngine.spawnAsync!(sh('echo ok')));
    expect(r.out).toBe('ok\n');
    // An inherited slot: spawned by this process (its pid's parent is this process).
    const direct = await nodeEngine.spawnAsync!(sh('cat /proc/$$/stat', ['ignore', 'pipe', 'inherit']));
    const stat = (await collect(direct)).out;
    expect(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])).toBe(process.pid);
  });

  it('the helper ignores a Ctrl-C (SIGINT) and its commands go on', async () => {
    const h = helper();
    const p = await h.spawn(sh('sleep 0.3; echo done'));
    process.kill(h.pid!, 'SIGINT');
    expect((await collect(p)).out).toBe('done\n');
  });
});

describe.runIf(process.platform === 'linux')('SocketPairFactory', () => {
  it('pairs are connected both ways', async () => {
    const f = new SocketPairFactory();
    try {
      const p = await f.pair();
      p.theirs.resume();
      const got = new Promise<string>((r) => p.theirs.once('data', (d: Buffer) => r(d.toString())));
      p.mine.write('to theirs');
      expect(await got).toBe('to theirs');
      const back = new Promise<string>((r) => p.mine.once('data', (d: Buffer) => r(d.toString())));
      p.theirs.write('to mine');
      expect(await back).toBe('to mine');
      p.mine.destroy();
      p.theirs.destroy();
    } finally {
      f.close();
    }
  });

  it('a stranger connecting to the abstract address gets nothing and is dropped; pairs still work', async () => {
    const f = new SocketPairFactory();
    try {
      await f.pair().then((p) => (p.mine.destroy(), p.theirs.destroy()));
      const stranger = net.connect({ path: f.address });
      stranger.on('error', () => {});
      await new Promise((r) => stranger.once('connect', r));
      stranger.write('0123456789abcdef');
      await new Promise((r) => stranger.once('close', r));
      const p = await f.pair();
      expect(p.fd).toBeGreaterThan(2);
      p.mine.destroy();
      p.theirs.destroy();
    } finally {
      f.close();
    }
  });
});
