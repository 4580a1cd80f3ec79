import { execFile } from 'node:child_process';
import { basename } from 'node:path';
import { ErrorCode, SlaveError, type ErrorDetails } from '../errors/index.js';

/**
 * The platform's limits on what `exec` accepts, checked before spawning so that a command too
 * long to run fails with a clear `OSSH_ARGV_TOO_LONG` instead of Node's bare `spawn E2BIG`.
 *
 * - Linux: one argument or environment string at most `MAX_ARG_STRLEN` (32 pages, 128 KiB
 *   with 4 KiB pages) including its NUL; all of them plus their pointers at most the stack
 *   limit / 4, capped at 6 MiB by the kernel (`getconf ARG_MAX` without the cap).
 * - Other POSIX systems: the total only, `getconf ARG_MAX`.
 * - Windows: a command line of at most 32,767 characters.
 */
export interface ArgvLimits {
  /** Bytes one string may take, its NUL included; undefined: no such limit. */
  perString: number | undefined;
  /** Bytes all strings (NULs included) and their pointers may take; undefined: unknown. */
  total: number | undefined;
  /** How `total` is named on this platform, for messages. */
  totalName: string;
  /** Windows: `total` counts the characters of one command line; the environment is apart. */
  windows?: boolean;
}

/** Linux's cap on the argument space: `_STK_LIM / 4 * 3`. */
const LINUX_CAP = 6 * 1024 * 1024;
/** Room for what exec also copies there: the program's resolved path (PATH_MAX). */
const SLACK = 4096;
const POINTER = 8;

let cached: ArgvLimits | undefined;
let envCopy: { env: NodeJS.ProcessEnv; at: number } | undefined;

/**
 * A plain copy of `process.env`, taken at most once a second: reading `process.env` goes
 * through the C++ environment for every key, too slow to repeat for each of a thousand calls
 * in one turn of the event loop. (A variable grown past the limits within that second still
 * fails typed: the spawn's own E2BIG.)
 */
function parentEnv(): NodeJS.ProcessEnv {
  const now = performance.now();
  if (!envCopy || now - envCopy.at > 1000) envCopy = { env: { ...process.env }, at: now };
  return envCopy.env;
}
let loading: Promise<ArgvLimits> | undefined;

function getconf(name: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    execFile('getconf', [name], { encoding: 'utf8', timeout: 5000 }, (err, out) => {
      const n = Number(out?.trim());
      resolve(err || !Number.isInteger(n) || n <= 0 ? undefined : n);
    });
  });
}

/**
 * This system's limits, asked of `getconf` once (lazily) and cached. When `getconf` cannot
 * run (say, every fd is in use) the answer is not cached and only the limits known without it
 * are returned: the spawn then fails on its own, as a typed SlaveError.
 */
export function argvLimits(): Promise<ArgvLimits> {
  if (cached) return Promise.resolve(cached);
  if (process.platform === 'win32') return Promise.resolve((cached = { perString: undefined, total: 32_767, totalName: 'the Windows command-line limit', windows: true }));
  loading ??= Promise.all([getconf('ARG_MAX'), process.platform === 'linux' ? getconf('PAGESIZE') : undefined]).then(([argMax, page]) => {
    loading = undefined;
    const linux = process.platform === 'linux';
    const limits: ArgvLimits = {
      perString: linux ? 32 * (page ?? 4096) : undefined,
      total: argMax === undefined ? undefined : linux ? Math.min(argMax, LINUX_CAP) : argMax,
      totalName: 'ARG_MAX',
    };
    if (argMax !== undefined && (!linux || page !== undefined)) cached = limits;
    return limits;
  });
  return loading;
}

/**
 * What is wrong with running `file args` with `env` under `limits` (pure): a message, or
 * undefined when it fits. The message suggests sending big data on stdin.
 */
export function argvProblem(file: string, args: readonly string[], env: NodeJS.ProcessEnv, limits: ArgvLimits): string | undefined {
  const hint = 'pass large data on the remote stdin (stdinData, stdinFile or a stream) or put the command in a remote script';
  const program = basename(file);
  if (limits.windows) {
    const chars = [file, ...args].reduce((n, a) => n + a.length + 3, 0);
    if (limits.total !== undefined && chars > limits.total) {
      return `the command line is too long to run: ${program}'s ${chars} characters exceed ${limits.totalName} (${limits.total}); ${hint}`;
    }
    return undefined;
  }
  const strings: Array<[what: string, bytes: number]> = [[program, Buffer.byteLength(file) + 1]];
  args.forEach((a, i) => strings.push([`argument ${i + 1} of ${program}`, Buffer.byteLength(a) + 1]));
  const e = envSummary(env);
  if (e.longest) strings.push(e.longest);
  if (limits.perString !== undefined) {
    for (const [what, bytes] of strings) {
      if (bytes > limits.perString) {
        return `the command is too long to run: ${what} takes ${bytes} bytes, more than the ${limits.perString} this system allows for one (MAX_ARG_STRLEN); ${hint}`;
      }
    }
  }
  if (limits.total !== undefined) {
    const argvBytes = strings.slice(0, args.length + 1).reduce((n, [, b]) => n + b + POINTER, 0);
    const total = SLACK + argvBytes + e.bytes;
    if (total > limits.total) {
      return `the command line is too long to run: ${program}'s arguments and environment take ${total} bytes, more than this system's ${limits.totalName} (${limits.total}); ${hint}`;
    }
  }
  return undefined;
}

interface EnvSummary {
  /** Bytes of every `key=value` string, NULs and pointers included. */
  bytes: number;
  /** The longest string, named. */
  longest: [what: string, bytes: number] | undefined;
}
const summaries = new WeakMap<NodeJS.ProcessEnv, EnvSummary>();

/** The size of an environment, computed once per environment object. */
function envSummary(env: NodeJS.ProcessEnv): EnvSummary {
  const known = env === process.env ? undefined : summaries.get(env);
  if (known) return known;
  let bytes = 0;
  let longest: EnvSummary['longest'];
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    const n = Buffer.byteLength(k) + Buffer.byteLength(v) + 2;
    bytes += n + POINTER;
    if (!longest || n > longest[1]) longest = [`environment variable ${k}`, n];
  }
  const summary = { bytes, longest };
  if (env !== process.env) summaries.set(env, summary);
  return summary;
}

/**
 * Refuse, before spawning, a command line the system would refuse with E2BIG: a SlaveError
 * `OSSH_ARGV_TOO_LONG`. `env` is the environment the process gets (the parent's when omitted).
 */
export async function checkArgv(argv: readonly string[], env: NodeJS.ProcessEnv | undefined, details: ErrorDetails): Promise<void> {
  const limits = await argvLimits();
  const problem = argvProblem(argv[0]!, argv.slice(1), env ?? parentEnv(), limits);
  if (problem) throw new SlaveError(ErrorCode.ARGV_TOO_LONG, problem, details);
}
