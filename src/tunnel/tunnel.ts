import { stdioForwardSpec } from '../argv/slave.js';
import type { CommandOptions } from '../options/command.js';
import { badOption } from '../options/validate.js';

/** Options of `openTunnel()`: those of the stream methods, without `tunnel`/`subsystem`. */
export type TunnelOptions = Omit<CommandOptions, 'reject' | 'stdinoutDpipe' | 'tunnel' | 'subsystem'> & { reject?: never };

/** Options of `captureTunnel()`: those of `capture()`, without `tunnel`/`subsystem`. */
export type CaptureTunnelOptions = Omit<CommandOptions, 'reject' | 'tunnel' | 'subsystem'> & { reject?: never };

/**
 * Check a tunnel's `host`/`port`, or its Unix socket path (an absolute path and no port),
 * and its options (TypeErrors naming the expected form). Returns the command, `[host, port]`
 * or `[path]`, and the options with `tunnel: true`.
 */
export function tunnelCall<O extends object | undefined>(method: string, host: unknown, port: unknown, options: O): [[string, string] | [string], O & { tunnel: true }] {
  if (typeof host === 'string' && host.startsWith('/')) {
    const name = method.replace('()', '');
    if (port !== undefined && (typeof port !== 'object' || port === null || Array.isArray(port))) {
      throw new TypeError(`${method} to a Unix socket path takes no port: call ${name}(path, options), received ${JSON.stringify(host)} and port ${JSON.stringify(port) ?? String(port)}`);
    }
    if (port !== undefined && options !== undefined) {
      throw new TypeError(`${method} to a Unix socket path takes (path, options), received a third argument`);
    }
    if (host.includes('\0')) throw new TypeError(`tunnel socket path must be an absolute Unix socket path (no NUL), received ${JSON.stringify(host)}`);
    return [[host], checkOptions(method, (port ?? options) as O)];
  }
  stdioForwardSpec(host, port);
  return [[host as string, String(port)], checkOptions(method, options)];
}

function checkOptions<O extends object | undefined>(method: string, options: O): O & { tunnel: true } {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    badOption('options', 'an object', options);
  }
  for (const k of ['tunnel', 'subsystem'] as const) {
    if (options && k in options) throw new TypeError(`option '${k}' cannot be used with ${method}: it always opens a tunnel`);
  }
  return { ...(options as O), tunnel: true };
}
