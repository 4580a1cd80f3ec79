import type { Readable, Writable } from 'node:stream';
import { MasterError } from '../errors/index.js';
import type { CommandOptions } from '../options/command.js';
import type { Command } from '../quote/command.js';
import type { SshProcess } from '../run/execute.js';
import type { Result } from '../run/result.js';

/** How a session's channel ended. */
export interface TransportExit {
  /** The remote shell's exit code, when known. */
  exitCode: number | undefined;
  /** The signal that ended the local end (an ssh slave), if any. */
  signal: NodeJS.Signals | undefined;
  /** Why the channel broke when it was not the shell's doing (the connection is gone). */
  error?: Error | undefined;
}

/**
 * One bidirectional channel running the session shell: what a session needs from an engine.
 * The spawn engine gives an `ssh -S` slave's pipes; an in-process engine can give a channel's
 * streams. `closed` settles once the channel is gone and its output streams have ended.
 */
export interface ShellTransport {
  /** The remote shell's stdin. */
  readonly stdin: Writable;
  /** The remote shell's stdout. */
  readonly stdout: Readable;
  /** The remote shell's stderr. */
  readonly stderr: Readable;
  /** The local argv of the channel (for Results and errors); `[]` when there is none. */
  readonly argv: readonly string[];
  /** Settles (never rejects) once the channel is closed. */
  readonly closed: Promise<TransportExit>;
  /** Tear the channel down at once. */
  kill(): void;
}

/** What a session needs from its connection: open a channel, run a side command. */
export interface ShellEngine {
  /** The host name, for Results and errors. */
  readonly host: string;
  /** Open a channel running `shell` (a program path, started explicitly). */
  open(shell: string, signal: AbortSignal | undefined): Promise<ShellTransport>;
  /**
   * Run the POSIX sh `script` with `args` as `$1...` on a separate channel (a control
   * command: killing a session's runaway command while its stdin is busy). Resolves with
   * its stdout; rejects on failure.
   */
  control(script: string, args: readonly string[], timeoutMs: number): Promise<string>;
}

/** The part of `OpenSSH` a spawn-engine session uses (`spawn()`, `run()`, `checkMaster()`). */
export interface ShellHost {
  readonly host: string;
  /** Rejects with the MasterError when the connection is gone. */
  checkMaster(): Promise<void>;
  spawn(cmd: Command, options?: CommandOptions): Promise<SshProcess<string | Buffer>>;
  run(cmd: Command, options?: CommandOptions): Promise<Result<string | Buffer>>;
}

/**
 * The engine of a session on a connection: the channel is what `spawn()` starts (its command
 * `[shell]` quoted for the connection's `remoteShell`, so a fish or csh login shell just
 * starts it), control commands (interrupts, cleanup) go through `run()`. On the spawn engine
 * each is an `ssh -S` slave; on the mux engine (`engine: 'mux'`) each is one channel of the
 * in-process connection and no local process is started.
 */
export function spawnEngine(host: ShellHost): ShellEngine {
  return {
    host: host.host,
    async open(shell, signal) {
      // The signal aborts the opening only: spawn() would keep it for the slave's whole life.
      const opening = new AbortController();
      const onAbort = () => opening.abort(signal!.reason);
      if (signal?.aborted) opening.abort(signal.reason);
      else signal?.addEventListener('abort', onAbort, { once: true });
      let p: SshProcess<string | Buffer>;
      try {
        p = await host.spawn([shell], { reject: false, buffer: false, encoding: 'buffer', signal: opening.signal });
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
      const closed = p.result.then(
        async (r): Promise<TransportExit> => {
          // The mux engine says it itself when the connection is gone.
          if (r.error instanceof MasterError) return { exitCode: r.exitCode, signal: r.signal, error: r.error };
          // 255 is ssh's own failure: is the channel gone because the master is?
          if (r.exitCode === 255) {
            const error = await host.checkMaster().then(
              () => undefined,
              (e: unknown) => (e instanceof MasterError ? e : undefined),
            );
            if (error) return { exitCode: r.exitCode, signal: r.signal, error };
          }
          return { exitCode: r.exitCode, signal: r.signal };
        },
        () => ({ exitCode: undefined, signal: undefined }),
      );
      return { stdin: p.stdin!, stdout: p.stdout!, stderr: p.stderr!, argv: p.argv, closed, kill: () => p.kill('SIGKILL') };
    },
    async control(script, args, timeoutMs) {
      const r = await host.run(['/bin/sh', '-c', script, 'sh', ...args], { timeout: timeoutMs, stdinDiscard: true });
      return String(r.stdout);
    },
  };
}
