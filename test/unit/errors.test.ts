import { describe, expect, it } from 'vitest';
import {
  AbortError,
  CommandError,
  ConnectionCacheError,
  EncodingError,
  ErrorCode,
  MasterError,
  MaxBufferError,
  OpenSSHError,
  OutputFileError,
  SlaveError,
  SshfsError,
  TimeoutError,
} from '../../src/errors/index.js';
import * as publicApi from '../../src/index.js';

const details = {
  host: 'example.org',
  argv: ['ssh', '-S', '/ctl', 'example.org', '--', 'false'],
  command: 'false',
  exitCode: 1,
  signal: 'SIGTERM' as const,
  stdout: 'out',
  stderr: Buffer.from('err'),
};

describe('ErrorCode', () => {
  it('has the stable OSSH_* values', () => {
    expect(ErrorCode).toEqual({
      MASTER_FAILED: 'OSSH_MASTER_FAILED',
      SLAVE_FAILED: 'OSSH_SLAVE_FAILED',
      SLAVE_PIPE_FAILED: 'OSSH_SLAVE_PIPE_FAILED',
      SLAVE_TIMEOUT: 'OSSH_SLAVE_TIMEOUT',
      SLAVE_CMD_FAILED: 'OSSH_SLAVE_CMD_FAILED',
      SESSION_REFUSED: 'OSSH_SESSION_REFUSED',
      ABORTED: 'OSSH_ABORTED',
      ENCODING_ERROR: 'OSSH_ENCODING_ERROR',
      QUOTE_ERROR: 'OSSH_QUOTE_ERROR',
      FORWARD_FAILED: 'OSSH_FORWARD_FAILED',
      FORWARD_CANCEL_FAILED: 'OSSH_FORWARD_CANCEL_FAILED',
      PTY_UNAVAILABLE: 'OSSH_PTY_UNAVAILABLE',
      TRANSFER_FAILED: 'OSSH_TRANSFER_FAILED',
      SFTP_STATUS: 'OSSH_SFTP_STATUS',
      SFTP_PROTOCOL: 'OSSH_SFTP_PROTOCOL',
      SFTP_UNSUPPORTED: 'OSSH_SFTP_UNSUPPORTED',
      SFTP_CLOSED: 'OSSH_SFTP_CLOSED',
      MAX_BUFFER: 'OSSH_MAX_BUFFER',
      OUTPUT_FILE: 'OSSH_OUTPUT_FILE',
      SHELL_EXITED: 'OSSH_SHELL_EXITED',
      SHELL_CLOSED: 'OSSH_SHELL_CLOSED',
      FLEET_FAILED: 'OSSH_FLEET_FAILED',
      MUX_PROTOCOL: 'OSSH_MUX_PROTOCOL',
      ARGV_TOO_LONG: 'OSSH_ARGV_TOO_LONG',
      CACHE_CLOSED: 'OSSH_CACHE_CLOSED',
      SSHFS_FAILED: 'OSSH_SSHFS_FAILED',
    });
  });

  it('is exported from the package entry with every error class', () => {
    expect(publicApi.ErrorCode).toBe(ErrorCode);
    expect(publicApi.OpenSSHError).toBe(OpenSSHError);
    expect(publicApi.MasterError).toBe(MasterError);
    expect(publicApi.CommandError).toBe(CommandError);
    expect(publicApi.SlaveError).toBe(SlaveError);
    expect(publicApi.TimeoutError).toBe(TimeoutError);
    expect(publicApi.AbortError).toBe(AbortError);
    expect(publicApi.EncodingError).toBe(EncodingError);
    expect(publicApi.MaxBufferError).toBe(MaxBufferError);
    expect(publicApi.OutputFileError).toBe(OutputFileError);
    expect(publicApi.ConnectionCacheError).toBe(ConnectionCacheError);
  });
});

