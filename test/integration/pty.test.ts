import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortError, CommandError, ErrorCode, SlaveError, TimeoutError, type OpenSSH } from '../../src/index.js';
import { setPtyModuleForTests } from '../../src/pty/load.js';
import { alive, waitGone } from '../helpers/processes.js';
import { expectTypeError } from '../helpers/expect-throw.js';
import { checkPtyLeaks } from '../helpers/pty-leaks.js';
import { connectForFile, TEST_ENGINE } from '../helpers/server.js';

/**
 * open2pty / open3pty against the test sshd: a real remote terminal, prompts answered,
 * resize, ssh's stderr apart, exit codes, timeouts and aborts, and node-pty missing.
 */

let ssh: OpenSSH;
beforeAll(async () => {
  ssh = await connectForFile();
  // On the mux engine the first command opens the connection's persistent proxy socket (one
  // fd kept until disconnect): open it now, before the per-test fd counts.
  if (TEST_ENGINE === 'mux') await ssh.capture('true');
});
afterAll(async () => {
  await ssh.disconnect();
});

checkPtyLeaks();

/** Read `stream` until its text so far matches `re`; resolve with that text. */
function until(stream: Readable, re: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (c: string | Buffer) => {
      seen += c.toString();
      if (re.test(seen)) {
        stream.off('data', onData);
        stream.off('end', onEnd);
        stream.pause();
        resolve(seen);
      }
    };
    const onEnd = () => reject(new Error(`stream ended before ${re}: ${JSON.stringify(seen)}`));
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.resume();
  });
}

/** Everything left on a stream until it ends. */
function rest(stream: Readable): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    stream.on('data', (c: string | Buffer) => (text += c.toString()));
    stream.once('end', () => resolve(text));
    stream.resume();
  });
}

