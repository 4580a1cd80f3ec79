import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { ErrorDetails } from '../errors/index.js';
import { killQuietly } from '../master/cleanup.js';
import { masterReady, type ExecContext } from '../run/execute.js';
import type { ProcessExit, RunningProcess } from '../run/engine.js';
import { buildImportArgv, sshCommandOption, sshfsSource } from './argv.js';
import { lastLine, mountFailureReason } from './diagnose.js';
import { checkLocalDir, sshfsError, unmountLocal, unmountLocalSync } from './local.js';
import { isMountpoint } from './mountinfo.js';
import { MountHandle, type SshfsMount, type SshfsMounts } from './mount.js';
import { dirArgument, normalizeSshfsOptions, type NormalizedSshfs, type SshfsImportOptions } from './options.js';
import { MountLimit, sleep, TextTail } from './wait.js';

/** What sshfsImport() needs from its OpenSSH object. */
export interface SshfsImportContext {
  exec: ExecContext;
  /** The host as sshfs wants it: IPv6 in brackets. */
  hostSquared: string;
  mounts: SshfsMounts;
}

const METHOD = 'sshfsImport()';
/** How often the mount point is looked at while sshfs starts. */
const POLL_MS = 25;
/** Grace between SIGTERM and SIGKILL for an sshfs that is stopped. */
const KILL_GRACE_MS = 2000;

/**
 * Mount `remoteDir` of the remote host on the local directory `localMountpoint` with the
 * local sshfs, whose ssh goes through the master (`-o ssh_command=ssh ... -S ctl`). Resolves
 * once the file system is mounted and answers.
 */
export function sshfsImport(ctx: SshfsImportContext, remoteDir: string, localMountpoint: string, options?: SshfsImportOptions): Promise<SshfsMount> {
  dirArgument(METHOD, 'remoteDir', remoteDir, true);
  dirArgument(METHOD, 'localMountpoint', localMountpoint, false);
  return mountImport(ctx, remoteDir, localMountpoint, normalizeSshfsOptions('import', options));
}

async function mountImport(ctx: SshfsImportContext, remoteDir: string, localMountpoint: string, o: NormalizedSshfs): Promise<SshfsMount> {
  const source = sshfsSource(ctx.hostSquared, remoteDir);
  const what = `sshfsImport of ${source}`;
  const details: ErrorDetails = { host: ctx.exec.host };
  const limit = new MountLimit(o.timeout, o.signal, details, 'sshfs mount');
  try {
    const mnt = await Promise.race([checkLocalDir(resolve(localMountpoint), 'mountpoint', o.nonEmpty, what, resolve(localMountpoint)), limit.expired]);
    await Promise.race([masterReady(ctx.exec.master, o.signal, details, 'sshfs mount'), limit.expired]);
    const cmd = sshCommandOption({ ...ctx.exec.master.spec, sshOpts: o.sshOpts });
    if ('problem' in cmd) throw sshfsError('ssh-command', what, 'local', mnt, cmd.problem, details);
    const argv = buildImportArgv({ sshfsCmd: o.sshfsCmd, source, mountpoint: mnt, sshCommand: cmd.option, sshfsOptions: o.sshfsOptions });
    details.argv = argv;
    const parentDev = (await stat(dirname(mnt))).dev;
    const proc = ctx.exec.engine.spawn({ file: argv[0]!, args: argv.slice(1), stdio: ['ignore', 'ignore', 'pipe'] });
    const tail = new TextTail();
    proc.stderr?.on('data', tail.push);
    const stop = stopper(proc);
    const failed = proc.exited.then((exit) => {
      throw startFailure(exit, tail.text, what, mnt, o.sshfsCmd, details);
    });
    failed.catch(() => {});
    let polling = true;
    try {
      await Promise.race([waitMounted(mnt, parentDev, () => polling), failed, limit.expired]);
    } catch (err) {
      stop();
      await proc.exited;
      // sshfs unmounts when stopped; detach what a killed one may have left.
      if (proc.pid !== undefined && (await isMountpoint(mnt).catch(() => false))) await unmountLocal(ctx.exec.engine, o.fusermountCmd, mnt, true, what).catch(() => undefined);
      throw err;
    } finally {
      polling = false;
    }
    return new MountHandle(
      {
        kind: 'import',
        mountpoint: mnt,
        source,
        pid: proc.pid,
        exited: proc.exited,
        unmount: (lazy) => unmountLocal(ctx.exec.engine, o.fusermountCmd, mnt, lazy, `closing ${what}`),
        kill: stop,
        cleanupSync: () => {
          if (proc.pid !== undefined) killQuietly(proc.pid, 'SIGTERM');
          unmountLocalSync(o.fusermountCmd, mnt);
        },
        exitError: () => sshfsError('exited', what, 'local', mnt, lastLine(tail.text) || 'it ended without close()', { ...details, stderr: tail.text }),
      },
      ctx.mounts,
    );
  } finally {
    limit.dispose();
  }
}

/** SIGTERM (sshfs unmounts), then SIGKILL after a grace period. */
function stopper(proc: RunningProcess): () => void {
  let timer: NodeJS.Timeout | undefined;
  void proc.exited.then(() => clearTimeout(timer));
  return () => {
    if (proc.kill('SIGTERM') && !timer) timer = setTimeout(() => proc.kill('SIGKILL'), KILL_GRACE_MS);
  };
}

/**
 * Wait until the mount point is on another device than its parent: the FUSE file system is
 * mounted and answered a stat (a stat of a FUSE root waits for sshfs to have connected).
 */
async function waitMounted(mnt: string, parentDev: number, go: () => boolean): Promise<void> {
  while (go()) {
    try {
      if ((await stat(mnt)).dev !== parentDev) return;
    } catch {
      // ENOTCONN while sshfs gives up: its exit says why
    }
    await sleep(POLL_MS);
  }
}

/** The error for an sshfs that exited before the file system was ready. */
function startFailure(exit: ProcessExit, stderr: string, what: string, mnt: string, sshfsCmd: string, details: ErrorDetails) {
  if (exit.error && exit.exitCode === null && exit.signal === null) {
    const enoent = (exit.error as NodeJS.ErrnoException).code === 'ENOENT';
    return sshfsError(enoent ? 'not-installed' : 'exited', what, 'local', mnt, `${sshfsCmd}: ${exit.error.message}`, { ...details, cause: exit.error });
  }
  const how = exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.exitCode}`;
  const line = lastLine(stderr);
  return sshfsError(mountFailureReason(stderr), what, 'local', mnt, line === '' ? how : `${line} (${how})`, {
    ...details,
    exitCode: exit.exitCode ?? undefined,
    signal: exit.signal ?? undefined,
    stderr,
  });
}
