import { describe, expect, it } from 'vitest';
import { buildForwardArgv, forwardFlag, forwardSpec } from '../../src/argv/control.js';
import { ErrorCode, ForwardError, OpenSSHError } from '../../src/errors/index.js';
import * as publicApi from '../../src/index.js';
import { PORT_STREAMLOCAL } from '../../src/mux/control-messages.js';
import { logSince, muxForward, requestFailed, type ControlOutcome } from '../../src/tunnel/control.js';
import { FORWARD_REQUEST_TIMEOUT_MS, normalizeForward } from '../../src/tunnel/options.js';
import { expectTypeError } from '../helpers/expect-throw.js';

const conn = { sshCmd: 'ssh', ctlPath: '/ctl', host: 'h', user: 'u', port: 2222 };
const norm = (o: object, defaults = {}) => normalizeForward(o, defaults, 'forward()');

describe('forwardSpec / buildForwardArgv', () => {
  it('builds -L, -R and -D arguments, bracketing IPv6', () => {
    expect(forwardSpec({ type: 'local', bindAddress: '127.0.0.1', port: 8080, targetHost: 'db', targetPort: 5432 })).toBe('127.0.0.1:8080:db:5432');
    expect(forwardSpec({ type: 'local', bindAddress: '::1', port: 8080, targetHost: 'fe80::1%eth0', targetPort: 22 })).toBe('[::1]:8080:[fe80::1%eth0]:22');
    expect(forwardSpec({ type: 'remote', port: 0, targetHost: 'localhost', targetPort: 80 })).toBe('0:localhost:80');
    expect(forwardSpec({ type: 'remote', port: 9000, targetPath: '/run/app.sock' })).toBe('9000:/run/app.sock');
    expect(forwardSpec({ type: 'local', path: '/tmp/l.sock', targetPath: '/run/r.sock' })).toBe('/tmp/l.sock:/run/r.sock');
    expect(forwardSpec({ type: 'dynamic', bindAddress: '127.0.0.1', port: 1080 })).toBe('127.0.0.1:1080');
    expect(forwardSpec({ type: 'dynamic', port: 1080 })).toBe('1080');
    expect(forwardSpec({ type: 'dynamic', bindAddress: '*', port: 1080 })).toBe('*:1080');
  });

  it('puts the flag and spec before -O, like buildControlArgv', () => {
    expect(forwardFlag('remote')).toBe('-R');
    expect(buildForwardArgv(conn, 'forward', { type: 'dynamic', bindAddress: '127.0.0.1', port: 1080 })).toEqual([
      'ssh', '-D', '127.0.0.1:1080', '-O', 'forward', '-T', '-S', '/ctl', '-l', 'u', '-p', '2222', 'h', '--',
    ]);
    expect(buildForwardArgv(conn, 'cancel', { type: 'local', bindAddress: '127.0.0.1', port: 1, targetHost: 'x', targetPort: 2 }).slice(0, 5)).toEqual([
      'ssh', '-L', '127.0.0.1:1:x:2', '-O', 'cancel',
    ]);
  });
});