describe('open2pty', () => {
  it('answers an interactive prompt; the remote terminal echoes it once', async () => {
    const s = await ssh.open2pty(`read -p 'Name? ' n; echo "hello, $n"`);
    expect(s.pid).toBeTypeOf('number');
    expect(s.argv).toContain('-qtt');
    expect(await until(s.pty, /Name\? $/)).toBe('Name? ');
    s.pty.write('alice\r');
    expect(await rest(s.pty)).toBe('alice\r\nhello, alice\r\n');
    const r = await s.done;
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('');
    expect(await waitGone(s.pid!)).toBe(true);
  });

  it('the remote side sees a real terminal of the size and type asked for', async () => {
    const s = await ssh.open2pty('tty; stty size; echo "$TERM"; test -t 0 && test -t 1 && echo both-ttys', { cols: 132, rows: 43, term: 'vt220' });
    expect(await rest(s.pty)).toMatch(/^\/dev\/pts\/\d+\r\n43 132\r\nvt220\r\nboth-ttys\r\n$/);
    await s.done;
  });

  it('the default terminal is 80x24 xterm-256color', async () => {
    const s = await ssh.open2pty('stty size; echo "$TERM"');
    expect([s.cols, s.rows]).toEqual([80, 24]);
    expect(await rest(s.pty)).toBe('24 80\r\nxterm-256color\r\n');
    await s.done;
  });

  it('resize reaches the remote terminal, and its program gets SIGWINCH', async () => {
    const s = await ssh.open2pty(`trap 'echo "winch $(stty size)"' WINCH; stty size; while :; do sleep 0.05; done`);
    await until(s.pty, /24 80\r\n/);
    const seen = until(s.pty, /winch 50 160\r\n/);
    s.resize(160, 50);
    expect([s.cols, s.rows]).toEqual([160, 50]);
    await seen;
    s.kill();
    await expect(s.done).rejects.toBeInstanceOf(CommandError);
  });

  it('a session with no command is the login shell', async () => {
    const s = await ssh.open2pty();
    s.pty.write('echo "sum=$((6 * 7))"; exit 5\r');
    expect(await rest(s.pty)).toContain('sum=42');
    const e = (await s.done.catch((x: unknown) => x)) as CommandError;
    expect(e).toBeInstanceOf(CommandError);
    expect(e.exitCode).toBe(5);
  });

  it('reports the exit code in done (rejecting; or resolving with reject: false)', async () => {
    const s = await ssh.open2pty('echo bye; exit 7');
    const e = (await s.done.catch((x: unknown) => x)) as CommandError;
    expect(e).toBeInstanceOf(CommandError);
    expect(e.code).toBe(ErrorCode.SLAVE_CMD_FAILED);
    expect(e.exitCode).toBe(7);
    expect(e.message).toBe('command failed with exit code 7: echo bye; exit 7');
    const t = await ssh.open2pty('exit 7', { reject: false });
    const r = await t.done;
    expect(r.exitCode).toBe(7);
    expect(r.failed).toBe(true);
    expect(r.error).toBeInstanceOf(CommandError);
  });

  it('a failing session makes for-await over the terminal throw', async () => {
    const s = await ssh.open2pty('echo partial; exit 3');
    let text = '';
    const loop = async () => {
      for await (const chunk of s.pty) text += chunk;
    };
    await expect(loop()).rejects.toBeInstanceOf(CommandError);
    expect(text).toBe('partial\r\n');
  });

  it('gives strings by default and Buffers with encoding: buffer', async () => {
    const s = await ssh.open2pty("printf 'caf\\303\\251'", { encoding: 'buffer' });
    const chunks: Buffer[] = [];
    for await (const c of s.pty) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks)).toEqual(Buffer.from('café'));
    const r = await s.done;
    expect(Buffer.isBuffer(r.stderr)).toBe(true);
  });

  it('carries ~. and Ctrl-C to the remote side (no ssh escape character)', async () => {
    const s = await ssh.open2pty(`read -r x; echo "got[$x]"`);
    s.pty.write('~.\r');
    expect(await rest(s.pty)).toContain('got[~.]');
    await s.done;
    const t = await ssh.open2pty(`trap 'echo interrupted; exit 9' INT; echo ready; while :; do sleep 0.05; done`);
    await until(t.pty, /ready\r\n/);
    t.pty.write('\x03');
    expect(await rest(t.pty)).toContain('interrupted');
    expect(((await t.done.catch((x: unknown) => x)) as CommandError).exitCode).toBe(9);
  });

  it('writes made at once, before the session is open, are not lost or echoed twice', async () => {
    const s = await ssh.open2pty('head -n 1');
    s.pty.write('early line\r');
    // The remote terminal echoes the line, then head prints it.
    expect(await rest(s.pty)).toBe('early line\r\nearly line\r\n');
    await s.done;
  });

  it('ssh messages go to the Result, not to the terminal, unless stderrToStdout', async () => {
    const bad = { sshOpts: ['-o', 'NoSuchOption=1'] };
    const s = await ssh.open2pty('true', bad);
    const [out, e] = await Promise.all([rest(s.pty), s.done.catch((x: unknown) => x as CommandError)]);
    expect(out).toBe('');
    expect(e).toBeInstanceOf(CommandError);
    expect(e.exitCode).toBe(255);
    expect(e.stderr).toMatch(/Bad configuration option: nosuchoption/);
    const t = await ssh.open2pty('true', { ...bad, stderrToStdout: true });
    const [out2, e2] = await Promise.all([rest(t.pty), t.done.catch((x: unknown) => x as CommandError)]);
    expect(out2).toMatch(/Bad configuration option: nosuchoption/);
    expect(e2.stderr).toBe('');
  });
});

describe('open3pty', () => {
  it('keeps ssh stderr apart; the remote stderr is on the remote terminal', async () => {
    const s = await ssh.open3pty('echo out; echo err >&2');
    const [out, err, r] = await Promise.all([rest(s.pty), rest(s.stderr), s.done]);
    expect(out).toBe('out\r\nerr\r\n');
    expect(err).toBe('');
    expect(r.exitCode).toBe(0);
  });

  it('ssh diagnostics arrive on stderr, never on the terminal', async () => {
    const s = await ssh.open3pty('true', { sshOpts: ['-o', 'NoSuchOption=1'] });
    const [out, err, e] = await Promise.all([rest(s.pty), rest(s.stderr), s.done.catch((x: unknown) => x as CommandError)]);
    expect(out).toBe('');
    expect(err).toMatch(/^command-line: line \d+: Bad configuration option: nosuchoption\r?\n/);
    expect(e.exitCode).toBe(255);
    expect(e.stderr).toBe(err);
  });

  it('stderrToStdout is refused: open3pty hands stderr over itself', () => {
    expectTypeError(() => ssh.open3pty('true', { stderrToStdout: true } as never), /^unknown option 'stderrToStdout' for open3pty\(\)/);
  });

  it('bad options and commands are TypeErrors thrown at once, as for every method', () => {
    expectTypeError(() => ssh.open2pty('true', { cols: 0 }), "option 'cols' must be an integer from 1 to 65535, received number 0");
    expectTypeError(() => ssh.open3pty(['echo', {} as never]), 'command word 1 must be a string, a number, raw() or glob(), received an object (Object)');
  });
});