describe('OpenSSHError', () => {
  it('carries code, message and every detail', () => {
    const cause = new Error('root cause');
    const e = new OpenSSHError(ErrorCode.SLAVE_FAILED, 'boom', { ...details, cause });
    expect(e.name).toBe('OpenSSHError');
    expect(e.message).toBe('boom');
    expect(e.code).toBe('OSSH_SLAVE_FAILED');
    expect(e.host).toBe('example.org');
    expect(e.argv).toEqual(['ssh', '-S', '/ctl', 'example.org', '--', 'false']);
    expect(e.command).toBe('false');
    expect(e.exitCode).toBe(1);
    expect(e.signal).toBe('SIGTERM');
    expect(e.stdout).toBe('out');
    expect(e.stderr).toEqual(Buffer.from('err'));
    expect(e.cause).toBe(cause);
    expect(e).toBeInstanceOf(Error);
    expect(e).toBeInstanceOf(OpenSSHError);
    expect(String(e)).toBe('OpenSSHError: boom');
    expect(e.stack).toContain('boom');
  });

  it('defaults stdout and stderr to empty strings and has no cause', () => {
    const e = new OpenSSHError(ErrorCode.ABORTED, 'm');
    expect(e.stdout).toBe('');
    expect(e.stderr).toBe('');
    expect(e.host).toBeUndefined();
    expect(e.argv).toBeUndefined();
    expect(e.command).toBeUndefined();
    expect(e.exitCode).toBeUndefined();
    expect(e.signal).toBeUndefined();
    expect('cause' in e).toBe(false);
  });

  it('keeps a falsy cause other than undefined', () => {
    const e = new OpenSSHError(ErrorCode.ABORTED, 'm', { cause: null });
    expect('cause' in e).toBe(true);
    expect(e.cause).toBeNull();
  });

  it('recognises branded objects (another copy of the library) but not others', () => {
    expect({ [Symbol.for('openssh-mux.error')]: true } instanceof OpenSSHError).toBe(true);
    expect({ [Symbol.for('openssh-mux.error')]: 'yes' } instanceof OpenSSHError).toBe(false);
    expect(new Error('x') instanceof OpenSSHError).toBe(false);
    expect(new TypeError('x') instanceof OpenSSHError).toBe(false);
    expect(({}) instanceof OpenSSHError).toBe(false);
    expect((null as unknown) instanceof OpenSSHError).toBe(false);
    expect(('OSSH_ABORTED' as unknown) instanceof OpenSSHError).toBe(false);
    expect({ code: 'OSSH_ABORTED', name: 'OpenSSHError' } instanceof OpenSSHError).toBe(false);
  });

  it('keeps the brand on the prototype, not on instances', () => {
    const e = new CommandError('m');
    expect(Object.getOwnPropertySymbols(e)).toEqual([]);
  });
});