describe('normalizeForward', () => {
  it('defaults local and dynamic forwards to 127.0.0.1 and a picked port', () => {
    expect(norm({ type: 'local', targetHost: 'db', targetPort: 5432 })).toEqual({
      spec: { type: 'local', bindAddress: '127.0.0.1', port: 0, path: undefined, targetHost: 'db', targetPort: 5432, targetPath: undefined },
      pickPort: true,
      timeoutMs: FORWARD_REQUEST_TIMEOUT_MS,
      signal: undefined,
    });
    expect(norm({ type: 'dynamic', port: 1080 }).pickPort).toBe(false);
    expect(norm({ type: 'dynamic', port: 0 }).pickPort).toBe(true);
  });

  it("leaves a remote forward's bind address and port 0 to the server", () => {
    const n = norm({ type: 'remote', targetHost: 'localhost', targetPort: 80 });
    expect(n.spec.bindAddress).toBeUndefined();
    expect(n.spec.port).toBe(0);
    expect(n.pickPort).toBe(false);
  });

  it('strips brackets, keeps paths, takes timeout and signals (with the defaults)', () => {
    const a = new AbortController();
    const b = new AbortController();
    const n = norm({ type: 'local', bindAddress: '[::1]', port: 80, targetPath: '/run/x.sock', timeout: 500, signal: a.signal }, { signal: b.signal, timeout: 9 });
    expect(n.spec.bindAddress).toBe('::1');
    expect(n.spec.targetPath).toBe('/run/x.sock');
    expect(n.timeoutMs).toBe(500);
    expect(n.signal?.aborted).toBe(false);
    b.abort();
    expect(n.signal?.aborted).toBe(true);
    expect(norm({ type: 'dynamic' }, { timeout: 9 }).timeoutMs).toBe(9);
    expect(norm({ type: 'local', path: '/tmp/a.sock', targetHost: 'h', targetPort: 1 }).spec).toMatchObject({ path: '/tmp/a.sock', port: undefined, bindAddress: undefined });
  });

  it('needs the listening port to cancel a local or dynamic forward', () => {
    expectTypeError(
      () => normalizeForward({ type: 'dynamic' }, {}, 'cancelForward()', { cancel: true }),
      "option 'port' of cancelForward() must be the port the dynamic forward listens on, received undefined",
    );
    expect(normalizeForward({ type: 'remote', targetHost: 'h', targetPort: 1 }, {}, 'cancelForward()', { cancel: true }).spec.port).toBe(0);
  });

  it('refuses bad values with TypeErrors naming the option', () => {
    expectTypeError(() => norm(null as never), /^forward\(\) needs an options object .*received null$/);
    expectTypeError(() => norm({ type: 'local', targetHost: '', targetPort: 1 }), `option 'targetHost' must be a host name or IP address, received string ""`);
    expectTypeError(() => norm({ type: 'local', targetHost: '*', targetPort: 1 }), `option 'targetHost' must be a host name or IP address, received string "*"`);
  });

  it('refuses forward hosts ssh could misread, as it does the target', () => {
    const dash = "the host starts with '-', which ssh would read as an option";
    expectTypeError(() => norm({ type: 'local', targetHost: '-V', targetPort: 1 }), `option 'targetHost' must be a host name or IP address, received string "-V": ${dash}`);
    expectTypeError(
      () => norm({ type: 'local', bindAddress: '-oX', port: 1, targetHost: 'h', targetPort: 1 }),
      `option 'bindAddress' must be a host name or IP address (or '*' for every address), received string "-oX": ${dash}`,
    );
    const long = `${'a'.repeat(64)}.example`;
    expectTypeError(
      () => norm({ type: 'remote', targetHost: long, targetPort: 1 }),
      `option 'targetHost' must be a host name or IP address, received string "${long}": the host has a label of 64 characters, more than the 63 DNS allows between dots`,
    );
    expectTypeError(
      () => norm({ type: 'remote', targetHost: 'h\u202e', targetPort: 1 }),
      `option 'targetHost' must be a host name or IP address, received string "h\\u202e"`,
    );
    expect(norm({ type: 'local', bindAddress: '[::1]', port: 1, targetHost: 'my_alias', targetPort: 1 }).spec).toMatchObject({ bindAddress: '::1', targetHost: 'my_alias' });
  });

  it('keeps refusing malformed socket paths', () => {
    expectTypeError(() => norm({ type: 'local', targetPath: 'a b' }), `option 'targetPath' must be an absolute Unix socket path (no NUL), received string "a b"`);
    expect(norm({ type: 'local', targetPath: '/a b:[c]' }).spec.targetPath).toBe('/a b:[c]');
    expectTypeError(() => norm({ type: 'remote', targetHost: 'h', targetPort: 70000 }), 'option \'targetPort\' must be an integer port from 1 to 65535, received number 70000');
    expectTypeError(() => norm({ type: 'remote', bindAddress: '1.2.3.4', path: '/x', targetHost: 'h', targetPort: 1 }), "options 'path' and 'bindAddress' cannot be used together: a forward listens on a Unix socket or on an address and port");
  });
});

