import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortError, CommandError, ErrorCode, EncodingError, MaxBufferError, QuoteError, ShellSessionError, TimeoutError, type OpenSSH, type ShellSession } from '../../src/index.js';
import { connectForFile } from '../helpers/server.js';
import { ShellSession as ShellSessionClass, type ShellEngine } from '../../src/shell/index.js';
import { spawnEngine } from '../../src/shell/transport.js';
import { normalizeShell } from '../../src/shell/options.js';
import { makeShellGenerator, remoteAlive, remotePgrep, SHELL_SEED } from '../helpers/shell-support.js';

let ssh: OpenSSH;
let sh: ShellSession;

beforeAll(async () => {
  ssh = await connectForFile();
  sh = await ssh.shell();
});
afterAll(async () => {
  await sh?.close();
  await ssh.disconnect();
});

describe('shell session: basics', () => {
  it('captures stdout, stderr and the exit code', async () => {
    expect(await sh.capture('echo one; echo two')).toBe('one\ntwo\n');
    expect(await sh.capture2('echo out; echo err >&2')).toEqual({ stdout: 'out\n', stderr: 'err\n' });
    const r = await sh.run('printf x; exit_code() { return 7; }; exit_code', { reject: false });
    expect(r.exitCode).toBe(7);
    expect(r.stdout).toBe('x');
    expect(r.failed).toBe(true);
    expect(r.error).toBeInstanceOf(CommandError);
    expect(r.host).toBe(ssh.host);
    expect(r.argv.length).toBeGreaterThan(0);
    expect(r.durationMs).toBeGreaterThan(0);
  });

  it('rejects a non-zero exit with a CommandError carrying the output', async () => {
    const e = (await sh.capture('echo partial; echo oops >&2; false').catch((x: unknown) => x)) as CommandError;
    expect(e).toBeInstanceOf(CommandError);
    expect(e.code).toBe(ErrorCode.SLAVE_CMD_FAILED);
    expect(e.exitCode).toBe(1);
    expect(e.stdout).toBe('partial\n');
    expect(e.stderr).toBe('oops\n');
    expect(e.message).toBe('command failed with exit code 1: echo partial; echo oops >&2; false\noops');
  });

  it('test() answers true/false and discards output', async () => {
    expect(await sh.test(['test', '-d', '/'])).toBe(true);
    expect(await sh.test(['test', '-d', '/nonexistent-osmux'])).toBe(false);
    expect(await sh.test('echo noise; echo noise >&2; (exit 3)')).toBe(false);
  });

  it('lines() yields the lines', async () => {
    const got: string[] = [];
    for await (const l of sh.lines("printf 'a\\nb\\r\\nc'")) got.push(l);
    expect(got).toEqual(['a', 'b', 'c']);
  });

  it('quotes array commands with the POSIX quoter', async () => {
    expect(await sh.capture(['printf', '%s|', "it's", '$HOME', 'a b', '`x`'])).toBe("it's|$HOME|a b|`x`|");
  });

  it('keeps cd and exported variables between commands; cwd/env apply to one command', async () => {
    await sh.run('cd /tmp; export OSMUX_V=kept');
    expect(await sh.capture('pwd; echo "$OSMUX_V"')).toBe('/tmp\nkept\n');
    expect(await sh.capture('pwd; echo "$OSMUX_V"', { cwd: '/', env: { OSMUX_V: "it's per call" } })).toBe("/\nit's per call\n");
    expect(await sh.capture('pwd; echo "$OSMUX_V"')).toBe('/tmp\nkept\n');
    await sh.run('cd; unset OSMUX_V');
  });

  it('a bad cwd fails that command only', async () => {
    const e = (await sh.capture('echo no', { cwd: '/nonexistent-osmux' }).catch((x: unknown) => x)) as CommandError;
    expect(e).toBeInstanceOf(CommandError);
    expect(e.stdout).toBe('');
    expect(await sh.capture('echo yes')).toBe('yes\n');
  });

  it('a syntax error fails the command, not the session', async () => {
    const r = await sh.run("if then 'unbalanced", { reject: false });
    expect(r.exitCode).not.toBe(0);
    expect(r.error).toBeInstanceOf(CommandError);
    expect(await sh.capture('echo alive')).toBe('alive\n');
  });

  it('redirections of the shell itself inside a command are undone afterwards', async () => {
    expect(await sh.capture('exec >/dev/null 2>&1; echo hidden')).toBe('');
    const closed = await sh.run('exec 0<&- 1>&- 2>&-; echo lost', { reject: false });
    expect([closed.stdout, closed.stderr, closed.exitCode]).toEqual(['', '', 1]);
    expect(await sh.capture2('echo visible; echo e >&2')).toEqual({ stdout: 'visible\n', stderr: 'e\n' });
  });

  it('stderrToStdout, stdoutDiscard, stderrDiscard', async () => {
    expect(await sh.capture2('echo o; echo e >&2', { stderrToStdout: true })).toEqual({ stdout: 'o\ne\n', stderr: '' });
    expect(await sh.capture2('echo o; echo e >&2', { stderrDiscard: true })).toEqual({ stdout: 'o\n', stderr: '' });
    const r = await sh.run('echo o; echo e >&2', { stdoutDiscard: true });
    expect([r.stdout, r.stderr]).toEqual(['', 'e\n']);
  });

  it('encoding: buffer returns Buffers; invalid utf8 is an EncodingError', async () => {
    const b = await sh.capture("printf '\\377\\000a'", { encoding: 'buffer' });
    expect(b).toEqual(Buffer.from([0xff, 0, 0x61]));
    const e = await sh.capture("printf '\\377'").catch((x: unknown) => x);
    expect(e).toBeInstanceOf(EncodingError);
    const bad = sh.capture('cat', { stdinData: 'é', encoding: 'ascii' });
    await expect(bad).rejects.toThrow('stdin data encoding failed: character U+00E9 at index 0 cannot be encoded as ascii');
    expect(await sh.capture('echo fine')).toBe('fine\n');
  });

  it('pid is the remote shell', async () => {
    expect(sh.pid).toBeGreaterThan(1);
    expect(await sh.capture('echo $$')).toBe(`${sh.pid}\n`);
  });
});

