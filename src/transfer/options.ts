import type { Writable } from 'node:stream';
import { getQuoter } from '../quote/registry.js';
import type { Quoter } from '../quote/types.js';
import { badOption, describe, optBoolean, optEnum, optMs, optSignal, optString, optStringArray } from '../options/validate.js';
import type { TransferProgress } from './progress.js';

/** Where a transfer tool's stdout or stderr goes (default: collected into the result). */
export type TransferOutput = 'ignore' | 'inherit' | number | Writable;

/** An rsync option given by name: `true` → `--name`, `false` → `--no-name`, a value → `--name=value`, an array repeats it. */
export type RsyncOptionValue = boolean | string | number | ReadonlyArray<string | number>;

/**
 * Options of `scpGet`, `scpPut`, `rsyncGet` and `rsyncPut` (Net::OpenSSH's names in camelCase).
 */
export interface TransferOptions {
  /** Copy directories recursively (`-r`). */
  recursive?: boolean;
  /**
   * Sources are wildcard patterns: remote ones are expanded on the remote side (by scp's
   * SFTP client, or the remote shell), local ones here, with shell-like rules (`* ? [..] {a,b}`,
   * dot files only when the pattern starts with a dot). Without it every name is literal.
   */
  glob?: boolean;
  /** Keep modification times and permission bits (`scp -p`, `rsync -pt`). */
  copyAttrs?: boolean;
  /** Bandwidth limit in Kbit/s (scp `-l`; for rsync converted to its KiB/s `--bwlimit`). */
  bwlimit?: number;
  /** Pass `-q` (default true; rsync also drops it when `verbose` or progress is on). */
  quiet?: boolean;
  /** `-v` (true, or a count for `-vv…`). */
  verbose?: boolean | number;
  /** Stop the transfer when it runs longer than this many ms (SIGTERM, then SIGKILL after 2 s). */
  timeout?: number;
  /** Stop the transfer when no byte moves for this many ms. */
  idleTimeout?: number;
  /** Cancel the transfer. */
  signal?: AbortSignal;
  /** Resolve as soon as the tool runs, with the running {@link Transfer}, instead of waiting for its end. */
  async?: boolean;
  /** The tool's stdout: `'ignore'`, `'inherit'`, an fd or a Writable (default: collected into the result). */
  stdout?: TransferOutput;
  /** The tool's stderr, like `stdout` (default: collected, and kept on the error). */
  stderr?: TransferOutput;
  /** Send stderr where stdout goes. */
  stderrToStdout?: boolean;
  /**
   * Extra ssh options (replace the connection's `defaultSshOpts`). For rsync they go into the
   * `-e` ssh command; scp takes them as its own options (scp accepts `-o`, `-c`, `-F`, `-i`, `-C`, `-4`/`-6`...).
   */
  sshOpts?: readonly string[];
  /** Called with every progress event (see docs/transfer.md for what each tool can report). */
  onProgress?: (progress: TransferProgress) => void;
  /** Collect progress events for `Transfer.progress` even without `onProgress`. */
  progress?: boolean;
  /** The program (default: `scp`/`rsync` next to the connection's `sshCmd`, else from PATH). */
  command?: string;
  /** scp only: `'sftp'` (the SFTP protocol, default of OpenSSH >= 9) or `'legacy'` (`scp -O`, the old rcp protocol through the remote shell). */
  scpMode?: 'sftp' | 'legacy';
  /** rsync only: any other option, as `--name[=value]` (camelCase or snake_case become dashes). */
  [rsyncOption: string]: unknown;
}

