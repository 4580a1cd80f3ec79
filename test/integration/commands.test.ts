import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandError, EncodingError, QuoteError, SlaveError, glob, raw, type OpenSSH } from '../../src/index.js';
import { connectForFile, sshd, TEST_ENGINE } from '../helpers/server.js';

let ssh: OpenSSH;
// Shared by local files and the remote user (sshd runs on this machine).
const work = mkdtempSync(join(sshd().dir, 'commands-'));
chmodSync(work, 0o777);
const file = (name: string) => join(work, name);

beforeAll(async () => {
  ssh = await connectForFile();
});
afterAll(async () => {
  await ssh.disconnect();
  rmSync(work, { recursive: true, force: true });
});

describe('core methods', () => {
  it('capture() returns stdout', async () => {
    expect(await ssh.capture('echo one; echo two')).toBe('one\ntwo\n');
  });

  it('capture2() returns stdout and stderr', async () => {
    expect(await ssh.capture2('echo out; echo err >&2')).toEqual({ stdout: 'out\n', stderr: 'err\n' });
  });

  it('system() resolves on success and sends stdinData', async () => {
    await expect(ssh.system(`cat > ${file('sys.txt')}`, { stdinData: 'via stdin\n' })).resolves.toBeUndefined();
    expect(readFileSync(file('sys.txt'), 'utf8')).toBe('via stdin\n');
  });

  it('system() rejects with a CommandError on failure', async () => {
    const e = (await ssh.system('exit 4', { stdoutDiscard: true }).catch((x: unknown) => x)) as CommandError;
    expect(e).toBeInstanceOf(CommandError);
    expect(e.exitCode).toBe(4);
  });

  it('test() maps exit codes to booleans', async () => {
    expect(await ssh.test('true')).toBe(true);
    expect(await ssh.test('false')).toBe(false);
    expect(await ssh.test(['test', '-d', '/'])).toBe(true);
    expect(await ssh.test('exit 255')).toBe(false);
  });

  it('test() discards output remotely too', async () => {
    expect(await ssh.test(['sh', '-c', 'echo noisy; echo noisier >&2'])).toBe(true);
  });

  it('run() returns the full Result', async () => {
    const r = await ssh.run(['sh', '-c', 'echo o; echo e >&2']);
    expect(r.stdout).toBe('o\n');
    expect(r.stderr).toBe('e\n');
    expect(r.exitCode).toBe(0);
    expect(r.signal).toBeUndefined();
    expect(r.failed).toBe(false);
    expect(r.timedOut).toBe(false);
    expect(r.aborted).toBe(false);
    expect(r.command).toBe("sh -c 'echo o; echo e >&2'");
    expect(r.argv.at(-1)).toBe(r.command);
    expect(r.argv.at(-2)).toBe('--');
    expect(r.argv).toContain(ssh.ctlPath);
    expect(r.host).toBe('127.0.0.1');
    expect(r.durationMs).toBeGreaterThan(0);
  });

  it('run({reject: false}) resolves with a failed Result carrying the error', async () => {
    const r = await ssh.run('echo partial; exit 3', { reject: false });
    expect(r.failed).toBe(true);
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toBe('partial\n');
    expect(r.error).toBeInstanceOf(CommandError);
  });

  it('a failing command rejects with CommandError carrying argv, exit code and partial output', async () => {
    const e = (await ssh.capture('echo part; echo why >&2; exit 3').catch((x: unknown) => x)) as CommandError;
    expect(e).toBeInstanceOf(CommandError);
    expect(e.code).toBe('OSSH_SLAVE_CMD_FAILED');
    expect(e.exitCode).toBe(3);
    expect(e.stdout).toBe('part\n');
    expect(e.stderr).toBe('why\n');
    expect(e.command).toBe('echo part; echo why >&2; exit 3');
    expect(e.argv?.[0]).toBe('ssh');
    expect(e.host).toBe('127.0.0.1');
    expect(e.message).toBe('command failed with exit code 3: echo part; echo why >&2; exit 3\nwhy');
  });

  it('exit 255 from the command itself is a CommandError when the master is alive', async () => {
    const e = (await ssh.capture('exit 255').catch((x: unknown) => x)) as CommandError;
    expect(e).toBeInstanceOf(CommandError);
    expect(e.exitCode).toBe(255);
    expect(ssh.state).toBe('running');
  });

  it('error holds the last error and is cleared by the next operation', async () => {
    await ssh.capture('exit 1').catch(() => {});
    expect(ssh.error).toBeInstanceOf(CommandError);
    await ssh.capture('true');
    expect(ssh.error).toBeUndefined();
  });

  it('spawn() gives a pid, streams and a result', async () => {
    const p = await ssh.spawn('read line; echo "got $line"; echo to-err >&2');
    // The mux engine starts no local process.
    if (TEST_ENGINE === 'mux') expect(p.pid).toBeUndefined();
    else expect(p.pid).toBeGreaterThan(0);
    p.stdin!.end('hello\n');
    const chunks: Buffer[] = [];
    p.stdout!.on('data', (c: Buffer) => chunks.push(c));
    const r = await p.result;
    expect(Buffer.concat(chunks).toString()).toBe('got hello\n');
    expect(r.stdout).toBe('got hello\n');
    expect(r.stderr).toBe('to-err\n');
  });

  it('spawn() still collects the result when the caller setEncoding()s a stream', async () => {
    const p = await ssh.spawn('echo text');
    p.stdout!.setEncoding('utf8');
    let seen = '';
    p.stdout!.on('data', (c: string) => (seen += c));
    expect((await p.result).stdout).toBe('text\n');
    expect(seen).toBe('text\n');
  });

  it('spawn() kill() stops the slave', async () => {
    const p = await ssh.spawn('sleep 30', { reject: false });
    p.kill();
    const r = await p.result;
    // The spawn engine's ssh dies by the signal; the mux engine signals the remote command.
    expect(TEST_ENGINE === 'mux' ? r.remoteSignal : r.signal).toBe('SIGTERM');
    expect(r.failed).toBe(true);
  });

  it('makeRemoteCommand() returns an argv that runs the command', async () => {
    const argv = await ssh.makeRemoteCommand(['printf', '%s|', 'a b', "it's"]);
    expect(argv.slice(-2)).toEqual(['--', "printf '%s|' 'a b' it\\'s"]);
    const out = execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
    expect(out).toBe("a b|it's|");
  });
});

