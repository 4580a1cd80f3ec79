import type { ForwardSpec, ForwardType } from '../argv/control.js';
import type { CommandDefaults } from '../options/command.js';
import { hostProblem } from '../options/host.js';
import { badOption, checkKnownKeys, describe, optEnum, optMs, optSignal } from '../options/validate.js';

/**
 * Options of `forward()` and `cancelForward()`. The listening side is `bindAddress` + `port`
 * or a Unix socket `path`; the connecting side (local and remote forwards) is `targetHost` +
 * `targetPort` or a Unix socket `targetPath`.
 */
export interface ForwardOptions {
  /**
   * `local` (`-L`): listen here, connect from the remote host. `remote` (`-R`): listen on the
   * remote host, connect from here. `dynamic` (`-D`): a SOCKS 4/5 proxy here whose connections
   * leave from the remote host.
   */
  type: ForwardType;
  /**
   * Address to listen on. Local and dynamic: `127.0.0.1` by default (ssh's own default,
   * `localhost`, binds both address families and reports success when only one worked).
   * Remote: the server's default (loopback unless its `GatewayPorts` says otherwise).
   * IPv6 literals with or without brackets.
   */
  bindAddress?: string;
  /**
   * Port to listen on. 0 or omitted: any free port, reported on the handle (remote: the
   * server allocates it; local and dynamic: a free local port is picked, since ssh refuses 0).
   */
  port?: number;
  /** Listen on this Unix socket (absolute path) instead of a port (local and remote only). */
  path?: string;
  /** Host to connect to: resolved on the remote side for `local`, on this side for `remote`. */
  targetHost?: string;
  /** Port to connect to, with `targetHost`. */
  targetPort?: number;
  /** Connect to this Unix socket (absolute path) instead of `targetHost`/`targetPort`. */
  targetPath?: string;
  /** Limit in ms for the master to answer the request (default 10 s, or the constructor's `timeout`). */
  timeout?: number;
  /**
   * Cancels the request while it is made and, once the forward is up, closes it (like
   * `server.listen({ signal })`).
   */
  signal?: AbortSignal;
}

/** A forward request, validated. */
export interface NormalizedForward {
  spec: ForwardSpec;
  /** The caller asked for any port of a local or dynamic forward: a free one is picked. */
  pickPort: boolean;
  timeoutMs: number;
  signal: AbortSignal | undefined;
}

/** How long the master may take to answer a forward/cancel request when no `timeout` is given. */
export const FORWARD_REQUEST_TIMEOUT_MS = 10_000;

const KNOWN = new Set(['type', 'bindAddress', 'port', 'path', 'targetHost', 'targetPort', 'targetPath', 'timeout', 'signal']);

/** A host name or IP address for a forwarding spec (bare, brackets removed). */
function optHost(name: string, value: unknown, { wildcard }: { wildcard: boolean }): string | undefined {
  if (value === undefined) return undefined;
  const bare = typeof value === 'string' && value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
  const expected = `a host name or IP address${wildcard ? " (or '*' for every address)" : ''}`;
  if (typeof bare !== 'string' || !(/^[\w.:%-]+$/.test(bare) || (wildcard && bare === '*'))) {
    badOption(name, expected, value);
  }
  const why = bare === '*' ? undefined : hostProblem(bare);
  if (why !== undefined) badOption(name, expected, value, why);
  return bare;
}

function optForwardPort(name: string, value: unknown, min: 0 | 1): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 65535) {
    badOption(name, `an integer port from ${min} to 65535${min === 0 ? ' (0: any free port)' : ''}`, value);
  }
  return value;
}

/**
 * An absolute Unix socket path. The request carries it as a string (MUX_C_OPEN_FWD), not as
 * ssh's `-L` syntax, so spaces, ':' and brackets are fine; only NUL cannot be sent.
 */
function optSocketPath(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !value.startsWith('/') || value.includes('\0')) {
    badOption(name, 'an absolute Unix socket path (no NUL)', value);
  }
  return value;
}

/** Validate `forward()`/`cancelForward()` options. Throws a TypeError naming the problem. */
export function normalizeForward(options: unknown, defaults: CommandDefaults, method: string, { cancel = false } = {}): NormalizedForward {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`${method} needs an options object such as { type: 'local', port: 8080, targetHost: 'db', targetPort: 5432 }, received ${describe(options)}`);
  }
  const o = options as Record<string, unknown>;
  if ('idleTimeout' in o) {
    throw new TypeError(`option 'idleTimeout' cannot be used with ${method}: the forwarded connections are carried by the master, which does not report their traffic`);
  }
  checkKnownKeys(o, KNOWN, method);
  const type = optEnum('type', o.type, ['local', 'remote', 'dynamic'] as const);
  if (type === undefined) badOption('type', "one of 'local', 'remote', 'dynamic'", o.type);
  const path = optSocketPath('path', o.path);
  const bindAddress = optHost('bindAddress', o.bindAddress, { wildcard: true });
  const port = optForwardPort('port', o.port, 0);
  if (path !== undefined && (bindAddress !== undefined || port !== undefined)) {
    throw new TypeError(`options 'path' and '${bindAddress !== undefined ? 'bindAddress' : 'port'}' cannot be used together: a forward listens on a Unix socket or on an address and port`);
  }
  if (type === 'dynamic' && path !== undefined) {
    throw new TypeError("option 'path' cannot be used with a dynamic forward: ssh's SOCKS proxy listens on a TCP port only");
  }
  const targetPath = optSocketPath('targetPath', o.targetPath);
  const targetHost = optHost('targetHost', o.targetHost, { wildcard: false });
  const targetPort = optForwardPort('targetPort', o.targetPort, 1);
  if (type === 'dynamic') {
    const given = (['targetHost', 'targetPort', 'targetPath'] as const).find((k) => o[k] !== undefined);
    if (given) throw new TypeError(`option '${given}' cannot be used with a dynamic forward: the SOCKS client names the target of each connection`);
  } else if (targetPath !== undefined) {
    const given = (['targetHost', 'targetPort'] as const).find((k) => o[k] !== undefined);
    if (given) throw new TypeError(`options 'targetPath' and '${given}' cannot be used together: a forward connects to a Unix socket or to a host and port`);
  } else if (targetHost === undefined || targetPort === undefined) {
    throw new TypeError(`a ${type} forward needs 'targetHost' and 'targetPort' (or 'targetPath'), received ${describe(targetHost === undefined ? o.targetHost : o.targetPort)} for '${targetHost === undefined ? 'targetHost' : 'targetPort'}'`);
  }
  const listensOnPort = path === undefined;
  const anyPort = listensOnPort && (port ?? 0) === 0;
  if (cancel && anyPort && type !== 'remote') {
    throw new TypeError(`option 'port' of ${method} must be the port the ${type} forward listens on, received ${describe(o.port)}`);
  }
  const spec: ForwardSpec = {
    type,
    bindAddress: bindAddress ?? (type !== 'remote' && listensOnPort ? '127.0.0.1' : undefined),
    port: listensOnPort ? (port ?? 0) : undefined,
    path,
    targetHost,
    targetPort,
    targetPath,
  };
  const timeout = o.timeout === undefined ? defaults.timeout : optMs('timeout', o.timeout);
  const own = optSignal('signal', o.signal);
  const signal = own && defaults.signal ? AbortSignal.any([own, defaults.signal]) : (own ?? defaults.signal);
  return { spec, pickPort: anyPort && type !== 'remote', timeoutMs: timeout ?? FORWARD_REQUEST_TIMEOUT_MS, signal };
}