/** What a transfer needs from its connection. */
export interface TransferDefaults {
  defaultSshOpts?: readonly string[] | undefined;
  remoteShell?: string | Quoter | undefined;
  idleTimeout?: number | undefined;
  timeout?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** The tool of a transfer. */
export type TransferTool = 'scp' | 'rsync';
/** The direction of a transfer: `get` copies remote → here, `put` here → remote. */
export type TransferDirection = 'get' | 'put';

/** Where a tool's output goes, validated (`stdout`: wherever stdout goes). */
export type OutputSpec = { kind: 'collect' } | { kind: 'ignore' } | { kind: 'inherit' } | { kind: 'fd'; fd: number } | { kind: 'stream'; stream: Writable } | { kind: 'stdout' };

/** Options validated and defaulted. */
export interface NormalizedTransfer {
  tool: TransferTool;
  direction: TransferDirection;
  recursive: boolean;
  glob: boolean;
  copyAttrs: boolean;
  /** Kbit/s, or undefined for no limit. */
  bwlimit: number | undefined;
  quiet: boolean;
  verbose: number;
  timeout: number | undefined;
  idleTimeout: number | undefined;
  signal: AbortSignal | undefined;
  async: boolean;
  stdout: OutputSpec;
  stderr: OutputSpec;
  sshOpts: readonly string[];
  onProgress: ((p: TransferProgress) => void) | undefined;
  /** Progress events wanted (a callback, or `progress: true`). */
  progress: boolean;
  command: string | undefined;
  scpMode: 'sftp' | 'legacy';
  quoter: Quoter;
  /** rsync's extra options, already as argv words. */
  rsyncArgs: string[];
}

const COMMON = [
  'recursive', 'glob', 'copyAttrs', 'bwlimit', 'quiet', 'verbose', 'timeout', 'idleTimeout', 'signal', 'async',
  'stdout', 'stderr', 'stderrToStdout', 'sshOpts', 'onProgress', 'progress', 'command',
];
const SCP_KNOWN = new Set([...COMMON, 'scpMode']);
const RSYNC_KNOWN = new Set(COMMON);

/**
 * rsync options a caller may not pass: they would replace the transport, the argument
 * protection or the process model the library relies on (Net::OpenSSH's list, plus the
 * argument-protection options of rsync >= 3.2.4 and `e`/`s`).
 */
export const FORBIDDEN_RSYNC_OPTIONS: ReadonlySet<string> = new Set([
  'rsh', 'e', 'address', 'port', 'sockopts', 'password-file', 'write-batch', 'only-write-batch', 'read-batch',
  'ipv4', 'ipv6', 'version', 'help', 'daemon', 'config', 'detach', 'protect-args', 'secluded-args', 's',
  'old-args', 'list-only', 'server', 'sender', 'timeout',
]);

/** `safeLinks` / `safe_links` / `safe-links` → `safe-links`. */
export function rsyncOptionName(key: string): string {
  return key.replace(/_/g, '-').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * Turn the caller's extra rsync options into argv words, in the order given: `true` →
 * `--name`, `false` → `--no-name`, a string or number → `--name=value`, an array → one
 * `--name=value` per element. Forbidden names (and their `no-` forms) throw a TypeError.
 */
export function rsyncExtraArgs(extra: ReadonlyArray<[string, unknown]>): string[] {
  const out: string[] = [];
  for (const [key, value] of extra) {
    const name = rsyncOptionName(key);
    if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) {
      throw new TypeError(`rsync option '${key}' is not a valid option name (letters, digits, '-', '_', camelCase)`);
    }
    const base = name.startsWith('no-') ? name.slice(3) : name;
    if (FORBIDDEN_RSYNC_OPTIONS.has(base) || FORBIDDEN_RSYNC_OPTIONS.has(name)) {
      throw new TypeError(
        `rsync option '${key}' (--${name}) is forbidden: it would replace the transport, argument protection or process handling that the library sets` +
          (base === 'timeout' ? " (use the 'timeout' or 'idleTimeout' option, in ms)" : ''),
      );
    }
    const one = (v: unknown): string => {
      if (typeof v === 'number' && Number.isFinite(v)) return `--${name}=${v}`;
      if (typeof v === 'string' && !v.includes('\0')) return `--${name}=${v}`;
      return badOption(key, 'true, false, a string, a number or an array of strings/numbers (an rsync option)', value);
    };
    if (value === true) out.push(`--${name}`);
    else if (value === false) out.push(name.startsWith('no-') ? `--${base}` : `--no-${name}`);
    else if (Array.isArray(value)) out.push(...value.map(one));
    else if (value !== undefined) out.push(one(value));
  }
  return out;
}

function output(name: string, value: unknown): OutputSpec | undefined {
  if (value === undefined) return undefined;
  if (value === 'ignore' || value === 'inherit') return { kind: value };
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return { kind: 'fd', fd: value };
  if (typeof value === 'object' && value !== null && typeof (value as Writable).write === 'function') return { kind: 'stream', stream: value as Writable };
  return badOption(name, "'ignore', 'inherit', a file descriptor or a Writable stream", value);
}

/** Validate a transfer's options; throws a TypeError naming the first bad one. */
export function normalizeTransfer(
  tool: TransferTool,
  direction: TransferDirection,
  options: TransferOptions | undefined,
  defaults: TransferDefaults = {},
): NormalizedTransfer {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) badOption('options', 'an object', options);
  const o = (options ?? {}) as Record<string, unknown>;
  const known = tool === 'scp' ? SCP_KNOWN : RSYNC_KNOWN;
  const extra: Array<[string, unknown]> = [];
  for (const key of Object.keys(o)) {
    if (known.has(key)) continue;
    if (tool === 'scp') {
      const list = [...SCP_KNOWN].sort().join(', ');
      throw new TypeError(`unknown option '${key}' for scp${direction === 'get' ? 'Get' : 'Put'}(); known options are: ${list}`);
    }
    extra.push([key, o[key]]);
  }
  const bw = o.bwlimit;
  if (bw !== undefined && (typeof bw !== 'number' || !Number.isFinite(bw) || bw < 0)) badOption('bwlimit', 'a number of Kbit/s >= 0 (0: no limit)', bw);
  const v = o.verbose;
  if (v !== undefined && typeof v !== 'boolean' && !(typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 4)) {
    badOption('verbose', 'a boolean or a count from 0 to 4', v);
  }
  const onProgress = o.onProgress;
  if (onProgress !== undefined && typeof onProgress !== 'function') badOption('onProgress', 'a function', onProgress);
  const stdout = output('stdout', o.stdout) ?? { kind: 'collect' };
  let stderr = output('stderr', o.stderr) ?? { kind: 'collect' };
  if (optBoolean('stderrToStdout', o.stderrToStdout)) {
    if (o.stderr !== undefined) throw new TypeError("options 'stderr' and 'stderrToStdout' both set the stderr; give only one of them");
    stderr = { kind: 'stdout' };
  }
  const scpMode = optEnum('scpMode', o.scpMode, ['sftp', 'legacy'] as const) ?? 'sftp';
  const remoteShell = defaults.remoteShell ?? 'POSIX';
  const async = optBoolean('async', o.async) ?? false;
  const signal = optSignal('signal', o.signal);
  return {
    tool,
    direction,
    recursive: optBoolean('recursive', o.recursive) ?? false,
    glob: optBoolean('glob', o.glob) ?? false,
    copyAttrs: optBoolean('copyAttrs', o.copyAttrs) ?? false,
    bwlimit: bw === undefined || bw === 0 ? undefined : (bw as number),
    quiet: optBoolean('quiet', o.quiet) ?? true,
    verbose: v === true ? 1 : typeof v === 'number' ? v : 0,
    timeout: o.timeout === undefined ? defaults.timeout : optMs('timeout', o.timeout),
    idleTimeout: o.idleTimeout === undefined ? defaults.idleTimeout : optMs('idleTimeout', o.idleTimeout),
    signal: signal && defaults.signal ? AbortSignal.any([signal, defaults.signal]) : (signal ?? defaults.signal),
    async,
    stdout,
    stderr,
    sshOpts: optStringArray('sshOpts', o.sshOpts) ?? defaults.defaultSshOpts ?? [],
    onProgress: onProgress as NormalizedTransfer['onProgress'],
    progress: onProgress !== undefined || (optBoolean('progress', o.progress) ?? false),
    command: optString('command', o.command),
    scpMode,
    quoter: getQuoter(remoteShell),
    rsyncArgs: rsyncExtraArgs(extra),
  };
}

/** Check the sources and target arguments: one string or a non-empty array of strings. */
export function normalizePaths(method: string, sources: unknown, target: unknown): { sources: string[]; target: string | undefined } {
  const list = typeof sources === 'string' ? [sources] : sources;
  if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === 'string' && s !== '' && !s.includes('\0'))) {
    throw new TypeError(`${method}(): sources must be a non-empty string or a non-empty array of them (no NUL bytes), received ${describe(sources)}`);
  }
  if (target !== undefined && (typeof target !== 'string' || target.includes('\0'))) {
    throw new TypeError(`${method}(): target must be a string without NUL bytes (or undefined), received ${describe(target)}`);
  }
  return { sources: [...(list as string[])], target: target as string | undefined };
}