describe('commands and quoting', () => {
  it('sends a string as is, for the remote shell to parse', async () => {
    expect(await ssh.capture('echo $((1+2)) | tr 3 x')).toBe('x\n');
  });

  it('quotes array words one by one', async () => {
    expect(await ssh.capture(['echo', '$HOME', 'a  b', ';', 'ls'])).toBe('$HOME a  b ; ls\n');
  });

  it('quoteArgs: true quotes a string as one word', async () => {
    const e = (await ssh.capture('echo hi', { quoteArgs: true }).catch((x: unknown) => x)) as CommandError;
    expect(e.exitCode).toBe(127);
  });

  it('quoteArgs: false joins array words unquoted', async () => {
    expect(await ssh.capture(['echo', '$((2*3))'], { quoteArgs: false })).toBe('6\n');
  });

  it('raw() words are inserted unquoted and glob() words expand remotely', async () => {
    writeFileSync(file('g1.log'), '');
    writeFileSync(file('g 2.log'), '');
    await ssh.run(['echo', 'redirected', raw('>'), file('raw.txt')]);
    expect(readFileSync(file('raw.txt'), 'utf8')).toBe('redirected\n');
    const listed = await ssh.capture(['ls', '-1', glob(`${work}/g*.log`)]);
    expect(listed.split('\n').filter(Boolean).sort()).toEqual([file('g 2.log'), file('g1.log')]);
  });

  it('a command starting with - is not read as an ssh option', async () => {
    const e = (await ssh.capture('-V').catch((x: unknown) => x)) as CommandError;
    expect(e).toBeInstanceOf(CommandError);
    // The remote shell got "-V" (and complained), not the local ssh (which would print its version).
    expect(e.stderr).not.toMatch(/OpenSSH_/);
    expect([0, 255]).not.toContain(e.exitCode);
  });
});