describe('shell session: stdin', () => {
  it('a command reading stdin without stdinData gets EOF at once', async () => {
    expect(await sh.capture('cat; echo after')).toBe('after\n');
    expect(await sh.capture('read x; echo "status $?"')).toBe('status 1\n');
    expect(await sh.capture('head -c 10 | od -c | head -1; echo done', { timeout: 5000 })).toBe('0000000\ndone\n');
  });

  it('stdinData is delivered exactly, binary included', async () => {
    const data = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
    const got = await sh.capture('od -An -v -tx1 | tr -d " \\n"', { stdinData: data });
    expect(got).toBe(data.toString('hex'));
    expect(await sh.capture('cat', { stdinData: "no final newline 'quote' %s \\ $x" })).toBe("no final newline 'quote' %s \\ $x");
    expect(await sh.capture('wc -c', { stdinData: '' })).toMatch(/^\s*0\n$/);
    expect(await sh.capture('cat', { stdinData: ['a', Buffer.from('b'), 'c\n'] })).toBe('abc\n');
  });

  it('large stdinData (300 KiB) round-trips', async () => {
    const data = Buffer.alloc(300 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) & 0xff;
    const got = await sh.capture('cat', { stdinData: data, encoding: 'buffer' });
    expect(Buffer.compare(got, data)).toBe(0);
  });

  it('the stdinData file is removed afterwards', async () => {
    await sh.capture('cat', { stdinData: 'x' });
    expect(await sh.capture('ls -A "$__osmux_d"')).toBe('');
  });
});

