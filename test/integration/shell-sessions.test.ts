import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortError, ErrorCode, Fleet, MasterError, ShellSessionError, TimeoutError, type OpenSSH } from '../../src/index.js';
import { baseOptions, connectForFile, target } from '../helpers/server.js';
import { connectEachShell, remoteShells, shellLabel } from '../helpers/remote-shells.js';
import { remoteAlive, remotePgrep } from '../helpers/shell-support.js';

let ssh: OpenSSH;
const unique = () => `${process.pid}${Date.now() % 100000}${Math.floor(Math.random() * 1000)}`;

beforeAll(async () => {
  ssh = await connectForFile();
});
afterAll(async () => {
  await ssh.disconnect();
});

describe('background jobs', () => {
  it('late output arriving between two commands is dropped, not given to the next command', async () => {
    await using sh = await ssh.shell();
    expect(await sh.capture('(sleep 0.3; echo late; echo late-err >&2) & echo started')).toBe('started\n');
    await new Promise((r) => setTimeout(r, 900));
    expect(await sh.capture2('echo mine')).toEqual({ stdout: 'mine\n', stderr: '' });
    expect(sh.strayBytes).toBe('late\nlate-err\n'.length);
  });

  it('late output arriving while a later command runs lands in that command (documented): redirect background jobs', async () => {
    await using sh = await ssh.shell();
    await sh.run('(sleep 0.3; echo late) &');
    expect(await sh.capture('sleep 1; echo mine')).toBe('late\nmine\n');
    await sh.run('(sleep 0.3; echo late) >/dev/null 2>&1 &');
    expect(await sh.capture('sleep 1; echo mine')).toBe('mine\n');
  });
});

describe('close()', () => {
  it('kills what the session left running, removes its directory, ends the shell', async () => {
    const sh = await ssh.shell();
    const [a, b] = [`sleep 3600.${unique()}1`, `sleep 3600.${unique()}2`];
    await sh.run(`${a} >/dev/null 2>&1 &`);
    await sh.run(`(${b} >/dev/null 2>&1 &)`);
    const dir = await sh.capture('printf %s "$__osmux_d"');
    const pid = sh.pid!;
    expect(await remotePgrep(ssh, a)).toHaveLength(1);
    expect(await remotePgrep(ssh, b)).toHaveLength(1);
    await sh.close();
    expect(sh.pid).toBeUndefined();
    expect(await remotePgrep(ssh, a)).toEqual([]);
    expect(await remotePgrep(ssh, b)).toEqual([]);
    expect(await remoteAlive(ssh, pid)).toBe(false);
    expect(await ssh.test(['test', '-e', dir])).toBe(false);
  });

  it('aborts the running command, rejects queued and later calls with OSSH_SHELL_CLOSED', async () => {
    const sh = await ssh.shell();
    const nap = `sleep 3600.${unique()}`;
    const running = sh.run(nap).catch((x: unknown) => x);
    const queued = sh.run('echo queued').catch((x: unknown) => x);
    await new Promise((r) => setTimeout(r, 300));
    await sh.close();
    expect(await running).toBeInstanceOf(AbortError);
    const q = (await queued) as ShellSessionError;
    expect(q).toBeInstanceOf(ShellSessionError);
    expect(q.code).toBe(ErrorCode.SHELL_CLOSED);
    expect(q.message).toBe('the shell session is closed');
    await expect(sh.run('true')).rejects.toMatchObject({ code: ErrorCode.SHELL_CLOSED });
    expect(await remotePgrep(ssh, nap)).toEqual([]);
    await sh.close();
  });
});

describe('the connection going away', () => {
  it('a running command fails with the MasterError, and so do later calls', async () => {
    const own = await connectForFile();
    try {
      const sh = await own.shell();
      const dir = await sh.capture('printf %s "$__osmux_d"');
      const nap = `sleep 3600.${unique()}`;
      const running = sh.run(nap).catch((x: unknown) => x);
      await new Promise((r) => setTimeout(r, 200));
      process.kill(own.masterPid!, 'SIGKILL');
      const e = (await running) as MasterError;
      expect(e).toBeInstanceOf(MasterError);
      expect(e.code).toBe(ErrorCode.MASTER_FAILED);
      await expect(sh.run('true')).rejects.toBeInstanceOf(MasterError);
      await sh.close();
      // Without a pty nothing tells the remote side: the command runs on until it ends, as
      // any command of a dead connection. Clean it up over the file's connection.
      const left = await remotePgrep(ssh, nap);
      expect(left).toHaveLength(1);
      await ssh.run(['kill', ...left.map(String)]);
      // The shell then gets SIGPIPE writing to the dead channel: its PIPE trap exits through
      // the EXIT trap, which removes its private directory (it used to be left behind).
      let gone = false;
      for (let i = 0; i < 100 && !gone; i++) {
        gone = !(await ssh.test(['test', '-e', dir]));
        if (!gone) await new Promise((r) => setTimeout(r, 50));
      }
      if (!gone) await ssh.run(['rm', '-rf', '--', dir]);
      expect(gone).toBe(true);
    } finally {
      await own.disconnect();
    }
  });
});