describe('pty timeouts, aborts and failures', () => {
  it('timeout stops the session with a TimeoutError and no ssh left', async () => {
    const s = await ssh.open2pty('sleep 30', { timeout: 400 });
    const e = (await s.done.catch((x: unknown) => x)) as TimeoutError;
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.code).toBe(ErrorCode.SLAVE_TIMEOUT);
    expect(e.kind).toBe('deadline');
    expect(e.message).toBe('ssh slave timed out: still running after 400 ms (timeout); the slave was stopped');
    expect(await waitGone(s.pid!)).toBe(true);
  });

  it('idleTimeout counts terminal output as traffic', async () => {
    const s = await ssh.open2pty('for i in 1 2 3 4 5 6; do echo tick; sleep 0.1; done; sleep 30', { idleTimeout: 500 });
    const out = rest(s.pty);
    const e = (await s.done.catch((x: unknown) => x)) as TimeoutError;
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.kind).toBe('idle');
    expect((await out).split('tick').length - 1).toBe(6);
    expect(await waitGone(s.pid!)).toBe(true);
  });

  it('an AbortSignal stops the session with an AbortError', async () => {
    const ac = new AbortController();
    const s = await ssh.open2pty(`read -p 'Name? ' n`, { signal: ac.signal });
    await until(s.pty, /Name\? $/);
    ac.abort(new Error('user gave up'));
    const e = (await s.done.catch((x: unknown) => x)) as AbortError;
    expect(e).toBeInstanceOf(AbortError);
    expect(e.message).toBe('the command was aborted: user gave up');
    expect(await waitGone(s.pid!)).toBe(true);
  });

  it('an already aborted signal rejects at once', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(ssh.open2pty('true', { signal: ac.signal })).rejects.toBeInstanceOf(AbortError);
  });

  it('kill() and destroying the terminal stop the session', async () => {
    const s = await ssh.open2pty('echo ready; sleep 30');
    await until(s.pty, /ready/);
    s.kill();
    const e = (await s.done.catch((x: unknown) => x)) as CommandError;
    expect(e).toBeInstanceOf(CommandError);
    expect(await waitGone(s.pid!)).toBe(true);
    const t = await ssh.open2pty('echo ready; sleep 30');
    await until(t.pty, /ready/);
    t.pty.destroy();
    await t.done.catch(() => {});
    expect(await waitGone(t.pid!)).toBe(true);
  });

  it('await using ends the session at the end of the block', async () => {
    let pid: number | undefined;
    {
      await using s = await ssh.open2pty('sleep 30');
      pid = s.pid;
      expect(alive(pid!)).toBe(true);
    }
    expect(alive(pid!)).toBe(false);
  });

  it('without node-pty: a SlaveError OSSH_PTY_UNAVAILABLE, before anything runs', async () => {
    setPtyModuleForTests('node-pty-not-installed-osmux');
    try {
      const e = (await ssh.open3pty('true').catch((x: unknown) => x)) as SlaveError;
      expect(e).toBeInstanceOf(SlaveError);
      expect(e.code).toBe(ErrorCode.PTY_UNAVAILABLE);
      expect(e.message).toBe(
        "a pseudo-terminal needs the optional package 'node-pty-not-installed-osmux', which is not installed: " +
          "run 'npm install node-pty-not-installed-osmux' (openssh-mux does not install it: it is an optional peer dependency, and it builds a native addon: python3, make and a C++ compiler are needed)",
      );
      expect(ssh.error).toBe(e);
    } finally {
      setPtyModuleForTests(undefined);
    }
    // Other commands never needed it.
    expect(await ssh.capture('echo fine')).toBe('fine\n');
  });
});