describe('shell session: framing', () => {
  it(`random byte strings come back byte-exact on stdout and stderr with random exit codes (seed ${SHELL_SEED})`, async () => {
    const gen = makeShellGenerator(SHELL_SEED);
    for (let i = 0; i < 60; i++) {
      const { out, err, code } = gen.case();
      const cmd = `printf ${gen.printfArg(out)}; printf ${gen.printfArg(err)} >&2; (exit ${code})`;
      const res = await sh.run(cmd, { reject: false, encoding: 'buffer' });
      const ctx = `seed ${SHELL_SEED} case ${i}`;
      expect(res.stdout, ctx).toEqual(out);
      expect(res.stderr, ctx).toEqual(err);
      expect(res.exitCode, ctx).toBe(code);
    }
  });

  it('output holding a previous marker, a guessed one and fake trailers does not end the output', async () => {
    // A previous command's marker is in no command's reach; print lookalikes of every shape.
    const fake = 'deadbeefdeadbeefdeadbeefdeadbeef:E0\n0123456789abcdef0123456789abcdef:B';
    expect(await sh.capture(['printf', '%s', fake])).toBe(fake);
    const r = await sh.run(['sh', '-c', 'printf "%s" "$1"; printf "%s" "$1" >&2', 'sh', fake]);
    expect([r.stdout, r.stderr]).toEqual([fake, fake]);
  });

  it("a command printing the previous command's real markers does not end its output", async () => {
    // Watch the frames the session writes (through the pluggable engine) to learn a marker.
    const base = spawnEngine(ssh);
    const frames: string[] = [];
    const engine: ShellEngine = {
      ...base,
      async open(shell, signal) {
        const t = await base.open(shell, signal);
        const write = t.stdin.write.bind(t.stdin) as (chunk: string) => boolean;
        (t.stdin as { write: (chunk: string) => boolean }).write = (chunk: string) => {
          frames.push(String(chunk));
          return write(chunk);
        };
        return t;
      },
    };
    await using spy = await new ShellSessionClass(engine, normalizeShell({})).start();
    await spy.capture('echo first');
    const m = /__osmux_e ([A-Za-z0-9._]{22})\n/.exec(frames.at(-1)!)![1]!;
    const forged = `${m}:E0\n${m}:B${m}:E\n`;
    const r = await spy.run(['printf', '%s', forged], { reject: false });
    expect(r.stdout).toBe(forged);
    expect(r.exitCode).toBe(0);
    const r2 = await spy.run(['sh', '-c', 'printf "%s" "$1" >&2; exit 5', 'sh', forged], { reject: false });
    expect([r2.stderr, r2.exitCode]).toEqual([forged, 5]);
  });

  it('the marker is nowhere a command can read it', async () => {
    const env = await sh.capture('set; env; ps -o args= -p $$');
    expect(env).not.toMatch(/[A-Za-z0-9._]{22}:[BE]/);
  });

  it('NUL bytes, no final newline, a 1 MiB line', async () => {
    expect(await sh.capture("printf 'a\\000b'", { encoding: 'buffer' })).toEqual(Buffer.from('a\0b'));
    expect(await sh.capture('printf no-newline')).toBe('no-newline');
    const big = await sh.capture("head -c 1048576 /dev/zero | tr '\\0' x; printf 'E'; printf 'err' >&2");
    expect(big.length).toBe(1048577);
    expect(big.endsWith('xE')).toBe(true);
  });
});

