import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { ErrorDetails, SshfsFailureReason } from '../errors/index.js';
import { quote } from '../options/validate.js';
import { killQuietly } from '../master/cleanup.js';
import { findProgram } from '../master/owner-guard.js';
import type { CommandOptions } from '../options/command.js';
import type { Command } from '../quote/command.js';
import type { SshProcess } from '../run/execute.js';
import type { Result } from '../run/result.js';
import { buildExportCommand, MOUNTED_MARK } from './argv.js';
import { lastLine, mountFailureReason, unmountFailureReason } from './diagnose.js';
import { checkLocalDir, FUSERMOUNTS, sshfsError } from './local.js';
import { MountHandle, type SshfsMount, type SshfsMounts } from './mount.js';
import { dirArgument, normalizeSshfsOptions, type NormalizedSshfs, type SshfsExportOptions } from './options.js';
import { MountLimit, TextTail } from './wait.js';

/** What sshfsExport() needs from its OpenSSH object: its spawn() and run(). */
export interface SshfsExportContext {
  host: string;
  spawn(cmd: Command, options: CommandOptions): Promise<SshProcess>;
  run(cmd: Command, options: CommandOptions): Promise<Result<string | Buffer>>;
  mounts: SshfsMounts;
}

const METHOD = 'sshfsExport()';

/**
 * The remote unmount: the given fusermount, or fusermount3 when the remote host has it, else
 * fusermount (`sh -c SCRIPT sh <fusermount args>`).
 */
const REMOTE_FUSERMOUNT = `if command -v ${FUSERMOUNTS[0]} >/dev/null 2>&1; then exec ${FUSERMOUNTS[0]} "$@"; else exec ${FUSERMOUNTS[1]} "$@"; fi`;

/** The detail of the export wrapper's own verdicts (it prints only a keyword). */
function wrapperDetail(reason: SshfsFailureReason, sshfsCmd: string, mountpoint: string): string {
  if (reason === 'not-installed') return `${quote(sshfsCmd)} was not found on the remote host`;
  if (reason === 'mountpoint-missing' || reason === 'mountpoint-not-empty') return quote(mountpoint);
  return '';
}

/** The name shown as the source's host in the remote mount table: this host's name when it is a plain one. */
function localName(): string {
  const name = hostname();
  return /^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(name) ? name : 'localhost';
}

/**
 * Mount the local directory `localDir` on `remoteMountpoint` of the remote host: the remote
 * `sshfs -o slave` speaks SFTP over the slave's channel to a local sftp-server joined to it
 * (`stdinoutDpipe`). Resolves once the remote side reports the file system mounted.
 */
export function sshfsExport(ctx: SshfsExportContext, localDir: string, remoteMountpoint: string, options?: SshfsExportOptions): Promise<SshfsMount> {
  dirArgument(METHOD, 'localDir', localDir, false);
  dirArgument(METHOD, 'remoteMountpoint', remoteMountpoint, false);
  return mountExport(ctx, localDir, remoteMountpoint, normalizeSshfsOptions('export', options));
}

async function mountExport(ctx: SshfsExportContext, localDir: string, remoteMountpoint: string, o: NormalizedSshfs): Promise<SshfsMount> {
  const what = `sshfsExport of ${localDir} to ${ctx.host}:${remoteMountpoint}`;
  const details: ErrorDetails = { host: ctx.host };
  const limit = new MountLimit(o.timeout, o.signal, details, 'sshfs mount');
  try {
    const dir = await Promise.race([checkLocalDir(resolve(localDir), 'source', false, what, remoteMountpoint), limit.expired]);
    if (findProgram(o.sftpServerCmd) === undefined) {
      throw sshfsError('not-installed', what, 'local', remoteMountpoint, `the SFTP server ${o.sftpServerCmd} was not found (option sftpServerCmd)`, details);
    }
    const cmd = buildExportCommand({ sshfsCmd: o.sshfsCmd, source: `${localName()}:${dir}`, mountpoint: remoteMountpoint, nonEmpty: o.nonEmpty, sshfsOptions: o.sshfsOptions });
    // No signal for the slave: it is the mount's life, and `signal` only bounds the wait.
    // `buffer: false`: a mount may live for days; its stderr is read into a bounded tail here.
    const starting = ctx.spawn(cmd, { stdinoutDpipe: [o.sftpServerCmd], sshOpts: o.sshOpts, reject: false, buffer: false });
    let p: SshProcess;
    try {
      p = await Promise.race([starting, limit.expired]);
    } catch (err) {
      starting.then((late) => late.kill(), () => {});
      throw err;
    }
    details.argv = p.argv;
    const tail = new TextTail();
    let mounted!: () => void;
    const isMounted = new Promise<void>((r) => (mounted = r));
    p.stderr?.on('data', (chunk: Buffer | string) => {
      tail.push(chunk);
      if (tail.text.includes(MOUNTED_MARK)) mounted();
    });
    const exited = p.result.then(
      (r) => r,
      (e: unknown) => e,
    );
    const failed = exited.then((r) => {
      const stderr = tail.text;
      const exitCode = (r as Result).exitCode ?? undefined;
      const reason = mountFailureReason(stderr);
      const how = exitCode !== undefined ? `exit code ${exitCode}` : 'the slave ended';
      const line = lastLine(stderr) || wrapperDetail(reason, o.sshfsCmd, remoteMountpoint);
      throw sshfsError(reason, what, 'remote', remoteMountpoint, line === '' ? how : `${line} (${how})`, { ...details, exitCode, stderr });
    });
    failed.catch(() => {});
    try {
      await Promise.race([isMounted, failed, limit.expired]);
    } catch (err) {
      p.kill();
      await exited;
      throw err;
    }
    const fusermount = (lazy: boolean): Command =>
      o.fusermountCmd !== undefined
        ? [o.fusermountCmd, '-u', ...(lazy ? ['-z'] : []), '--', remoteMountpoint]
        : ['sh', '-c', REMOTE_FUSERMOUNT, 'sh', '-u', ...(lazy ? ['-z'] : []), '--', remoteMountpoint];
    return new MountHandle(
      {
        kind: 'export',
        mountpoint: remoteMountpoint,
        source: dir,
        pid: p.pid,
        exited,
        unmount: async (lazy) => {
          const r = await ctx.run(fusermount(lazy), { reject: false, timeout: 30_000 });
          if (!r.failed) return undefined;
          const stderr = String(r.stderr);
          return sshfsError(unmountFailureReason(stderr), `closing ${what}`, 'remote', remoteMountpoint, lastLine(stderr) || (r.error?.message ?? ''), {
            ...details,
            argv: r.argv,
            command: r.command,
            exitCode: r.exitCode ?? undefined,
            stderr,
            cause: r.error,
          });
        },
        kill: () => p.kill(),
        // The remote sshfs unmounts itself when its channel closes (its stdin ends).
        cleanupSync: () => {
          if (p.pid !== undefined) killQuietly(p.pid, 'SIGTERM');
        },
        exitError: () => sshfsError('exited', what, 'remote', remoteMountpoint, lastLine(tail.text) || 'it ended without close()', { ...details, stderr: tail.text }),
      },
      ctx.mounts,
    );
  } finally {
    limit.dispose();
  }
}