describe('subclasses', () => {
  const cases = [
    {
      make: () => new MasterError('auth', 'login failed', details),
      cls: MasterError,
      name: 'MasterError',
      code: 'OSSH_MASTER_FAILED',
      extra: { reason: 'auth' },
    },
    {
      make: () => new CommandError('exit 1', details),
      cls: CommandError,
      name: 'CommandError',
      code: 'OSSH_SLAVE_CMD_FAILED',
      extra: {},
    },
    {
      make: () => new SlaveError(ErrorCode.SLAVE_PIPE_FAILED, 'no file', details),
      cls: SlaveError,
      name: 'SlaveError',
      code: 'OSSH_SLAVE_PIPE_FAILED',
      extra: {},
    },
    {
      make: () => new SlaveError(ErrorCode.SESSION_REFUSED, 'refused', details),
      cls: SlaveError,
      name: 'SlaveError',
      code: 'OSSH_SESSION_REFUSED',
      extra: {},
    },
    {
      make: () => new TimeoutError('idle', 1500, 'idle', details),
      cls: TimeoutError,
      name: 'TimeoutError',
      code: 'OSSH_SLAVE_TIMEOUT',
      extra: { kind: 'idle', timeoutMs: 1500 },
    },
    {
      make: () => new AbortError('aborted', details),
      cls: AbortError,
      name: 'AbortError',
      code: 'OSSH_ABORTED',
      extra: {},
    },
    {
      make: () => new EncodingError('ascii', 'bad', details),
      cls: EncodingError,
      name: 'EncodingError',
      code: 'OSSH_ENCODING_ERROR',
      extra: { encoding: 'ascii' },
    },
    {
      make: () => new MaxBufferError('stderr', 'maxBuffer', 1000, 'too much', details),
      cls: MaxBufferError,
      name: 'MaxBufferError',
      code: 'OSSH_MAX_BUFFER',
      extra: { stream: 'stderr', kind: 'maxBuffer', limit: 1000 },
    },
    {
      make: () => new OutputFileError('stdout', { path: '/full/out', fd: 7 }, { errno: 'ENOSPC', syscall: 'write' }, 'disk full', details),
      cls: OutputFileError,
      name: 'OutputFileError',
      code: 'OSSH_OUTPUT_FILE',
      extra: { stream: 'stdout', path: '/full/out', fd: 7, errno: 'ENOSPC', syscall: 'write' },
    },
  ] as const;

  it.each(cases)('$name ($code)', ({ make, cls, name, code, extra }) => {
    const e = make();
    expect(e.name).toBe(name);
    expect(e.code).toBe(code);
    expect(e).toMatchObject({ ...extra, host: 'example.org', command: 'false', exitCode: 1, signal: 'SIGTERM', stdout: 'out' });
    expect(e.argv).toEqual(details.argv);
    expect(e).toBeInstanceOf(cls);
    expect(e).toBeInstanceOf(OpenSSHError);
    expect(e).toBeInstanceOf(Error);
    expect(String(e).startsWith(`${name}: `)).toBe(true);
    // instanceof another subclass is false (the brand only widens OpenSSHError itself)
    for (const other of [MasterError, CommandError, SlaveError, TimeoutError, AbortError, EncodingError, MaxBufferError, OutputFileError]) {
      if (other !== cls) expect(e).not.toBeInstanceOf(other);
    }
  });

  it('subclasses pass the cause on', () => {
    const cause = new Error('ENOENT');
    expect(new SlaveError(ErrorCode.SLAVE_FAILED, 'spawn failed', { cause }).cause).toBe(cause);
    expect(new MasterError('spawn', 'x', { cause }).cause).toBe(cause);
    expect(new TimeoutError('deadline', 10, 'x', { cause }).cause).toBe(cause);
  });

  it('a branded plain object is not an instance of a subclass', () => {
    const branded = { [Symbol.for('openssh-mux.error')]: true };
    expect(branded instanceof MasterError).toBe(false);
    expect(branded instanceof CommandError).toBe(false);
  });

  it('the name can be overridden on an instance', () => {
    const e = new CommandError('m');
    e.name = 'Custom';
    expect(e.name).toBe('Custom');
    expect(new CommandError('m').name).toBe('CommandError');
  });

  it('SshfsError carries its reason, side and mount point', () => {
    const cause = new Error('ENOENT');
    const e = new SshfsError('not-installed', 'sshfsImport of h:/d: sshfs is not installed', { side: 'local', mountpoint: '/mnt/x', host: 'h', stderr: 'x', cause });
    expect([e.name, e.code, e.reason, e.side, e.mountpoint, e.host, e.stderr, e.cause]).toEqual(['SshfsError', 'OSSH_SSHFS_FAILED', 'not-installed', 'local', '/mnt/x', 'h', 'x', cause]);
    expect(e).toBeInstanceOf(OpenSSHError);
    expect(e).not.toBeInstanceOf(CommandError);
    expect(publicApi.SshfsError).toBe(SshfsError);
  });
});
