import { spawn as spawnChild } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { canServe, spawnHelper } from './spawn-helper/spawner.js';

/**
 * The seam between "what to run" and "how it runs". Everything above this file builds an
 * argv and decides what each stdio slot is; an {@link Engine} turns that into a process.
 * The default engine uses `child_process.spawn`; another (a pty, a remote agent, a test
 * recorder) can be passed as the `engine` option.
 */

/** One stdio slot: a pipe to Node, the null device, the parent's own stream, or an open fd. */
export type StdioSlot = 'pipe' | 'ignore' | 'inherit' | number;

/**
 * What the slave would do on the remote side, described as data: engines that do not start
 * an `ssh` process (the mux engine) run this instead of `file`/`args`; the spawn engine
 * ignores it (the same facts are in the argv).
 */
export interface RemoteOperation {
  /** The master's ControlPath. */
  ctlPath: string;
  /**
   * `exec`: run `command` (an interactive shell when it is empty); `subsystem`: `command` names
   * it; `tunnel`: connect to `tunnel`; `socket`: connect to the Unix socket `socketPath` on the
   * remote host (a `direct-streamlocal@openssh.com` channel).
   */
  kind: 'exec' | 'subsystem' | 'tunnel' | 'socket';
  /** The remote command string, or the subsystem name. */
  command: string;
  /** The target of a `tunnel` (`direct-tcpip` channel). */
  tunnel?: { host: string; port: number } | undefined;
  /** The remote Unix socket of a `socket` operation (absolute path). */
  socketPath?: string | undefined;
  /** true: ask for a remote pty (`pty-req`); false/undefined: none. */
  tty?: boolean | undefined;
  /** Variables sent as `env` requests (the server keeps those its AcceptEnv allows). */
  env?: Readonly<Record<string, string>> | undefined;
}

/** What to run. */
export interface SpawnRequest {
  /** Program, looked up in PATH. */
  file: string;
  /** Arguments, without the program. */
  args: readonly string[];
  stdio: readonly [StdioSlot, StdioSlot, StdioSlot];
  /** Environment; the parent's when omitted. */
  env?: NodeJS.ProcessEnv | undefined;
  /** Start in a new session / process group (no controlling terminal). */
  detached?: boolean | undefined;
  /** The remote side as data, for engines that run it without a process (see {@link RemoteOperation}). */
  remote?: RemoteOperation | undefined;
}

/** How a process ended. `error` is set when it could not be started or waited for. */
export interface ProcessExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  error?: Error | undefined;
  /** The signal that ended the remote command (`exit-signal`), when an engine can tell. */
  remoteSignal?: NodeJS.Signals | undefined;
  /** A signal was asked for with a `signal` channel request and the server refused it (sshd does for root sessions). */
  remoteSignalRefused?: boolean | undefined;
  /**
   * Why an engine without a process could not run the remote side (`error` is the cause);
   * the caller turns it into the typed error: `session-refused` (the server's MaxSessions),
   * `request-refused` (exec/subsystem/pty refused), `tunnel-refused` (direct-tcpip or
   * direct-streamlocal open failed), `output` (writing output to a file or fd failed), `connection` (the connection to
   * the master failed: a MasterError when the master is gone).
   */
  remoteFailure?: { kind: 'session-refused' | 'request-refused' | 'tunnel-refused' | 'output' | 'connection'; message: string } | undefined;
}

/** A started process, as an engine reports it. */
export interface RunningProcess {
  /** The OS pid; undefined when spawning failed (and always for engines that start no process). */
  readonly pid: number | undefined;
  /** The SSH channel number (this side's) of an engine that runs the command as a channel (mux). */
  readonly channel?: number | undefined;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** Settles once the process has exited and its stdio is closed; never rejects. */
  readonly exited: Promise<ProcessExit>;
  /** Send a signal; false when the process is already gone. */
  kill(signal?: NodeJS.Signals): boolean;
  /** Let the Node event loop end while this process still runs. */
  unref(): void;
}

/**
 * Starts processes. An engine that can run a slave's remote side without a process (the mux
 * engine) also has `spawnRemote`: the command methods then call it, with `request.remote` set,
 * instead of `spawn`; it reports failures to start through `exited` rather than by throwing.
 * Everything else (the master, scp, rsync, local commands) always goes through `spawn`.
 */
