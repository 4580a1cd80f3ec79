import { describe, expect, it } from 'vitest';
import { stdioForwardSpec } from '../../src/argv/slave.js';
import { normalizeCall, type CallMode, type CommandOptions, type StreamPipes } from '../../src/options/command.js';
import { remoteCommand } from '../../src/run/execute.js';
import { expectTypeError } from '../helpers/expect-throw.js';

const call = (options: unknown, mode: CallMode = 'stream', pipes?: StreamPipes) => normalizeCall(options as CommandOptions, {}, mode, pipes);
const PIPE_IN: StreamPipes = { method: 'pipeIn()', stdin: true };
const PIPE_OUT: StreamPipes = { method: 'pipeOut()', stdout: true };
const OPEN3: StreamPipes = { method: 'open3()', stdin: true, stdout: true, stderr: true };

describe('normalizeCall for the stream methods', () => {
  it('pipes the slots the method hands out and captures the others', () => {
    const c = call({}, 'stream', PIPE_IN);
    expect(c.stdin).toEqual({ kind: 'pipe' });
    expect(c.stdout).toEqual({ kind: 'capture' });
    expect(c.stderr).toEqual({ kind: 'capture' });
    const o = call({}, 'stream', PIPE_OUT);
    expect(o.stdin).toEqual({ kind: 'ignore' });
    expect(o.stdout).toEqual({ kind: 'pipe' });
    const three = call({}, 'stream', OPEN3);
    expect([three.stdin.kind, three.stdout.kind, three.stderr.kind]).toEqual(['pipe', 'pipe', 'pipe']);
  });

  it('does not collect piped output by default (memory stays flat), unless buffer: true', () => {
    expect(call({}, 'stream', PIPE_OUT).buffer).toBe(false);
    expect(call({ buffer: true }, 'stream', PIPE_OUT).buffer).toBe(true);
    expect(call({}, 'spawn').buffer).toBe(true);
  });

  it('lets the other slots be routed as usual', () => {
    expect(call({ stdinData: 'x' }, 'stream', PIPE_OUT).stdin).toEqual({ kind: 'data', data: ['x'] });
    expect(call({ stderrDiscard: true }, 'stream', PIPE_IN).stderr).toEqual({ kind: 'ignore' });
    expect(call({ stdoutFile: '/tmp/x' }, 'stream', PIPE_IN).stdout).toEqual({ kind: 'file', path: '/tmp/x', append: false });
  });

  it('refuses options for a slot the method connects itself', () => {
    expectTypeError(() => call({ stdinData: 'x' }, 'stream', PIPE_IN), "option 'stdinData' cannot be used with pipeIn(): it connects stdin itself");
    expectTypeError(() => call({ stdout: 'inherit' }, 'stream', PIPE_OUT), "option 'stdout' cannot be used with pipeOut(): it connects stdout itself");
    expectTypeError(() => call({ stderrToStdout: true }, 'stream', OPEN3), "option 'stderrToStdout' cannot be used with open3(): it connects stderr itself");
    expectTypeError(() => call({ stdinKeepOpen: true }, 'stream', OPEN3), "option 'stdinKeepOpen' cannot be used with open3(): it connects stdin itself");
  });
});

describe('stdinoutDpipe', () => {
  it('pipes stdin and stdout of the slave', () => {
    const c = call({ stdinoutDpipe: ['sh', '-c', 'cat'] }, 'run');
    expect(c.dpipe).toEqual(['sh', '-c', 'cat']);
    expect(c.stdin).toEqual({ kind: 'pipe' });
    expect(c.stdout).toEqual({ kind: 'pipe' });
    expect(c.stderr).toEqual({ kind: 'capture' });
  });

  it('is refused with a stdin or stdout option, with capture(), with a stream method, or empty', () => {
    expectTypeError(
      () => call({ stdinoutDpipe: ['cat'], stdinData: 'x' }, 'run'),
      "option 'stdinData' cannot be used with the option 'stdinoutDpipe': it connects stdin itself",
    );
    expectTypeError(
      () => call({ stdinoutDpipe: ['cat'] }, 'capture'),
      "option 'stdinoutDpipe' cannot be used here: this method captures stdout itself (use run() or system())",
    );
    expectTypeError(
      () => call({ stdinoutDpipe: ['cat'] }, 'stream', PIPE_IN),
      "option 'stdinoutDpipe' cannot be used with pipeIn(), which hands you the streams itself",
    );
    expectTypeError(() => call({ stdinoutDpipe: [] }, 'run'), `option 'stdinoutDpipe' must be a non-empty argv array (program first), such as ["sh", "-c", "..."], received an array of length 0`);
    expectTypeError(() => call({ stdinoutDpipe: 'cat' }, 'run'), `option 'stdinoutDpipe' must be a non-empty argv array (program first), such as ["sh", "-c", "..."], received string "cat"`);
  });
});