describe('forward request helpers', () => {
  const outcome = (o: Partial<ControlOutcome>): ControlOutcome => ({ port: undefined, refused: undefined, stopped: undefined, error: undefined, late: undefined, ...o });

  it('sends each forward as ssh -O forward would (MUX_C_OPEN_FWD fields)', () => {
    expect(muxForward({ type: 'local', bindAddress: '127.0.0.1', port: 8080, targetHost: 'db', targetPort: 5432 })).toEqual({
      type: 'local', listenHost: '127.0.0.1', listenPort: 8080, connectHost: 'db', connectPort: 5432,
    });
    // no bind address: '' (the server's default); IPv6 literals bare, as ssh's parser leaves them
    expect(muxForward({ type: 'remote', port: 0, targetHost: '::1', targetPort: 80 })).toEqual({ type: 'remote', listenHost: '', listenPort: 0, connectHost: '::1', connectPort: 80 });
    // dynamic: ssh's parser connects to "socks", port 0 (the master refuses an empty host)
    expect(muxForward({ type: 'dynamic', bindAddress: '*', port: 1080 })).toEqual({ type: 'dynamic', listenHost: '*', listenPort: 1080, connectHost: 'socks', connectPort: 0 });
    // Unix sockets: the path in the host field, port -2; spaces and colons travel as they are
    expect(muxForward({ type: 'local', path: '/tmp/a b:c.sock', targetPath: '/run/d.sock' })).toEqual({
      type: 'local', listenHost: '/tmp/a b:c.sock', listenPort: PORT_STREAMLOCAL, connectHost: '/run/d.sock', connectPort: PORT_STREAMLOCAL,
    });
    expect(muxForward({ type: 'remote', bindAddress: '0.0.0.0', port: 9000, targetPath: '/s' })).toMatchObject({ listenHost: '0.0.0.0', listenPort: 9000, connectHost: '/s', connectPort: PORT_STREAMLOCAL });
  });

  it('counts a stop, a refusal or an unreachable master as a failure', () => {
    expect(requestFailed(outcome({}))).toBe(false);
    expect(requestFailed(outcome({ port: 4000 }))).toBe(false);
    expect(requestFailed(outcome({ stopped: { kind: 'deadline', ms: 1 } }))).toBe(true);
    expect(requestFailed(outcome({ error: new Error('x') }))).toBe(true);
  });

  it('finds what the master logged since a read of its log tail', () => {
    expect(logSince('', 'a\nb')).toBe('a\nb');
    expect(logSince('old line', 'old line\nnew 1\nnew 2\n')).toBe('new 1\nnew 2');
    expect(logSince('x'.repeat(300), `${'x'.repeat(50)}\nnew`)).toBe('');
  });
});

describe('ForwardError', () => {
  it('is an OpenSSHError with its code, type and spec, exported from the package', () => {
    const e = new ForwardError(ErrorCode.FORWARD_FAILED, 'local', '127.0.0.1:1:h:2', 'refused', { host: 'h', exitCode: 255 });
    expect(e).toBeInstanceOf(OpenSSHError);
    expect(e.name).toBe('ForwardError');
    expect(e.code).toBe('OSSH_FORWARD_FAILED');
    expect(e.forwardType).toBe('local');
    expect(e.spec).toBe('127.0.0.1:1:h:2');
    expect(e.exitCode).toBe(255);
    expect(ErrorCode.FORWARD_CANCEL_FAILED).toBe('OSSH_FORWARD_CANCEL_FAILED');
    expect(publicApi.ForwardError).toBe(ForwardError);
  });
});
