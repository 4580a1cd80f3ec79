import type { OpenSSHError } from '../errors/index.js';

/** The full outcome of a command, as `run()` returns it (and as errors describe it). */
export interface Result<T extends string | Buffer = string> {
  /** The host the command ran on. */
  host: string;
  /** The remote command string sent to the remote shell. */
  command: string;
  /** The local ssh argv, program first: paste it into a shell to reproduce. */
  argv: string[];
  /** Captured stdout ('' when stdout went elsewhere). */
  stdout: T;
  /** Captured stderr ('' when stderr went elsewhere). */
  stderr: T;
  /** Exit code of the local ssh (the remote command's, or 255 for ssh errors); undefined if killed. */
  exitCode: number | undefined;
  /** Signal that ended the local ssh, if any. */
  signal: NodeJS.Signals | undefined;
  /** The signal that ended the remote command (`exit-signal`; mux engine only). */
  remoteSignal?: NodeJS.Signals | undefined;
  /** The library asked the server to signal the remote command and it refused (sshd does for root sessions; mux engine only). */
  remoteSignalRefused?: boolean | undefined;
  /** Wall-clock time from spawn to exit. */
  durationMs: number;
  /** The command hit `idleTimeout` or `timeout`. */
  timedOut: boolean;
  /** The command was cancelled through its AbortSignal. */
  aborted: boolean;
  /** The command did not succeed (with `reject: false`, `error` says why). */
  failed: boolean;
  /** Why it failed, when `failed` (only with `reject: false`). */
  error?: OpenSSHError | undefined;
}