/** Local ssh slaves (`ssh ... -S <ctlPath> ...` that are not the master) on `ctlPath`, from /proc. */
function localSlaves(ctlPath: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${name}/cmdline`, 'latin1').split('\0');
    } catch {
      continue;
    }
    if (args.includes(ctlPath) && args.includes('ControlMaster=no')) found.push(Number(name));
  }
  return found;
}

describe.runIf(process.platform === 'linux')("engine: 'mux'", () => {
  it('the session is one channel of the in-process connection; the interrupts too: no local ssh slave', async () => {
    const mux = await connectForFile({ engine: 'mux' });
    try {
      const ctl = mux.ctlPath!;
      await using sh = await mux.shell();
      expect(await sh.capture('echo over mux')).toBe('over mux\n');
      const seen = new Set<number>();
      const watch = setInterval(() => localSlaves(ctl).forEach((p) => seen.add(p)), 5);
      try {
        const nap = `sleep 3600.${unique()}`;
        const e = await sh.run(nap, { timeout: 300 }).catch((x: unknown) => x);
        expect(e).toBeInstanceOf(TimeoutError);
        expect(await remotePgrep(mux, nap)).toEqual([]);
        expect(await sh.capture('echo $$')).toBe(`${sh.pid}\n`);
      } finally {
        clearInterval(watch);
      }
      expect([...seen]).toEqual([]);
      // The same on the spawn engine does start slaves: the check can see them.
      const spawn = await connectForFile({ engine: 'spawn' });
      try {
        await using other = await spawn.shell();
        expect(localSlaves(spawn.ctlPath!)).toHaveLength(1);
        expect(await other.capture('echo spawned')).toBe('spawned\n');
      } finally {
        await spawn.disconnect();
      }
    } finally {
      await mux.disconnect();
    }
  });
});

describe('fleet tasks', () => {
  it('a task opens a shell session on its host; a per-host timeout fails the running session command at once', async () => {
    const fleet = new Fleet(
      [
        { label: 'a', target: target() },
        { label: 'b', target: target() },
      ],
      { defaults: baseOptions() },
    );
    const report = await fleet.run(async (ssh, host) => {
      await using sh = await ssh.shell();
      await sh.run(['cd', '/tmp']);
      return [await sh.capture('pwd; echo "$1"', { env: { X: host.label } }), await sh.test('test -d .'), await sh.capture('echo $X')];
    });
    expect(report.summary).toMatchObject({ total: 2, ok: 2 });
    expect(report.results.map((r) => r.value)).toEqual([
      ['/tmp\n\n', true, '\n'],
      ['/tmp\n\n', true, '\n'],
    ]);
    // The host's signal reaches the session's commands: a hanging one is interrupted.
    const nap = `sleep 3600.${unique()}`;
    const slow = await fleet.run(
      async (ssh) => {
        await using sh = await ssh.shell();
        // `return await`: a bare `return` would close the session (await using) before the command ends.
        return await sh.run(nap);
      },
      { timeout: 1500, hosts: 'a' },
    );
    const r = slow.results.find((x) => x.label === 'a')!;
    expect(r.status).toBe('timed-out');
    expect(r.error).toBeInstanceOf(TimeoutError);
    expect((r.error as TimeoutError).cause).toBeInstanceOf(AbortError);
    // The interrupt needs the host's connection, whose signal is what aborted: as with any
    // command the fleet cancels, the remote process is left to end by itself (docs/fleet.md).
    const left = await remotePgrep(ssh, nap);
    if (left.length) await ssh.run(['kill', ...left.map(String)]);
  });
});

describe('opening', () => {
  it("shell: '/bin/bash' starts bash", async () => {
    await using sh = await ssh.shell({ shell: '/bin/bash' });
    expect(await sh.capture('echo "${BASH_VERSION:+bash}"')).toBe('bash\n');
    expect(await sh.capture('cd /tmp; pwd')).toBe('/tmp\n');
    expect(await sh.capture('pwd')).toBe('/tmp\n');
  });

  it('a shell that cannot start fails with OSSH_SHELL_EXITED and its message', async () => {
    const e = (await ssh.shell({ shell: '/nonexistent/osmux-sh' }).catch((x: unknown) => x)) as ShellSessionError;
    expect(e).toBeInstanceOf(ShellSessionError);
    expect(e.code).toBe(ErrorCode.SHELL_EXITED);
    expect(e.exitCode).toBe(127);
    expect(e.message).toMatch(/^the session shell \/nonexistent\/osmux-sh ended before it was ready \(exit code 127\):\n.*osmux-sh/s);
  });

  it('an aborted signal stops the opening', async () => {
    const e = await ssh.shell({ signal: AbortSignal.abort(new Error('no')) }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AbortError);
  });

  it('session defaults apply to its commands', async () => {
    await using sh = await ssh.shell({ timeout: 200, encoding: 'buffer' });
    expect(await sh.capture('printf ok')).toEqual(Buffer.from('ok'));
    await expect(sh.run('sleep 5')).rejects.toBeInstanceOf(TimeoutError);
  });
});

describe('shellPool()', () => {
  it('opens sessions lazily, runs commands in parallel, at most size at once', async () => {
    await using pool = await ssh.shellPool({ size: 3 });
    expect(pool.open).toBe(0);
    const t0 = Date.now();
    const pids = await Promise.all(Array.from({ length: 9 }, (_, i) => pool.capture(`sleep 0.4; echo $$ ${i}`)));
    const took = Date.now() - t0;
    expect(pids.map((p) => Number(p.split(' ')[1]))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(new Set(pids.map((p) => p.split(' ')[0])).size).toBe(3);
    expect(pool.open).toBe(3);
    // Three waves of 0.4 s, not nine.
    expect(took).toBeLessThan(9 * 400);
    expect(await pool.test('true')).toBe(true);
    expect(await pool.capture2('echo o; echo e >&2')).toEqual({ stdout: 'o\n', stderr: 'e\n' });
    const lines: string[] = [];
    for await (const l of pool.lines('printf "a\\nb\\n"')) lines.push(l);
    expect(lines).toEqual(['a', 'b']);
    expect((await pool.run('exit_now() { return 2; }; exit_now', { reject: false })).exitCode).toBe(2);
  });

  it('bad options throw at once, before any session is opened', async () => {
    await using pool = await ssh.shellPool({ size: 1 });
    expect(() => pool.capture('true', { tty: true } as never)).toThrow(
      "option 'tty' cannot be used with a shell session's capture(): a session has no terminal",
    );
    expect(pool.open).toBe(0);
  });

  it('close() rejects later calls', async () => {
    const pool = await ssh.shellPool({ size: 2 });
    await pool.capture('true');
    await pool.close();
    await expect(pool.capture('true')).rejects.toMatchObject({ code: ErrorCode.SHELL_CLOSED, message: 'the shell pool is closed' });
  });
});

describe.each(remoteShells().filter((s) => s.family !== 'posix'))('under login shell $shell', (rs) => {
  const connections = connectEachShell(rs.skip === false ? [rs] : []);
  it.skipIf(rs.skip !== false)(`${shellLabel(rs)}: a POSIX sh runs the commands; timeouts and close work`, async () => {
    const c = connections.get(rs.user)!;
    const sh = await c.shell();
    expect(await sh.capture('echo $((1+2)) "$0"; x=1; [ "$x" = 1 ] && echo posix')).toMatch(/^3 .*\nposix\n$/);
    await sh.run('cd /; export OSMUX_Y=y');
    expect(await sh.capture('pwd; echo $OSMUX_Y')).toBe('/\ny\n');
    const nap = `sleep 3600.${unique()}`;
    await expect(sh.run(nap, { timeout: 300 })).rejects.toBeInstanceOf(TimeoutError);
    expect(await remotePgrep(c, nap)).toEqual([]);
    expect(await sh.capture('echo $OSMUX_Y')).toBe('y\n');
    const left = `sleep 3600.${unique()}`;
    await sh.run(`${left} >/dev/null 2>&1 &`);
    const pid = sh.pid!;
    await sh.close();
    expect(await remotePgrep(c, left)).toEqual([]);
    expect(await remoteAlive(c, pid)).toBe(false);
  });
});