describe('stream options', () => {
  it('stdinData accepts an array of strings and Buffers', async () => {
    expect(await ssh.capture('cat', { stdinData: ['a', Buffer.from('b'), 'c\n'] })).toBe('abc\n');
  });

  it('stdinFile feeds a local file', async () => {
    writeFileSync(file('in.txt'), 'from a file\n');
    expect(await ssh.capture('cat', { stdinFile: file('in.txt') })).toBe('from a file\n');
  });

  it('a missing stdinFile fails with OSSH_SLAVE_PIPE_FAILED', async () => {
    const e = (await ssh.capture('cat', { stdinFile: file('missing') }).catch((x: unknown) => x)) as SlaveError;
    expect(e).toBeInstanceOf(SlaveError);
    expect(e.code).toBe('OSSH_SLAVE_PIPE_FAILED');
    expect(e.message).toBe(`unable to open stdinFile ${file('missing')}: ENOENT: no such file or directory, open '${file('missing')}'`);
  });

  it('stdin takes a Node Readable', async () => {
    expect(await ssh.capture('cat', { stdin: Readable.from(['x', 'y', 'z']) })).toBe('xyz');
  });

  it('the default stdin is the null device, never this process\'s stdin', async () => {
    expect(await ssh.capture('cat; echo end')).toBe('end\n');
  });

  it('stdinDiscard also redirects remotely for array commands', async () => {
    expect(await ssh.capture(['cat'], { stdinDiscard: true })).toBe('');
  });

  it('stdoutFile writes, and appends with { append: true }', async () => {
    await ssh.system('echo first', { stdoutFile: file('out.txt') });
    await ssh.system('echo second', { stdoutFile: { path: file('out.txt'), append: true } });
    expect(readFileSync(file('out.txt'), 'utf8')).toBe('first\nsecond\n');
  });

  it('stderrFile and stderrDiscard', async () => {
    const r = await ssh.run('echo e1 >&2', { stderrFile: file('err.txt') });
    expect(r.stderr).toBe('');
    expect(readFileSync(file('err.txt'), 'utf8')).toBe('e1\n');
    expect((await ssh.run('echo gone >&2; echo kept', { stderrDiscard: true })).stderr).toBe('');
  });

  it('stdoutDiscard on an array command adds >/dev/null remotely', async () => {
    const r = await ssh.run(['sh', '-c', 'echo x'], { stdoutDiscard: true });
    expect(r.command).toBe("sh -c 'echo x' >/dev/null");
    expect(r.stdout).toBe('');
  });

  it('stderrToStdout merges stderr into the captured stdout', async () => {
    const r = await ssh.run(['sh', '-c', 'echo 1; echo 2 >&2; echo 3'], { stderrToStdout: true });
    expect(r.command).toBe("sh -c 'echo 1; echo 2 >&2; echo 3' 2>&1");
    expect(r.stdout).toBe('1\n2\n3\n');
    const s = await ssh.run('echo a; echo b >&2', { stderrToStdout: true });
    expect(s.stdout.split('\n').sort()).toEqual(['', 'a', 'b']);
    expect(s.stderr).toBe('');
  });

  it('stderrToStdout with stdoutFile puts both in the file', async () => {
    await ssh.system('echo out; echo err >&2', { stdoutFile: file('both.txt'), stderrToStdout: true });
    expect(readFileSync(file('both.txt'), 'utf8')).toBe('out\nerr\n');
  });

  it('stdout takes a Node Writable', async () => {
    const sink = new PassThrough();
    const got: Buffer[] = [];
    sink.on('data', (c: Buffer) => got.push(c));
    await ssh.run('echo streamed', { stdout: sink });
    expect(Buffer.concat(got).toString()).toBe('streamed\n');
  });

  it('stdinKeepOpen leaves the channel open after stdinData', async () => {
    const p = await ssh.spawn('head -c 6', { stdinData: 'abc', stdinKeepOpen: true });
    p.stdin!.end('def');
    expect((await p.result).stdout).toBe('abcdef');
  });

  it('tty: true gives the remote command a pty, tty: false none', async () => {
    expect(await ssh.capture('tty', { tty: true })).toMatch(/^\/dev\/pts\/\d+\r?\n$/);
    const noTty = await ssh.run('tty', { tty: false, reject: false });
    expect(noTty.stdout).toBe('not a tty\n');
  });

  it('sshOpts are passed to the slave, first', async () => {
    const r = await ssh.run('true', { sshOpts: ['-o', 'LogLevel=QUIET'] });
    expect(r.argv.slice(0, 3)).toEqual(['ssh', '-o', 'LogLevel=QUIET']);
  });
});

