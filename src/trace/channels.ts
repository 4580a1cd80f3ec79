import { tracingChannel, type TracingChannel } from 'node:diagnostics_channel';
import type { OpenSSHError } from '../errors/index.js';

/**
 * What a subscriber of `openssh-mux:command` receives: the same object on every event of one
 * command (`start`, `end`, then `error` if it failed, `asyncStart`, `asyncEnd`), filled in as
 * the command goes. Nothing secret is in it: no password, no stdin data, no output.
 */
export interface CommandTraceContext {
  /** The host the command runs on. */
  host: string;
  /** The fleet label of the host (its `LABEL` variable), when it has one. */
  label: string | undefined;
  /** The remote command string sent to the remote shell. */
  command: string;
  /** The local ssh argv, program first (set once the master is ready). */
  argv?: string[] | undefined;
  /** `'spawn'` (an `ssh -S` process) or `'mux'` (a channel over the master's socket). */
  engine?: 'spawn' | 'mux' | undefined;
  /**
   * true for a command of a shell session (`ssh.shell()`): it runs in the session's remote
   * shell, so it has no argv, engine or pid of its own (the session's channel is traced when
   * it opens); `exitCode`, `durationMs` and `errorCode` are the command's.
   */
  shellSession?: true | undefined;
  /** pid of the local ssh slave (spawn engine). */
  pid?: number | undefined;
  /** The channel number of the command on the master's connection (mux engine; this side's id). */
  channel?: number | undefined;
  /** Exit code of the command (the Result's `exitCode`). */
  exitCode?: number | undefined;
  /** Signal that ended the local ssh. */
  signal?: NodeJS.Signals | undefined;
  /** Wall-clock time from spawn to exit, in ms (from the Result). */
  durationMs?: number | undefined;
  /** The error's stable code, when the command failed (also with `reject: false`). */
  errorCode?: string | undefined;
  /** The Result (set by Node when the command resolved). */
  result?: unknown;
  /** The error (set by Node when the command rejected). */
  error?: unknown;
}

/** What a subscriber of `openssh-mux:master` receives (one object per operation). */
export interface MasterTraceContext {
  /** The host of the master. */
  host: string;
  /** `connect` (start and log in), `disconnect`, `stop` or `restart`. */
  operation: 'connect' | 'disconnect' | 'stop' | 'restart';
  /** The ControlPath socket, once chosen. */
  ctlPath?: string | undefined;
  /** pid of the master ssh, once known. */
  pid?: number | undefined;
  /** The master's state when the operation ended. */
  state?: string | undefined;
  /** Time the operation took, in ms. */
  durationMs?: number | undefined;
  /** The error's stable code, when the operation failed. */
  errorCode?: string | undefined;
  result?: unknown;
  error?: unknown;
}

/** What a subscriber of `openssh-mux:transfer` receives (one object per transfer). */
export interface TransferTraceContext {
  host: string;
  /** `scp` or `rsync`. */
  tool: 'scp' | 'rsync';
  /** `get` (remote to local) or `put`. */
  direction: 'get' | 'put';
  /** The sources as given (after variable expansion). */
  sources: readonly string[];
  /** The target as given (undefined: the default). */
  target: string | undefined;
  /** The tool's argv, program first (set when the transfer succeeded or failed after starting). */
  argv?: readonly string[] | undefined;
  exitCode?: number | undefined;
  durationMs?: number | undefined;
  errorCode?: string | undefined;
  result?: unknown;
  error?: unknown;
}

/** `openssh-mux:command`: every command of every method (run, capture, spawn, pipeOut, $...). */
export const commandChannel: TracingChannel<unknown, CommandTraceContext & object> = tracingChannel('openssh-mux:command');
/** `openssh-mux:master`: the master's connect, disconnect, stop and restart. */
export const masterChannel: TracingChannel<unknown, MasterTraceContext & object> = tracingChannel('openssh-mux:master');
/** `openssh-mux:transfer`: scp and rsync transfers. */
export const transferChannel: TracingChannel<unknown, TransferTraceContext & object> = tracingChannel('openssh-mux:transfer');

/**
 * Whether anyone listens on any of the channel's five events. Checked before building a
 * context, so that tracing costs a few property reads when nobody subscribes (undici's
 * pattern; TracingChannel's own `hasSubscribers` needs Node >= 20.13).
 */
export function tracing(tc: TracingChannel<unknown, object>): boolean {
  return tc.start.hasSubscribers || tc.end.hasSubscribers || tc.asyncStart.hasSubscribers || tc.asyncEnd.hasSubscribers || tc.error.hasSubscribers;
}

/** The stable code of an error, if it has one. */
export function codeOf(err: unknown): string | undefined {
  const code = (err as OpenSSHError | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