describe('shell session: hangs', () => {
  it('timeout kills the command, reports partial output, and leaves the session usable', async () => {
    const nap = `sleep 3600.${process.pid}${Date.now() % 1000}`;
    const t0 = Date.now();
    const e = (await sh.run(`echo started; sh -c '${nap}; echo never'; echo never`, { timeout: 300 }).catch((x: unknown) => x)) as TimeoutError;
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.code).toBe(ErrorCode.SLAVE_TIMEOUT);
    expect(e.kind).toBe('deadline');
    expect(e.stdout).toBe('started\n');
    expect(e.message).toBe('shell command timed out: still running after 300 ms (timeout); its processes were killed');
    expect(Date.now() - t0).toBeLessThan(5000);
    const pid = sh.pid;
    expect(await sh.capture('echo still here')).toBe('still here\n');
    expect(sh.pid).toBe(pid);
    expect(await remotePgrep(ssh, nap)).toEqual([]);
  });

  it('idleTimeout counts output as activity', async () => {
    const e = (await sh.run('for i in 1 2 3; do echo $i; sleep 0.1; done; sleep 30', { idleTimeout: 400 }).catch((x: unknown) => x)) as TimeoutError;
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.kind).toBe('idle');
    expect(e.stdout).toBe('1\n2\n3\n');
    expect(await sh.capture('echo ok')).toBe('ok\n');
  });

  it('an AbortSignal stops the command; an aborted queued call never runs', async () => {
    const ac = new AbortController();
    const running = sh.run('echo a; sleep 30', { signal: ac.signal }).catch((x: unknown) => x);
    const queued = sh.run('touch /tmp/osmux-should-not-exist', { signal: ac.signal }).catch((x: unknown) => x);
    setTimeout(() => ac.abort(new Error('enough')), 200);
    const e = (await running) as AbortError;
    expect(e).toBeInstanceOf(AbortError);
    expect(e.message).toBe('the command was aborted: enough');
    expect(e.stdout).toBe('a\n');
    expect(await queued).toBeInstanceOf(AbortError);
    expect(await sh.test('test -e /tmp/osmux-should-not-exist')).toBe(false);
  });

  it('a builtin loop is interrupted too, and the shell (with its state) survives', async () => {
    await sh.run('export OSMUX_KEEP=1');
    const pid = sh.pid;
    const e = (await sh.run('echo looping; while :; do :; done; echo never', { timeout: 200 }).catch((x: unknown) => x)) as TimeoutError;
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.stdout).toBe('looping\n');
    // 130 from the trap's `return`, or (dash, depending on where the loop was) the status of
    // the last command before the trap: the shell reports it, and it is a number.
    expect(typeof e.exitCode).toBe('number');
    expect(sh.pid).toBe(pid);
    expect(await sh.capture('echo $OSMUX_KEEP')).toBe('1\n');
  });

  it('a command that traps the interrupt gets its shell stopped; the next call starts a new one', async () => {
    const before = sh.starts;
    const oldPid = sh.pid!;
    const e = (await sh.run("trap '' USR1; while :; do :; done", { timeout: 200 }).catch((x: unknown) => x)) as TimeoutError;
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.message).toBe(
      'shell command timed out: still running after 200 ms (timeout); its processes were killed; the session shell was stopped and the next call starts a new one',
    );
    expect(await sh.capture('echo back')).toBe('back\n');
    expect(sh.starts).toBe(before + 1);
    expect(sh.pid).not.toBe(oldPid);
    expect(await remoteAlive(ssh, oldPid)).toBe(false);
  });
});