export interface Engine {
  /**
   * Start a process. A failure of the system to start it (ENOENT, EMFILE, E2BIG, ...) is not
   * thrown: it comes back as `exited` resolving with `error` (and no pid).
   */
  spawn(request: SpawnRequest): RunningProcess;
  /**
   * Start a process like `spawn`, without holding the event loop while the system starts it
   * (nodeEngine: through a helper process, see src/run/spawn-helper/). The command methods
   * prefer it when present; failures come back through `exited` as with `spawn`.
   */
  spawnAsync?(request: SpawnRequest): Promise<RunningProcess>;
  spawnRemote?(request: SpawnRequest & { remote: RemoteOperation }): Promise<RunningProcess>;
}

/**
 * How long to wait for a process's pipes to close after it exits. An `ssh -S` slave hands its
 * stdio fds to the master, so a slave that was killed leaves the master holding the write
 * ends until the remote command ends: waiting for EOF would wait for the remote command.
 * After a normal exit the master closes them at once; after a kill, take what is already in
 * the pipes and close our ends.
 */
const DRAIN_AFTER_EXIT_MS = 2000;
const DRAIN_AFTER_KILL_MS = 100;

/**
 * The default engine: `child_process.spawn`, no shell, argv passed as is. `spawnAsync` (what
 * the command methods use for slaves) has a helper process fork and exec instead of this
 * one, so that a burst of commands does not stall the event loop (src/run/spawn-helper/);
 * requests with an fd or `'inherit'` in a stdio slot are spawned here.
 */
export const nodeEngine: Engine = {
  spawnAsync: async (request) => (canServe(request) ? spawnHelper.spawn(request) : nodeEngine.spawn(request)),
  spawn(request: SpawnRequest): RunningProcess {
    let child: ReturnType<typeof spawnChild>;
    try {
      child = spawnChild(request.file, request.args, {
        stdio: [...request.stdio],
        env: request.env,
        detached: request.detached ?? false,
        windowsHide: true,
      });
    } catch (err) {
      // Node throws some spawn failures (E2BIG, ENOMEM, ...) instead of emitting 'error'.
      return failedProcess(err instanceof Error ? err : new Error(String(err)));
    }
    let killed = false;
    const exited = new Promise<ProcessExit>((resolve) => {
      let spawnError: Error | undefined;
      let drain: NodeJS.Timeout | undefined;
      child.once('error', (err) => {
        spawnError = err;
        // A failed spawn emits no 'close'.
        if (child.pid === undefined) resolve({ exitCode: null, signal: null, error: err });
      });
      child.once('exit', (_code, signal) => {
        drain = setTimeout(
          // Two turns of the loop before closing: after the loop was blocked (a burst of
          // spawns), the timers phase runs before the poll phase that reads what is already
          // in the pipes, and destroying at once lost it (an `ssh -O check` that printed its
          // pid came back empty under load).
          () => setImmediate(() => setImmediate(() => {
            for (const s of [child.stdin, child.stdout, child.stderr]) s?.destroy();
          })),
          killed || signal ? DRAIN_AFTER_KILL_MS : DRAIN_AFTER_EXIT_MS,
        );
      });
      child.once('close', (exitCode, signal) => {
        clearTimeout(drain);
        resolve({ exitCode, signal, error: spawnError });
      });
    });
    return {
      pid: child.pid,
      stdin: child.stdin,
      stdout: child.stdout,
      stderr: child.stderr,
      exited,
      kill: (signal) => {
        if (child.exitCode !== null || child.signalCode !== null) return false;
        killed = true;
        return child.kill(signal);
      },
      unref: () => child.unref(),
    };
  },
};

/** A process that could not be started: no pid, no stdio, `exited` resolves with the error. */
export function failedProcess(error: Error): RunningProcess {
  return {
    pid: undefined,
    stdin: null,
    stdout: null,
    stderr: null,
    exited: Promise.resolve({ exitCode: null, signal: null, error }),
    kill: () => false,
    unref: () => {},
  };
}
