import { execFileSync, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { debug } from '../log.js';

/**
 * How a master is made to die with the process that owns it, even when that process is
 * SIGKILLed or crashes (no exit handler runs then):
 * - `pdeathsig` (Linux with util-linux's `setpriv`, 2.33 or later): the master is started as
 *   `setpriv --pdeathsig SIGTERM -- ssh ...`. setpriv sets the parent-death signal and execs
 *   ssh in place (same pid), so the kernel sends ssh SIGTERM when its parent, the thread of
 *   this process that spawned it (Node's main thread), ends. ssh is never daemonised (no
 *   `-f`), so the setting stays on the master itself.
 * - `watchdog` (elsewhere, or without setpriv): a tiny `sh` started beside the master reads a
 *   pipe whose only writer is this process; the kernel closes it when this process ends,
 *   however it ends, and on that EOF the watchdog sends the master SIGTERM and removes its
 *   files. The watchdog runs in its own session, so a terminal's Ctrl-C does not reach it.
 * - `off`: neither (only the exit handlers).
 *
 * `OPENSSH_MUX_OWNER_GUARD=pdeathsig|watchdog|off` forces one (read at each master start).
 */
export type OwnerGuardKind = 'pdeathsig' | 'watchdog' | 'off';

/** The environment variable that forces a guard. */
export const OWNER_GUARD_ENV = 'OPENSSH_MUX_OWNER_GUARD';

/** Find an executable in PATH (or check a path with a slash); undefined when missing. */
export function findProgram(name: string, path: string | undefined = process.env.PATH): string | undefined {
  const candidates = name.includes('/') ? [name] : (path ?? '').split(delimiter).filter(Boolean).map((d) => join(d, name));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return undefined;
}

let setprivPath: string | null | undefined;

/**
 * The setpriv to use, or undefined when it is missing or too old for `--pdeathsig`
 * (util-linux < 2.33): looked up once per process, with one `setpriv --help`.
 */
function setpriv(): string | undefined {
  if (setprivPath === undefined) {
    const found = findProgram('setpriv') ?? findProgram('/usr/bin/setpriv');
    const ok = found === undefined ? false : supportsPdeathsig(found);
    // Not known (setpriv could not even be run: EMFILE...): ask again next time.
    if (ok === undefined) return undefined;
    setprivPath = ok ? found! : null;
    debug('owner guard: setpriv %s', setprivPath ?? 'unavailable (missing, or without --pdeathsig)');
  }
  return setprivPath ?? undefined;
}

/** Does this setpriv know `--pdeathsig`? undefined when it could not be run at all. */
function supportsPdeathsig(path: string): boolean | undefined {
  try {
    return execFileSync(path, ['--help'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] }).includes('--pdeathsig');
  } catch (err) {
    return typeof (err as { status?: unknown }).status === 'number' ? false : undefined;
  }
}

/**
 * Which guard a master gets: the forced one, else `pdeathsig` on Linux when setpriv exists
 * and the master is spawned locally by the library (`local`), else `watchdog` (`off` on
 * Windows, which has neither `sh` nor parent-death signals).
 */
export function chooseOwnerGuard(local: boolean, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): OwnerGuardKind {
  const forced = env[OWNER_GUARD_ENV];
  if (forced === 'off' || forced === 'watchdog') return forced;
  if (platform === 'win32') return 'off';
  if (platform === 'linux' && local && setpriv() !== undefined) return 'pdeathsig';
  return 'watchdog';
}

/**
 * The argv to spawn for `argv` under the guard: wrapped in setpriv for `pdeathsig` (only when
 * the program itself can be found: otherwise it is spawned as is, so a missing ssh still
 * fails to spawn with ENOENT rather than as setpriv's exit code), unchanged otherwise.
 */
export function guardArgv(kind: OwnerGuardKind, argv: readonly string[], env: NodeJS.ProcessEnv = process.env): { argv: string[]; kind: OwnerGuardKind } {
  const sp = setpriv();
  if (kind !== 'pdeathsig' || sp === undefined) return { argv: [...argv], kind: kind === 'pdeathsig' ? 'watchdog' : kind };
  if (findProgram(argv[0]!, env.PATH) === undefined) return { argv: [...argv], kind: 'watchdog' };
  return { argv: [sp, '--pdeathsig', 'SIGTERM', '--', ...argv], kind };
}

/** A started watchdog; `release()` ends it without touching the master. */
export interface Watchdog {
  readonly pid: number | undefined;
  release(): void;
}

/**
 * The watchdog's script: `$1` is the master's pid, the rest the files to remove. `read`
 * returns at EOF (this process is gone: nothing ever writes a line); SIGKILL from
 * `release()` ends it without doing anything.
 */
const WATCHDOG_SCRIPT = 'read _ignored; kill -TERM "$1" 2>/dev/null; shift; sleep 1; rm -f -- "$@"';

/**
 * Start a watchdog for the master `pid`: when this process ends, the master gets SIGTERM
 * and `files` are removed. Never keeps Node alive. Failures to start it are only logged
 * (the exit handlers and the next start's sweep remain).
 */
export function startWatchdog(pid: number, files: readonly string[]): Watchdog {
  try {
    const child = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, 'openssh-mux-watchdog', String(pid), ...files], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    });
    child.on('error', (err) => debug('master watchdog for pid %d failed: %s', pid, err.message));
    child.stdin?.on('error', () => {});
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    debug('master watchdog %d guards pid %d', child.pid, pid);
    return {
      pid: child.pid,
      release: () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        child.stdin?.destroy();
      },
    };
  } catch (err) {
    debug('master watchdog for pid %d could not start: %s', pid, (err as Error).message);
    return { pid: undefined, release: () => {} };
  }
}