describe('shell session: maxBuffer', () => {
  it('`yes` past a small maxBuffer is interrupted, fails with the kept output, and the session stays usable', async () => {
    const pid = sh.pid;
    const word = `osmux-mb-${process.pid}-${Date.now()}`;
    const e = (await sh.capture(`echo begin >&2; yes ${word}`, { maxBuffer: 1000 }).catch((x: unknown) => x)) as MaxBufferError;
    expect(e).toBeInstanceOf(MaxBufferError);
    expect(e.code).toBe(ErrorCode.MAX_BUFFER);
    expect([e.stream, e.kind, e.limit]).toEqual(['stdout', 'maxBuffer', 1000]);
    expect(e.message).toBe(
      'stdout of a shell command went past maxBuffer (1000 bytes); the command was interrupted and the session stays usable. Raise maxBuffer, or stream the output (ssh.pipeOut(), ssh.lines())',
    );
    expect(e.stdout).toBe(`${word}\n`.repeat(1000).slice(0, 1000));
    // dash may add its own 'Killed' line for the interrupted command.
    expect(e.stderr).toMatch(/^begin\n/);
    expect(sh.pid).toBe(pid);
    expect(await sh.capture('echo still usable')).toBe('still usable\n');
    expect(await remotePgrep(ssh, `yes ${word}`)).toEqual([]);
  });

  it('stderr is bounded too; a builtin loop writing forever is interrupted', async () => {
    const e = (await sh.run('while :; do echo err >&2; done', { maxBuffer: 64 }).catch((x: unknown) => x)) as MaxBufferError;
    expect(e).toBeInstanceOf(MaxBufferError);
    expect([e.stream, e.limit]).toEqual(['stderr', 64]);
    expect(e.stderr).toBe('err\n'.repeat(16));
    expect(await sh.capture2('echo o; echo e >&2')).toEqual({ stdout: 'o\n', stderr: 'e\n' });
  });

  it('output up to maxBuffer exactly passes; the session default applies, a call overrides it', async () => {
    expect(await sh.capture("printf '%s' 12345", { maxBuffer: 5 })).toBe('12345');
    await using small = await ssh.shell({ maxBuffer: 4 });
    await expect(small.capture('echo 12345')).rejects.toMatchObject({ code: ErrorCode.MAX_BUFFER, limit: 4, stdout: '1234' });
    expect(await small.capture('echo 12345', { maxBuffer: 6 })).toBe('12345\n');
  });

  it("the connection's maxBuffer is the sessions' default", async () => {
    const own = await connectForFile({ maxBuffer: 3 });
    try {
      await using s = await own.shell();
      await expect(s.capture('echo 12345')).rejects.toMatchObject({ code: ErrorCode.MAX_BUFFER, limit: 3, stdout: '123' });
      await using p = await own.shellPool({ size: 1 });
      await expect(p.capture('echo 12345')).rejects.toMatchObject({ code: ErrorCode.MAX_BUFFER, limit: 3 });
    } finally {
      await own.disconnect();
    }
  });
});

