import { PassThrough, Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { normalizeCall, type CallMode, type CommandOptions } from '../../src/options/command.js';
import { normalizeConnection, type OpenSSHOptions } from '../../src/options/connection.js';
import { posixQuoter } from '../../src/quote/posix.js';
import { nodeEngine, type Engine } from '../../src/run/engine.js';
import { expectTypeError } from '../helpers/expect-throw.js';

const call = (options: unknown, mode: CallMode = 'run', defaults = {}) =>
  normalizeCall(options as CommandOptions, defaults, mode);
const conn = (target: string | undefined, options: unknown = {}) => normalizeConnection(target, options as OpenSSHOptions);

const CALL_KNOWN =
  'argumentEncoding, buffer, encoding, engine, env, forwardAgent, forwardX11, glob, idleTimeout, maxBuffer, quoteArgs, reject, remoteShell, signal, sshOpts, ' +
  'stderr, stderrDiscard, stderrFile, stderrToStdout, stdin, stdinData, stdinDiscard, stdinFile, stdinKeepOpen, ' +
  'stdinoutDpipe, stdinoutSocket, stdout, stdoutDiscard, stdoutFile, subsystem, timeout, tty, tunnel, verbose';

const CONN_KNOWN =
  'argumentEncoding, batchMode, ciphers, compression, connect, connectTimeout, ctlDir, ctlPath, defaultSshOpts, defaultStderr, defaultStdin, defaultStdout, encoding, engine, expandVars, externalMaster, ' +
  'forwardAgent, forwardX11, hostKeyAlgorithms, hostKeyPolicy, idleTimeout, kexAlgorithms, keyPath, knownHostsFile, loginHandler, ' +
  'macs, masterOpts, masterPtyForce, masterStderr, masterStderrDiscard, masterStdout, masterStdoutDiscard, maxBuffer, maxSessions, passphrase, password, passwordPrompt, passwordRoute, ' +
  'port, proxyCommand, proxyJump, remoteShell, serverAliveCountMax, serverAliveInterval, signal, sshCmd, sshConfig, strictMode, timeout, user, vars, verbose';

describe('normalizeCall: defaults per mode', () => {
  it('run captures stdout and stderr, ignores stdin', () => {
    const c = call(undefined, 'run');
    expect(c.stdin).toEqual({ kind: 'ignore' });
    expect(c.stdout).toEqual({ kind: 'capture' });
    expect(c.stderr).toEqual({ kind: 'capture' });
    expect(c.flags).toEqual({ stdinDiscard: false, stdoutDiscard: false, stderrDiscard: false, stderrToStdout: false });
  });

  it('capture captures stdout and stderr, ignores stdin', () => {
    const c = call({}, 'capture');
    expect([c.stdin, c.stdout, c.stderr]).toEqual([{ kind: 'ignore' }, { kind: 'capture' }, { kind: 'capture' }]);
  });

  it('command mode captures like run', () => {
    const c = call({}, 'command');
    expect([c.stdin, c.stdout, c.stderr]).toEqual([{ kind: 'ignore' }, { kind: 'capture' }, { kind: 'capture' }]);
  });

  it('system inherits stdout and stderr, ignores stdin', () => {
    const c = call({}, 'system');
    expect([c.stdin, c.stdout, c.stderr]).toEqual([{ kind: 'ignore' }, { kind: 'inherit' }, { kind: 'inherit' }]);
    expect(c.flags.stdoutDiscard).toBe(false);
  });

  it('test ignores output and sets the remote discard flags', () => {
    const c = call({}, 'test');
    expect([c.stdin, c.stdout, c.stderr]).toEqual([{ kind: 'ignore' }, { kind: 'ignore' }, { kind: 'ignore' }]);
    expect(c.flags).toEqual({ stdinDiscard: false, stdoutDiscard: true, stderrDiscard: true, stderrToStdout: false });
  });

  it('test with a stderr target discards only stdout remotely', () => {
    const c = call({ stderr: 'inherit' }, 'test');
    expect(c.stderr).toEqual({ kind: 'inherit' });
    expect(c.flags.stdoutDiscard).toBe(true);
    expect(c.flags.stderrDiscard).toBe(false);
  });

  it('test with a stdout target discards nothing remotely', () => {
    const c = call({ stdout: 'inherit' }, 'test');
    expect(c.stdout).toEqual({ kind: 'inherit' });
    expect(c.flags.stdoutDiscard).toBe(false);
    expect(c.flags.stderrDiscard).toBe(false);
  });

  it('test with stdoutDiscard false discards nothing remotely', () => {
    const c = call({ stdoutDiscard: false }, 'test');
    expect(c.stdout).toEqual({ kind: 'ignore' });
    expect(c.flags.stdoutDiscard).toBe(false);
    expect(c.flags.stderrDiscard).toBe(false);
  });

  it('test with stderrToStdout keeps stderr following stdout', () => {
    const c = call({ stderrToStdout: true }, 'test');
    expect(c.stderr).toEqual({ kind: 'stdout' });
    expect(c.flags).toEqual({ stdinDiscard: false, stdoutDiscard: true, stderrDiscard: false, stderrToStdout: true });
  });

  it('spawn pipes everything, stdin included', () => {
    const c = call({}, 'spawn');
    expect([c.stdin, c.stdout, c.stderr]).toEqual([{ kind: 'pipe' }, { kind: 'pipe' }, { kind: 'pipe' }]);
  });

  it('fills the scalar defaults', () => {
    const c = call(undefined);
    expect(c.stdinKeepOpen).toBe(false);
    expect(c.tty).toBeUndefined();
    expect(c.sshOpts).toEqual([]);
    expect(c.forwardAgent).toBeUndefined();
    expect(c.forwardX11).toBeUndefined();
    expect(c.quoter).toBe(posixQuoter);
    expect(c.quoteArgs).toBeUndefined();
    expect(c.encoding).toBe('utf8');
    expect(c.idleTimeout).toBeUndefined();
    expect(c.timeout).toBeUndefined();
    expect(c.signal).toBeUndefined();
    expect(c.reject).toBe(true);
    expect(c.buffer).toBe(true);
  });
});

describe('normalizeCall: streams', () => {
  it('reads every stdin source', () => {
    expect(call({ stdinDiscard: true }).stdin).toEqual({ kind: 'ignore' });
    expect(call({ stdinDiscard: true }).flags.stdinDiscard).toBe(true);
    expect(call({ stdin: 'inherit' }).stdin).toEqual({ kind: 'inherit' });
    expect(call({ stdin: 5 }).stdin).toEqual({ kind: 'fd', fd: 5 });
    expect(call({ stdinFile: '/etc/hosts' }).stdin).toEqual({ kind: 'file', path: '/etc/hosts' });
    expect(call({ stdinData: 'abc' }).stdin).toEqual({ kind: 'data', data: ['abc'] });
    const buf = Buffer.from('x');
    expect(call({ stdinData: ['a', buf] }).stdin).toEqual({ kind: 'data', data: ['a', buf] });
    const stream = Readable.from(['x']);
    expect(call({ stdin: stream }).stdin).toEqual({ kind: 'stream', stream });
  });

  it('reads every stdout source', () => {
    expect(call({ stdoutDiscard: true }).stdout).toEqual({ kind: 'ignore' });
    expect(call({ stdout: 'pipe' }).stdout).toEqual({ kind: 'pipe' });
    expect(call({ stdout: 1 }).stdout).toEqual({ kind: 'fd', fd: 1 });
    expect(call({ stdoutFile: '/tmp/o' }).stdout).toEqual({ kind: 'file', path: '/tmp/o', append: false });
    expect(call({ stdoutFile: { path: '/tmp/o', append: true } }).stdout).toEqual({ kind: 'file', path: '/tmp/o', append: true });
    expect(call({ stdoutFile: { path: '/tmp/o' } }).stdout).toEqual({ kind: 'file', path: '/tmp/o', append: false });
    const w = new PassThrough();
    expect(call({ stdout: w }).stdout).toEqual({ kind: 'stream', stream: w });
  });

  it('reads every stderr source', () => {
    expect(call({ stderrDiscard: true }).stderr).toEqual({ kind: 'ignore' });
    expect(call({ stderr: 'ignore' }).stderr).toEqual({ kind: 'ignore' });
    expect(call({ stderr: 2 }).stderr).toEqual({ kind: 'fd', fd: 2 });
    expect(call({ stderrFile: { path: '/tmp/e', append: true } }).stderr).toEqual({ kind: 'file', path: '/tmp/e', append: true });
    expect(call({ stderrToStdout: true }).stderr).toEqual({ kind: 'stdout' });
    const w = new Writable({ write: (_c, _e, cb) => cb() });
    expect(call({ stderr: w }).stderr).toEqual({ kind: 'stream', stream: w });
  });

  it('accepts stream-like objects', () => {
    const fakeReadable = { pipe: () => undefined };
    const fakeWritable = { write: () => true };
    expect(call({ stdin: fakeReadable }).stdin).toEqual({ kind: 'stream', stream: fakeReadable });
    expect(call({ stdout: fakeWritable }).stdout).toEqual({ kind: 'stream', stream: fakeWritable });
  });

  it('does not count a false flag as a source', () => {
    expect(call({ stdinDiscard: false, stdinData: 'x' }).stdin).toEqual({ kind: 'data', data: ['x'] });
    expect(call({ stdoutDiscard: false, stdout: 'inherit' }).stdout).toEqual({ kind: 'inherit' });
    expect(call({ stderrToStdout: false, stderrFile: '/tmp/e' }).stderr).toEqual({ kind: 'file', path: '/tmp/e', append: false });
  });

  it('accepts stdin pipe in spawn', () => {
    expect(call({ stdin: 'pipe' }, 'spawn').stdin).toEqual({ kind: 'pipe' });
  });

  it('accepts stdout options in run, system and test', () => {
    expect(call({ stdoutFile: '/tmp/x' }, 'system').stdout.kind).toBe('file');
    expect(call({ stdout: 'inherit' }, 'run').stdout.kind).toBe('inherit');
  });

  it('rejects two stdin sources', () => {
    expectTypeError(
      () => call({ stdinData: 'x', stdinFile: '/f' }),
      "options 'stdinFile' and 'stdinData' both set the stdin; give only one of them",
    );
    expectTypeError(
      () => call({ stdinDiscard: true, stdin: 0, stdinData: 'x' }),
      "options 'stdinDiscard' and 'stdin' and 'stdinData' all set the stdin; give only one of them",
    );
  });

  it('rejects two stdout sources', () => {
    expectTypeError(
      () => call({ stdout: 'ignore', stdoutFile: '/tmp/x' }),
      "options 'stdout' and 'stdoutFile' both set the stdout; give only one of them",
    );
    expectTypeError(
      () => call({ stdoutDiscard: true, stdout: 'inherit' }, 'system'),
      "options 'stdoutDiscard' and 'stdout' both set the stdout; give only one of them",
    );
  });

  it('rejects two stderr sources', () => {
    expectTypeError(
      () => call({ stderrFile: '/tmp/e', stderrToStdout: true }),
      "options 'stderrFile' and 'stderrToStdout' both set the stderr; give only one of them",
    );
    expectTypeError(
      () => call({ stderrDiscard: true, stderr: 'inherit' }),
      "options 'stderrDiscard' and 'stderr' both set the stderr; give only one of them",
    );
  });

  it('rejects stdout options in capture mode', () => {
    expectTypeError(
      () => call({ stdoutFile: '/tmp/x' }, 'capture'),
      "option 'stdoutFile' cannot be used here: this method captures stdout itself (use run() or system())",
    );
    expectTypeError(
      () => call({ stdoutDiscard: true }, 'capture'),
      "option 'stdoutDiscard' cannot be used here: this method captures stdout itself (use run() or system())",
    );
    expectTypeError(
      () => call({ stdout: 'inherit' }, 'capture'),
      "option 'stdout' cannot be used here: this method captures stdout itself (use run() or system())",
    );
  });

  it('allows stderr options in capture mode', () => {
    expect(call({ stderrDiscard: true }, 'capture').stderr).toEqual({ kind: 'ignore' });
  });

  it.each(['run', 'capture', 'system', 'test', 'command'] as const)("rejects stdin 'pipe' in %s", (mode) => {
    expectTypeError(
      () => call({ stdin: 'pipe' }, mode),
      "option 'stdin' can be 'pipe' only with spawn(), which hands the pipe to you; use stdinData, stdinFile or a stream",
    );
  });

  it('rejects bad stream values', () => {
    expectTypeError(
      () => call({ stdin: -1 }),
      "option 'stdin' must be 'ignore', 'inherit', 'pipe', a file descriptor or a Readable stream, received number -1",
    );
    expectTypeError(
      () => call({ stdin: 'stdin' }),
      'option \'stdin\' must be \'ignore\', \'inherit\', \'pipe\', a file descriptor or a Readable stream, received string "stdin"',
    );
    expectTypeError(
      () => call({ stdout: 1.5 }),
      "option 'stdout' must be 'ignore', 'inherit', 'pipe', a file descriptor or a Writable stream, received number 1.5",
    );
    expectTypeError(
      () => call({ stderr: {} }),
      "option 'stderr' must be 'ignore', 'inherit', 'pipe', a file descriptor or a Writable stream, received an object (Object)",
    );
    expectTypeError(
      () => call({ stdinData: 5 }),
      "option 'stdinData' must be a string, a Buffer/Uint8Array or an array of them, received number 5",
    );
    expectTypeError(
      () => call({ stdinData: ['a', 1] }),
      "option 'stdinData' must be a string, a Buffer/Uint8Array or an array of them, received an array of length 2",
    );
    expectTypeError(
      () => call({ stdoutFile: '' }),
      'option \'stdoutFile\' must be a file path or { path, append }, received string ""',
    );
    expectTypeError(
      () => call({ stderrFile: { file: '/x' } }),
      "option 'stderrFile' must be a file path or { path, append }, received an object (Object)",
    );
    expectTypeError(
      () => call({ stdoutFile: { path: '/x', append: 'yes' } }),
      'option \'stdoutFile.append\' must be a boolean, received string "yes"',
    );
    expectTypeError(
      () => call({ stdinFile: '' }),
      'option \'stdinFile\' must be a non-empty string, received string ""',
    );
    expectTypeError(
      () => call({ stdinFile: 'a\0b' }),
      'option \'stdinFile\' must be a string without NUL bytes, received string "a\\u0000b"',
    );
  });
});

describe('normalizeCall: validation', () => {
  it('rejects an unknown option and lists the known ones', () => {
    expectTypeError(() => call({ stdim: 'x' }), `unknown option 'stdim' for a command; known options are: ${CALL_KNOWN}`);
  });

  it('env: an object of variable names to strings, never with a tunnel', () => {
    expect(call({ env: { LC_X: 'a b', _y2: '' } }).env).toEqual({ LC_X: 'a b', _y2: '' });
    expect(call({}).env).toBeUndefined();
    expectTypeError(() => call({ env: ['A=1'] }), 'option \'env\' must be an object of variable names to string values, received an array of length 1');
    expectTypeError(() => call({ env: 'A=1' }), 'option \'env\' must be an object of variable names to string values, received string "A=1"');
    expectTypeError(() => call({ env: { '1A': 'x' } }), 'option \'env\' must be an object whose keys are shell variable names ([A-Za-z_][A-Za-z0-9_]*), received string "1A"');
    expectTypeError(() => call({ env: { 'A=B': 'x' } }), 'option \'env\' must be an object whose keys are shell variable names ([A-Za-z_][A-Za-z0-9_]*), received string "A=B"');
    expectTypeError(() => call({ env: { A: 1 } }), "option 'env.A' must be a string without NUL bytes, received number 1");
    expectTypeError(() => call({ env: { A: 'x\0y' } }), 'option \'env.A\' must be a string without NUL bytes, received string "x\\u0000y"');
    expectTypeError(
      () => call({ env: { A: 'x' }, tunnel: true }),
      "option 'env' cannot be used with 'tunnel': a tunnel is a TCP connection, with no remote process to get variables",
    );
  });

  it("rejects a per-call engine other than 'spawn' or 'mux'", () => {
    expectTypeError(() => call({ engine: 'ssh2' }), "option 'engine' must be 'spawn' or 'mux', received string \"ssh2\"");
    expect(call({ engine: 'mux' }).engine).toBe('mux');
    expect(call({}).engine).toBeUndefined();
  });

  it('rejects options that are not an object', () => {
    expectTypeError(() => call('x'), 'option \'options\' must be an object, received string "x"');
    expectTypeError(() => call([]), "option 'options' must be an object, received an array of length 0");
  });

  it.each(['stdinDiscard', 'stdoutDiscard', 'stderrDiscard', 'stderrToStdout', 'stdinKeepOpen', 'tty', 'forwardAgent', 'forwardX11', 'quoteArgs', 'reject', 'buffer'])(
    'rejects a non-boolean %s',
    (name) => {
      expectTypeError(() => call({ [name]: 'yes' }), `option '${name}' must be a boolean, received string "yes"`);
      expectTypeError(() => call({ [name]: 1 }), `option '${name}' must be a boolean, received number 1`);
    },
  );

  it.each(['idleTimeout', 'timeout'])('rejects a bad number of ms for %s', (name) => {
    const msg = (shown: string) =>
      `option '${name}' must be a number of milliseconds from 0 to 2147483647, about 24.8 days (0 or Infinity: no limit), received ${shown}`;
    expectTypeError(() => call({ [name]: -1 }), msg('number -1'));
    expectTypeError(() => call({ [name]: Number.NaN }), msg('number NaN'));
    expectTypeError(() => call({ [name]: '100' }), msg('string "100"'));
    expectTypeError(() => call({ [name]: Number.NEGATIVE_INFINITY }), msg('number -Infinity'));
    // Node's timers cannot wait longer: such a limit would fire at once.
    expectTypeError(() => call({ [name]: 2 ** 31 }), msg('number 2147483648'));
    expect(call({ [name]: 2 ** 31 - 1 })[name as 'timeout']).toBe(2 ** 31 - 1);
  });

  it('reads ms values; 0 and Infinity mean no limit, even over a default', () => {
    expect(call({ timeout: 1500 }).timeout).toBe(1500);
    expect(call({ idleTimeout: 250 }).idleTimeout).toBe(250);
    expect(call({}, 'run', { timeout: 9000, idleTimeout: 8000 })).toMatchObject({ timeout: 9000, idleTimeout: 8000 });
    expect(call({ timeout: 0, idleTimeout: Number.POSITIVE_INFINITY }, 'run', { timeout: 9000, idleTimeout: 8000 })).toMatchObject({
      timeout: undefined,
      idleTimeout: undefined,
    });
  });

  it('rejects sshOpts given as one string, suggesting to split it', () => {
    expectTypeError(
      () => call({ sshOpts: '-o Foo=bar' }),
      'option \'sshOpts\' must be an array of strings, one argv word each (split "-o Foo=bar" into ["-o", "Foo=bar"]), received string "-o Foo=bar"',
    );
  });

  it('rejects sshOpts with a non-string or a NUL', () => {
    expectTypeError(() => call({ sshOpts: ['-v', 1] }), "option 'sshOpts' must be an array of strings, received an array of length 2");
    expectTypeError(() => call({ sshOpts: ['a\0'] }), "option 'sshOpts' must be an array of strings, received an array of length 1");
    expectTypeError(() => call({ sshOpts: 5 }), "option 'sshOpts' must be an array of strings, received number 5");
  });

  it('rejects a signal that is not an AbortSignal', () => {
    expectTypeError(() => call({ signal: {} }), "option 'signal' must be an AbortSignal, received an object (Object)");
    expectTypeError(() => call({ signal: new AbortController() }), "option 'signal' must be an AbortSignal, received an object (AbortController)");
  });

  it('rejects an unknown encoding', () => {
    const msg = (shown: string) =>
      `option 'encoding' must be 'buffer' or a Node encoding name ('utf8', 'latin1', 'ascii', 'utf16le', 'base64', 'hex', ...), received ${shown}`;
    expectTypeError(() => call({ encoding: 'utf9' }), msg('string "utf9"'));
    expectTypeError(() => call({ encoding: 8 }), msg('number 8'));
    expectTypeError(() => call({ encoding: '' }), msg('string ""'));
  });

  it('accepts buffer and Node encodings', () => {
    expect(call({ encoding: 'buffer' }).encoding).toBe('buffer');
    expect(call({ encoding: 'latin1' }).encoding).toBe('latin1');
    expect(call({ encoding: 'UTF-8' }).encoding).toBe('UTF-8');
    expect(call({}, 'run', { encoding: 'ascii' }).encoding).toBe('ascii');
    expect(call({ encoding: 'hex' }, 'run', { encoding: 'ascii' }).encoding).toBe('hex');
  });

  it('rejects an unknown remote shell', () => {
    expectTypeError(
      () => call({ remoteShell: 'nushell' }),
      "option 'remoteShell' must be a quoter object ({ name, quote, quoteGlob, fragments }) or shell names joined by ',' (posix, sh, bash, dash, ash, ksh, pdksh, mksh, lksh, zsh, fizsh, posh, yash, busybox, csh, tcsh, fish, mswin, mscmd), received string \"nushell\"",
    );
    expectTypeError(
      () => call({ remoteShell: {} }),
      /^option 'remoteShell' must be a quoter object \(\{ name, quote, quoteGlob, fragments \}\) or shell names joined by ',' \(.*\), received an object \(Object\)$/,
    );
  });

  it('resolves shell names case-insensitively and accepts a custom quoter', () => {
    expect(call({ remoteShell: 'BASH' }).quoter).toBe(posixQuoter);
    const custom = { ...posixQuoter, name: 'custom' };
    expect(call({ remoteShell: custom }).quoter).toBe(custom);
    expect(call({}, 'run', { remoteShell: custom }).quoter).toBe(custom);
  });
});

describe('normalizeCall: per-call values and constructor defaults', () => {
  it('per-call sshOpts replace defaultSshOpts', () => {
    const defaults = { defaultSshOpts: ['-o', 'LogLevel=ERROR'] };
    expect(call({}, 'run', defaults).sshOpts).toEqual(['-o', 'LogLevel=ERROR']);
    expect(call({ sshOpts: ['-v'] }, 'run', defaults).sshOpts).toEqual(['-v']);
    expect(call({ sshOpts: [] }, 'run', defaults).sshOpts).toEqual([]);
  });

  it('copies sshOpts', () => {
    const sshOpts = ['-v'];
    const c = call({ sshOpts });
    sshOpts.push('-x');
    expect(c.sshOpts).toEqual(['-v']);
  });

  it('per-call forwarding wins over the default', () => {
    const defaults = { forwardAgent: true, forwardX11: false };
    expect(call({}, 'run', defaults)).toMatchObject({ forwardAgent: true, forwardX11: false });
    expect(call({ forwardAgent: false, forwardX11: true }, 'run', defaults)).toMatchObject({ forwardAgent: false, forwardX11: true });
  });

  it('reads the remaining scalars', () => {
    expect(call({ tty: true, stdinKeepOpen: true, quoteArgs: false, reject: false, buffer: false })).toMatchObject({
      tty: true,
      stdinKeepOpen: true,
      quoteArgs: false,
      reject: false,
      buffer: false,
    });
  });

  it('uses one signal as is and combines two', () => {
    const a = new AbortController();
    const b = new AbortController();
    expect(call({ signal: a.signal }).signal).toBe(a.signal);
    expect(call({}, 'run', { signal: b.signal }).signal).toBe(b.signal);
    const both = call({ signal: a.signal }, 'run', { signal: b.signal }).signal!;
    expect(both.aborted).toBe(false);
    b.abort(new Error('stop'));
    expect(both.aborted).toBe(true);
    expect((both.reason as Error).message).toBe('stop');
  });
});

describe('normalizeConnection', () => {
  it('fills the defaults', () => {
    const n = conn('alice@example.org');
    expect(n.target).toEqual({
      host: 'example.org',
      hostSquared: 'example.org',
      user: 'alice',
      password: undefined,
      port: undefined,
      ipv6: false,
    });
    expect(n.connect).toBe(true);
    expect(n.master).toEqual({
      engine: nodeEngine,
      sshCmd: 'ssh',
      host: 'example.org',
      user: 'alice',
      port: undefined,
      ctlPath: undefined,
      ctlDir: undefined,
      externalMaster: false,
      strictMode: true,
      connectTimeout: 30_000,
      masterStdoutDiscard: false,
      masterStderrDiscard: false,
      masterArgv: {
        masterOpts: undefined,
        serverAliveInterval: 30,
        connectTimeout: 30,
        batchMode: true,
        keyPath: undefined,
        proxyCommand: undefined,
        forwardAgent: undefined,
        forwardX11: undefined,
      },
    });
    expect(n.defaults).toEqual({
      defaultSshOpts: undefined,
      remoteShell: undefined,
      encoding: undefined,
      idleTimeout: undefined,
      timeout: undefined,
      signal: undefined,
      forwardAgent: undefined,
      forwardX11: undefined,
    });
  });

  it('reads every option', () => {
    const engine: Engine = { spawn: () => { throw new Error('unused'); } } as unknown as Engine;
    const signal = new AbortController().signal;
    const n = conn('example.org', {
      user: 'bob',
      port: 2222,
      keyPath: '/k',
      batchMode: false,
      proxyCommand: 'nc %h %p',
      sshCmd: '/opt/ssh',
      masterOpts: ['-o', 'Compression=yes'],
      ctlDir: '/tmp/ctl',
      strictMode: false,
      connect: false,
      connectTimeout: 5000,
      masterStdoutDiscard: true,
      masterStderrDiscard: true,
      forwardAgent: true,
      forwardX11: false,
      serverAliveInterval: 7,
      defaultSshOpts: ['-v'],
      remoteShell: 'bash',
      encoding: 'latin1',
      idleTimeout: 60_000,
      timeout: 120_000,
      signal,
      engine,
    });
    expect(n.connect).toBe(false);
    expect(n.target).toMatchObject({ host: 'example.org', user: 'bob', port: 2222 });
    expect(n.master).toEqual({
      engine,
      sshCmd: '/opt/ssh',
      host: 'example.org',
      user: 'bob',
      port: 2222,
      ctlPath: undefined,
      ctlDir: '/tmp/ctl',
      externalMaster: false,
      strictMode: false,
      connectTimeout: 5000,
      masterStdoutDiscard: true,
      masterStderrDiscard: true,
      signal,
      masterArgv: {
        masterOpts: ['-o', 'Compression=yes'],
        serverAliveInterval: 7,
        connectTimeout: 5,
        batchMode: false,
        keyPath: '/k',
        proxyCommand: 'nc %h %p',
        forwardAgent: true,
        forwardX11: false,
      },
    });
    expect(n.defaults).toEqual({
      defaultSshOpts: ['-v'],
      remoteShell: 'bash',
      encoding: 'latin1',
      idleTimeout: 60_000,
      timeout: 120_000,
      signal,
      // forwardAgent: true lets the master forward; commands ask for it themselves ('always' asks by default).
      forwardAgent: undefined,
      forwardX11: false,
    });
  });

  it('prefers the user and port in the target over the options', () => {
    expect(conn('carol@h:22', { user: 'bob', port: 2222 }).master).toMatchObject({ user: 'carol', port: 22 });
  });

  it('keeps a bare IPv6 host for ssh', () => {
    const n = conn('[fe80::1%eth0]:22');
    expect(n.master.host).toBe('fe80::1%eth0');
    expect(n.target.hostSquared).toBe('[fe80::1%eth0]');
  });

  it.each([
    [undefined, 30],
    [90_000, 30],
    [10_000, 4],
    [2000, 1],
    [1, 1],
    [0, 30],
  ])('with idleTimeout %s derives ServerAliveInterval %i', (idleTimeout, seconds) => {
    expect(conn('h', { idleTimeout }).master.masterArgv.serverAliveInterval).toBe(seconds);
  });

  it('an explicit serverAliveInterval wins over the derived one', () => {
    expect(conn('h', { idleTimeout: 10_000, serverAliveInterval: 60 }).master.masterArgv.serverAliveInterval).toBe(60);
  });

  it.each([0, 1.5, -3, '30'])('rejects serverAliveInterval %j', (v) => {
    const shown = typeof v === 'string' ? `string "${v}"` : `number ${v}`;
    expectTypeError(() => conn('h', { serverAliveInterval: v }), `option 'serverAliveInterval' must be a whole number of seconds >= 1, received ${shown}`);
  });

  it.each([
    [undefined, 30_000, 30],
    [30_000, 30_000, 30],
    [1500, 1500, 2],
    [100, 100, 1],
    [0, undefined, undefined],
    [Number.POSITIVE_INFINITY, undefined, undefined],
  ])('connectTimeout %s gives %s ms and ConnectTimeout=%s', (connectTimeout, ms, seconds) => {
    const n = conn('h', { connectTimeout });
    expect(n.master.connectTimeout).toBe(ms);
    expect(n.master.masterArgv.connectTimeout).toBe(seconds);
  });

  it('rejects a bad connectTimeout', () => {
    expectTypeError(
      () => conn('h', { connectTimeout: -5 }),
      "option 'connectTimeout' must be a number of milliseconds from 0 to 2147483647, about 24.8 days (0 or Infinity: no limit), received number -5",
    );
  });

  it('rejects an unknown option and lists the known ones', () => {
    expectTypeError(() => conn('h', { hostname: 'x' }), `unknown option 'hostname' for new OpenSSH(); known options are: ${CONN_KNOWN}`);
  });

  it('rejects options that are not an object', () => {
    expectTypeError(() => conn('h', null), "option 'options' must be an object, received null");
    expectTypeError(() => conn('h', ['-v']), "option 'options' must be an object, received an array of length 1");
  });

  it('takes a password from the target into the login, not into the target', () => {
    const n = conn('me:secret@h');
    expect(n.target.password).toBeUndefined();
    expect(n.master.login?.secret?.kind).toBe('password');
    expect(n.master.masterArgv.batchMode).toBe(false);
    expect(n.master.masterArgv.secret).toBe('password');
    // Password and passphrase tests: test/unit/auth-options.test.ts.
  });

  it('rejects externalMaster without ctlPath', () => {
    expectTypeError(
      () => conn('h', { externalMaster: true }),
      "option 'ctlPath' must be set when externalMaster is true, received undefined",
    );
  });

  it('an external master needs no target', () => {
    const n = conn(undefined, { externalMaster: true, ctlPath: '/tmp/sock' });
    expect(n.master).toMatchObject({ externalMaster: true, ctlPath: '/tmp/sock', host: '0.0.0.0' });
  });

  it('requires a target otherwise', () => {
    expectTypeError(() => conn(undefined), 'option \'target\' must be a string like "user@host:port", received undefined');
  });

  it('rejects a bad port option', () => {
    expectTypeError(() => conn('h', { port: 70000 }), "option 'port' must be an integer port between 1 and 65535, received number 70000");
    expectTypeError(() => conn('h', { port: 'ssh' }), 'option \'port\' must be an integer port between 1 and 65535 (a number, not a string), received string "ssh"');
    expectTypeError(() => conn('h', { port: 0 }), "option 'port' must be an integer port between 1 and 65535, received number 0");
  });

  it('refuses a port option given as a string, even of digits', () => {
    expectTypeError(
      () => conn('h', { port: '2400' }),
      'option \'port\' must be an integer port between 1 and 65535 (a number, not a string), received string "2400"',
    );
  });

  it('refuses a user option ssh could misread, naming the option', () => {
    const form = "a user name (not starting with '-', without white space, control characters or bidi controls)";
    expectTypeError(() => conn('h', { user: 'a b' }), `option 'user' must be ${form}, received string "a b": the user contains white space`);
    expectTypeError(
      () => conn('h', { user: '-oProxyCommand=x' }),
      `option 'user' must be ${form}, received string "-oProxyCommand=x": the user starts with '-', which ssh would read as an option`,
    );
    expectTypeError(() => conn('h', { user: 'a\0b' }), 'option \'user\' must be a string without NUL bytes, received string "a\\u0000b"');
  });

  it('refuses a target host ssh could misread, before anything runs', () => {
    const tail = '; expected [user[:password]@]host[:port], with IPv6 literals bare (fe80::1) or in brackets ([fe80::1%eth0]:22)';
    expectTypeError(() => conn('-V'), `bad target "-V": the host starts with '-', which ssh would read as an option${tail}`);
    expectTypeError(() => conn('ho\0st'), `bad target "ho\\u0000st": the host contains a NUL byte${tail}`);
  });

  it('checks each proxyJump hop like the target', () => {
    const form = "a jump host '[user@]host[:port]' (no spaces), a comma-separated chain of them, or a non-empty array of them";
    expect(conn('h', { proxyJump: ['j1', 'u@[::1]:2222', 'ssh://u@j3:22', 'my_alias'] }).master.masterArgv.proxyJump).toEqual([
      'j1',
      'u@[::1]:2222',
      'ssh://u@j3:22',
      'my_alias',
    ]);
    expectTypeError(
      () => conn('h', { proxyJump: 'j1,-oProxyCommand=x' }),
      `option 'proxyJump' must be ${form}, received string "j1,-oProxyCommand=x": hop "-oProxyCommand=x": the host starts with '-', which ssh would read as an option`,
    );
    expectTypeError(
      () => conn('h', { proxyJump: ['-l@j1'] }),
      `option 'proxyJump' must be ${form}, received an array of length 1: hop "-l@j1": the user starts with '-', which ssh would read as an option`,
    );
    expectTypeError(
      () => conn('h', { proxyJump: ['j\u202e1'] }),
      `option 'proxyJump' must be ${form}, received an array of length 1: hop "j\\u202e1": the host contains the Unicode bidi control U+202E`,
    );
    expectTypeError(
      () => conn('h', { proxyJump: 'j1:99999' }),
      `option 'proxyJump' must be ${form}, received string "j1:99999": hop "j1:99999": the port 99999 is not from 1 to 65535`,
    );
    expectTypeError(
      () => conn('h', { proxyJump: `${'a'.repeat(64)}.example` }),
      `option 'proxyJump' must be ${form}, received string "${'a'.repeat(64)}.example": hop "${'a'.repeat(64)}.example": the host has a label of 64 characters, more than the 63 DNS allows between dots`,
    );
  });

  it('rejects a bad engine', () => {
    expectTypeError(() => conn('h', { engine: {} }), "option 'engine' must be 'spawn', 'mux' or an object with a spawn() method, received an object (Object)");
    expectTypeError(() => conn('h', { engine: 5 }), "option 'engine' must be 'spawn', 'mux' or an object with a spawn() method, received number 5");
    expectTypeError(
      () => conn('h', { engine: { spawn: 'x' } }),
      "option 'engine' must be 'spawn', 'mux' or an object with a spawn() method, received an object (Object)",
    );
  });

  it('rejects a bad remoteShell', () => {
    expectTypeError(
      () => conn('h', { remoteShell: 'cmd.exe' }),
      /^option 'remoteShell' must be a quoter object \(\{ name, quote, quoteGlob, fragments \}\) or shell names joined by ',' \(posix, sh, bash, .*mscmd\), received string "cmd\.exe"$/,
    );
  });

  it('rejects wrong types for each kind of option', () => {
    expectTypeError(() => conn('h', { batchMode: 'yes' }), 'option \'batchMode\' must be a boolean, received string "yes"');
    expectTypeError(() => conn('h', { externalMaster: 1 }), "option 'externalMaster' must be a boolean, received number 1");
    expectTypeError(() => conn('h', { strictMode: null }), "option 'strictMode' must be a boolean, received null");
    expectTypeError(() => conn('h', { user: '' }), 'option \'user\' must be a non-empty string, received string ""');
    expectTypeError(() => conn('h', { keyPath: 42 }), "option 'keyPath' must be a non-empty string, received number 42");
    expectTypeError(() => conn('h', { sshCmd: '' }), 'option \'sshCmd\' must be a non-empty string, received string ""');
    expectTypeError(() => conn('h', { ctlPath: 'a\0b' }), 'option \'ctlPath\' must be a string without NUL bytes, received string "a\\u0000b"');
    expectTypeError(
      () => conn('h', { masterOpts: '-o Compression=yes' }),
      'option \'masterOpts\' must be an array of strings, one argv word each (split "-o Foo=bar" into ["-o", "Foo=bar"]), received string "-o Compression=yes"',
    );
    expectTypeError(
      () => conn('h', { defaultSshOpts: [1] }),
      "option 'defaultSshOpts' must be an array of strings, received an array of length 1",
    );
    expectTypeError(() => conn('h', { signal: 'abort' }), 'option \'signal\' must be an AbortSignal, received string "abort"');
    expectTypeError(
      () => conn('h', { encoding: 'klingon' }),
      "option 'encoding' must be 'buffer' or a Node encoding name ('utf8', 'latin1', 'ascii', 'utf16le', 'base64', 'hex', ...), received string \"klingon\"",
    );
    expectTypeError(
      () => conn('h', { timeout: 'soon' }),
      'option \'timeout\' must be a number of milliseconds from 0 to 2147483647, about 24.8 days (0 or Infinity: no limit), received string "soon"',
    );
    expectTypeError(
      () => conn('h', { idleTimeout: -1 }),
      "option 'idleTimeout' must be a number of milliseconds from 0 to 2147483647, about 24.8 days (0 or Infinity: no limit), received number -1",
    );
  });

  it('rejects a bad target with the target message', () => {
    expectTypeError(() => conn('bad host'), /^bad target "bad host": the host contains white space; /);
  });
});
