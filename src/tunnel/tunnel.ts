import { stdioForwardSpec } from '../argv/slave.js';
import type { CommandOptions } from '../options/command.js';
import { badOption } from '../options/validate.js';

/** Options of `openTunnel()`: those of the stream methods, without `tunnel`/`subsystem`. */
export type TunnelOptions = Omit<CommandOptions, 'reject' | 'stdinoutDpipe' | 'tunnel' | 'subsystem'> & { reject?: never };

/** Options of `captureTunnel()`: those of `capture()`, without `tunnel`/`subsystem`. */
export type CaptureTunnelOptions = Omit<CommandOptions, 'reject' | 'tunnel' | 'subsystem'> & { reject?: never };

/**
 * Check a tunnel's `host`/`port` (TypeErrors naming the expected form) and its options, and
 * return the `[host, port]` command and the options with `tunnel: true`.
 */
export function tunnelCall<O extends object | undefined>(method: string, host: unknown, port: unknown, options: O): [[string, string], O & { tunnel: true }] {
  stdioForwardSpec(host, port);
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    badOption('options', 'an object', options);
  }
  for (const k of ['tunnel', 'subsystem'] as const) {
    if (options && k in options) throw new TypeError(`option '${k}' cannot be used with ${method}: it always opens a tunnel`);
  }
  return [[host as string, String(port)], { ...(options as O), tunnel: true }];
}