describe('shell session: lines() streams', () => {
  it('yields the first line while the command still runs', async () => {
    const flag = `/tmp/osmux-lines-${process.pid}-${Date.now()}`;
    const it = sh.lines(`echo first; while [ ! -e ${flag} ]; do sleep 0.05; done; rm -f ${flag}; echo second`, { timeout: 20_000 });
    const first = await it.next();
    expect(first).toEqual({ value: 'first', done: false });
    // The command is still waiting for the flag: create it over another channel.
    expect(await ssh.test(['test', '-e', flag])).toBe(false);
    await ssh.run(['touch', flag]);
    expect(await it.next()).toEqual({ value: 'second', done: false });
    expect((await it.next()).done).toBe(true);
  });

  it('a failing command throws from the loop after its lines', async () => {
    const got: string[] = [];
    const e = await (async () => {
      for await (const l of sh.lines('echo a; echo b; echo oops >&2; exit_now() { return 3; }; exit_now')) got.push(l);
    })().catch((x: unknown) => x);
    expect(got).toEqual(['a', 'b']);
    expect(e).toBeInstanceOf(CommandError);
    expect((e as CommandError).exitCode).toBe(3);
    expect((e as CommandError).stderr).toBe('oops\n');
  });

  it('leaving the loop early interrupts the command; the session stays usable', async () => {
    const got: string[] = [];
    const word = `osmux-lines-${process.pid}-${Date.now()}`;
    for await (const l of sh.lines(`yes ${word}`)) {
      got.push(l);
      if (got.length === 3) break;
    }
    expect(got).toEqual([word, word, word]);
    expect(await sh.capture('echo after')).toBe('after\n');
    expect(await remotePgrep(ssh, `yes ${word}`)).toEqual([]);
  });

  it('a line longer than maxBuffer is a MaxBufferError with its first bytes, and the command is interrupted', async () => {
    const got: string[] = [];
    const e = await (async () => {
      for await (const l of sh.lines("echo short; tr -d '\\n' < /dev/zero | tr '\\0' x", { maxBuffer: 100 })) got.push(l);
    })().catch((x: unknown) => x);
    expect(got).toEqual(['short']);
    expect(e).toBeInstanceOf(MaxBufferError);
    expect((e as MaxBufferError).code).toBe(ErrorCode.MAX_BUFFER);
    expect((e as MaxBufferError).stdout).toBe('x'.repeat(100));
    expect((e as MaxBufferError).message).toBe(
      'a line of stdout went past maxBuffer (100 bytes) without ending; the slave was stopped. Raise maxBuffer, or read the output as a stream (pipeOut())',
    );
    expect(await sh.capture('echo fine')).toBe('fine\n');
  });

  it('many lines, more than the pause threshold, all arrive in order', async () => {
    let n = 0;
    for await (const l of sh.lines('seq 1 50000')) {
      n++;
      if (l !== String(n)) throw new Error(`line ${n} is ${l}`);
      if (n % 10000 === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(n).toBe(50000);
  });
});

describe('shell session: the shell ending', () => {
  it.each([
    ['exit 3', 3],
    ['exec sh -c "echo replaced; exit 4"', 4],
  ])('%s fails with OSSH_SHELL_EXITED and the next call restarts the shell', async (cmd, code) => {
    await sh.run('cd /tmp');
    const before = sh.starts;
    const e = (await sh.run(cmd).catch((x: unknown) => x)) as ShellSessionError;
    expect(e).toBeInstanceOf(ShellSessionError);
    expect(e.code).toBe(ErrorCode.SHELL_EXITED);
    expect(e.exitCode).toBe(code);
    expect(e.message).toBe(`the session shell ended with exit code ${code} while running: ${cmd}; the next call starts a new shell (cd and variables start afresh)`);
    if (code === 4) expect(e.stdout).toBe('replaced\n');
    expect(await sh.capture('pwd')).not.toBe('/tmp\n');
    expect(sh.starts).toBe(before + 1);
  });

  it('kill -9 $$ too; the dead shell\'s private directory is removed from outside', async () => {
    const dir = await sh.capture('printf %s "$__osmux_d"');
    const e = (await sh.run('kill -9 $$').catch((x: unknown) => x)) as ShellSessionError;
    expect(e).toBeInstanceOf(ShellSessionError);
    expect(e.code).toBe(ErrorCode.SHELL_EXITED);
    expect(await sh.capture('echo again')).toBe('again\n');
    let gone = false;
    for (let i = 0; i < 50 && !gone; i++) {
      gone = !(await ssh.test(['test', '-e', dir]));
      if (!gone) await new Promise((r) => setTimeout(r, 100));
    }
    expect(gone).toBe(true);
  });
});

describe('shell session: queue', () => {
  it('runs commands one at a time in call order', async () => {
    const calls = Array.from({ length: 20 }, (_, i) => sh.capture(`echo ${i} >> "$__osmux_d/order"; echo ${i}`));
    const outs = await Promise.all(calls);
    expect(outs).toEqual(Array.from({ length: 20 }, (_, i) => `${i}\n`));
    expect(await sh.capture('cat "$__osmux_d/order"; rm "$__osmux_d/order"')).toBe(outs.join(''));
  });
});

describe('shell session: options', () => {
  it('a NUL in the command is a QuoteError at once; in stdinData it is just a byte', async () => {
    expect(() => sh.run('echo a\0b')).toThrow(QuoteError);
    expect(await sh.capture('od -An -c', { stdinData: 'a\0b' })).toMatch(/a\s+\\0\s+b/);
  });

  it('refuses options a session cannot honour, naming them', async () => {
    await expect(async () => sh.run('true', { stdoutFile: '/tmp/x' } as never)).rejects.toThrow(
      "option 'stdoutFile' cannot be used with a shell session's run(): session output is captured; use ssh.run() with stdoutFile",
    );
    expect(() => sh.capture('true', { reject: false } as never)).toThrow(
      "option 'reject' is only for run(), which returns the Result; the other methods always reject on failure",
    );
  });
});