describe('tunnel and subsystem', () => {
  it('turn [host, port] into a -W spec and a subsystem name into the bare name', () => {
    expect(remoteCommand(['localhost', 80], call({ tunnel: true }, 'run'))).toBe('localhost:80');
    expect(remoteCommand(['::1', '8080'], call({ tunnel: true }, 'run'))).toBe('[::1]:8080');
    // a Unix socket on the server: the path as is (spaces and ':' too)
    expect(remoteCommand(['/var/run/docker.sock'], call({ tunnel: true }, 'run'))).toBe('/var/run/docker.sock');
    expect(remoteCommand(['/tmp/a b:c'], call({ tunnel: true }, 'run'))).toBe('/tmp/a b:c');
    expect(remoteCommand('sftp', call({ subsystem: true }, 'run'))).toBe('sftp');
    expect(remoteCommand(['netconf'], call({ subsystem: true }, 'run'))).toBe('netconf');
  });

  it('refuse a command of the wrong shape', () => {
    expectTypeError(() => remoteCommand('localhost:80', call({ tunnel: true }, 'run')), `with 'tunnel', the command must be [host, port] or [absolute Unix socket path], received "localhost:80"`);
    expectTypeError(() => remoteCommand('/var/run/docker.sock', call({ tunnel: true }, 'run')), `with 'tunnel', the command must be [host, port] or [absolute Unix socket path], received "/var/run/docker.sock"`);
    expectTypeError(() => remoteCommand(['/a\0'], call({ tunnel: true }, 'run')), 'tunnel socket path must be an absolute Unix socket path (no NUL), received "/a\\u0000"');
    expectTypeError(
      () => remoteCommand(['/s'], call({ tunnel: true, forwardAgent: true }, 'run')),
      "a tunnel to the Unix socket /s runs as a channel over the master's socket, not as an ssh process, and agent forwarding is not available to proxy-mode clients",
    );
    expectTypeError(
      () => remoteCommand('sftp; rm -rf ~', call({ subsystem: true }, 'run')),
      `with 'subsystem', the command must be a subsystem name such as 'sftp', received "sftp; rm -rf ~"`,
    );
  });

  it('cannot be combined with each other or with shell options', () => {
    expectTypeError(
      () => call({ tunnel: true, subsystem: true }, 'run'),
      "options 'tunnel' and 'subsystem' cannot be used together: a call either forwards to host:port or opens a subsystem",
    );
    expectTypeError(() => call({ tunnel: true, tty: true }, 'run'), "option 'tty' cannot be used with 'tunnel': no remote shell command is run");
    expectTypeError(() => call({ subsystem: true, glob: true }, 'run'), "option 'glob' cannot be used with 'subsystem': no remote shell command is run");
  });
});

describe('stdioForwardSpec', () => {
  it('brackets IPv6 literals (bare or already bracketed) and keeps names and IPv4 as they are', () => {
    expect(stdioForwardSpec('example.com', 443)).toBe('example.com:443');
    expect(stdioForwardSpec('10.0.0.1', '22')).toBe('10.0.0.1:22');
    expect(stdioForwardSpec('fe80::1%eth0', 22)).toBe('[fe80::1%eth0]:22');
    expect(stdioForwardSpec('[::1]', 22)).toBe('[::1]:22');
  });

  it('refuses bad hosts and ports, naming the expected form', () => {
    expectTypeError(() => stdioForwardSpec('', 22), 'tunnel host must be a host name or IP address (no spaces or slashes), received ""');
    expectTypeError(() => stdioForwardSpec('a b', 22), 'tunnel host must be a host name or IP address (no spaces or slashes), received "a b"');
    const form = 'tunnel host must be a host name or IP address (no spaces or slashes)';
    expectTypeError(() => stdioForwardSpec('-V', 22), `${form}, received "-V": the host starts with '-', which ssh would read as an option`);
    expectTypeError(() => stdioForwardSpec('a\0b', 22), `${form}, received "a\\u0000b"`);
    expectTypeError(() => stdioForwardSpec('h\u2066x', 22), `${form}, received "h\\u2066x": the host contains the Unicode bidi control U+2066`);
    expectTypeError(() => stdioForwardSpec('a'.repeat(254), 22), `${form}, received "${'a'.repeat(254)}": the host is 254 characters long, more than the 253 of the longest DNS name`);
    expectTypeError(() => stdioForwardSpec('h', 0), 'tunnel port must be an integer from 1 to 65535, received 0');
    expectTypeError(() => stdioForwardSpec('h', 'http'), 'tunnel port must be an integer from 1 to 65535, received "http"');
    expectTypeError(() => stdioForwardSpec('h', undefined), 'tunnel port must be an integer from 1 to 65535, received undefined');
  });
});