describe('encodings', () => {
  it("encoding: 'buffer' returns Buffers", async () => {
    const out = await ssh.capture("printf '\\377\\000\\001'", { encoding: 'buffer' });
    expect(Buffer.isBuffer(out)).toBe(true);
    expect([...out]).toEqual([0xff, 0, 1]);
  });

  it('latin1 round-trips bytes 128-255', async () => {
    expect(await ssh.capture('cat', { stdinData: 'letra e\u00f1e', encoding: 'latin1' })).toBe('letra e\u00f1e');
  });

  it('output that is not valid in the encoding is an EncodingError with the raw bytes', async () => {
    const e = (await ssh.capture("printf '\\377'").catch((x: unknown) => x)) as EncodingError;
    expect(e).toBeInstanceOf(EncodingError);
    expect(e.code).toBe('OSSH_ENCODING_ERROR');
    expect(e.message).toBe("output decoding failed: stdout is not valid utf8 (use encoding: 'buffer' or 'latin1' for binary output)");
    expect([...(e.stdout as Buffer)]).toEqual([0xff]);
  });

  it('stdinData that the encoding cannot represent is an EncodingError before anything runs', async () => {
    const e = (await ssh.capture('cat', { stdinData: 'e\u00f1e', encoding: 'ascii' }).catch((x: unknown) => x)) as EncodingError;
    expect(e).toBeInstanceOf(EncodingError);
    expect(e.message).toBe('stdin data encoding failed: character U+00F1 at index 1 cannot be encoded as ascii');
  });
});

describe('programmer errors throw TypeError at once', () => {
  it('unknown option', () => {
    expect(() => ssh.capture('true', { nope: 1 } as never)).toThrow(TypeError);
    expect(() => ssh.capture('true', { nope: 1 } as never)).toThrow(/^unknown option 'nope' for a command; known options are: /);
  });

  it('wrong type', () => {
    expect(() => ssh.run('true', { timeout: '5' as never })).toThrow(
      new TypeError(`option 'timeout' must be a number of milliseconds from 0 to 2147483647, about 24.8 days (0 or Infinity: no limit), received string "5"`),
    );
  });

  it("'reject' outside run() and spawn()", () => {
    // @ts-expect-error the types refuse it too (test/unit/types.test.ts); this is the check for JavaScript callers
    expect(() => ssh.capture('true', { reject: false })).toThrow(
      new TypeError("option 'reject' is only for run() and spawn(), which return the Result; the other methods always reject on failure"),
    );
  });

  it('a NUL character in the command is a QuoteError', () => {
    expect(() => ssh.run(['echo', 'a\0b'])).toThrow(new QuoteError('POSIX', 'cannot quote a NUL character (at index 1) for POSIX: no command line can carry one'));
    expect(() => ssh.run(['echo', 'a\0b'])).toThrow(QuoteError);
    expect(() => ssh.run('echo a\0b')).toThrow(new QuoteError('POSIX', 'the command contains a NUL character (at index 6), which no command line can carry'));
  });

  it('a marker where quoting is off', () => {
    expect(() => ssh.run(['echo', raw('x')], { quoteArgs: false })).toThrow(
      new TypeError('command word 1 is a raw() marker, but quoteArgs is false: markers only mean something when quoting is on'),
    );
  });
});
