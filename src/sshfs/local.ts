import { spawnSync } from 'node:child_process';
import { readdir, realpath, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SshfsError, type ErrorDetails, type SshfsFailureReason } from '../errors/index.js';
import { findProgram } from '../master/owner-guard.js';
import type { Engine } from '../run/engine.js';
import { buildUnmountArgv } from './argv.js';
import { lastLine, REASON_TEXT, unmountFailureReason } from './diagnose.js';
import { isMountpoint } from './mountinfo.js';
import { TextTail } from './wait.js';

/**
 * The local side: checking a local directory, unmounting a local FUSE mount. The synchronous
 * unmount of the exit handler is the one place here that runs a process without the engine
 * (an exit handler cannot wait for one).
 */

/** The fusermount programs tried in turn when none is given. */
export const FUSERMOUNTS: readonly string[] = ['fusermount3', 'fusermount'];

/** An SshfsError with the standard message: "<what>: <reason text>[: <detail>]". */
export function sshfsError(reason: SshfsFailureReason, what: string, side: 'local' | 'remote', mountpoint: string, detail: string, details: ErrorDetails = {}): SshfsError {
  const message = `${what}: ${REASON_TEXT[reason]}${detail === '' ? '' : `: ${detail}`}`;
  return new SshfsError(reason, message, { ...details, side, mountpoint });
}

/**
 * Resolve and check a local directory: it exists, is a directory; for a mount point, it is
 * not a mount point already and, unless `nonEmpty`, it is empty. Returns the real path.
 */
export async function checkLocalDir(path: string, role: 'mountpoint' | 'source', nonEmpty: boolean, what: string, mountpoint: string): Promise<string> {
  const missing = role === 'mountpoint' ? 'mountpoint-missing' : 'source-missing';
  let real: string;
  try {
    real = await realpath(path);
    if (!(await stat(real)).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw sshfsError(missing, what, 'local', role === 'mountpoint' ? path : mountpoint, `${path} (${code ?? String(err)})`, { cause: err });
  }
  if (role === 'source') return real;
  if (real === '/' || real === dirname(real)) throw sshfsError('mountpoint-mounted', what, 'local', real, `${real} is the root directory`);
  if (await isMountpoint(real)) throw sshfsError('mountpoint-mounted', what, 'local', real, real);
  if (!nonEmpty && (await readdir(real)).length > 0) throw sshfsError('mountpoint-not-empty', what, 'local', real, real);
  return real;
}

/** How long a local fusermount may take before it is killed (an unmount never hangs a close()). */
const UNMOUNT_LIMIT_MS = 30_000;

/** Run `argv` through the engine; resolves with its exit and (bounded) stderr. Killed after 30 s. */
export async function runLocal(engine: Engine, argv: readonly string[]): Promise<{ exitCode: number | null; error: Error | undefined; stderr: string }> {
  const p = engine.spawn({ file: argv[0]!, args: argv.slice(1), stdio: ['ignore', 'ignore', 'pipe'] });
  const tail = new TextTail();
  p.stderr?.on('data', tail.push);
  const timer = setTimeout(() => {
    tail.push(`${argv[0]} did not finish within ${UNMOUNT_LIMIT_MS / 1000} s and was killed\n`);
    p.kill('SIGKILL');
  }, UNMOUNT_LIMIT_MS);
  const exit = await p.exited;
  clearTimeout(timer);
  return { exitCode: exit.exitCode, error: exit.error, stderr: tail.text };
}

/**
 * Unmount a local FUSE mount with fusermount (`cmd`, or fusermount3 then fusermount). Resolves
 * with the SshfsError when it failed, undefined when done.
 */
export async function unmountLocal(engine: Engine, cmd: string | undefined, mountpoint: string, lazy: boolean, what: string): Promise<SshfsError | undefined> {
  const candidates = cmd !== undefined ? [cmd] : FUSERMOUNTS;
  for (const program of candidates) {
    const argv = buildUnmountArgv(program, mountpoint, lazy);
    const r = await runLocal(engine, argv);
    if (r.error && r.exitCode === null) {
      if ((r.error as NodeJS.ErrnoException).code === 'ENOENT' && program !== candidates.at(-1)) continue;
      return sshfsError('not-installed', what, 'local', mountpoint, `${program}: ${r.error.message}`, { argv, cause: r.error });
    }
    if (r.exitCode === 0) return undefined;
    return sshfsError(unmountFailureReason(r.stderr), what, 'local', mountpoint, lastLine(r.stderr), { argv, exitCode: r.exitCode ?? undefined, stderr: r.stderr });
  }
  return undefined;
}

/** At process exit: detach a local mount at once (`fusermount -u -z`), synchronously, quietly. */
export function unmountLocalSync(cmd: string | undefined, mountpoint: string): void {
  const program = cmd ?? FUSERMOUNTS.find((p) => findProgram(p) !== undefined);
  if (program === undefined) return;
  const argv = buildUnmountArgv(program, mountpoint, true);
  spawnSync(argv[0]!, argv.slice(1), { stdio: 'ignore', timeout: 2000 });
}
