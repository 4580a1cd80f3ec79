import type { SshfsFailureReason } from '../errors/index.js';
import { WRAPPER_PREFIX } from './argv.js';

/**
 * Reading why sshfs failed from what it (libfuse, fusermount, the remote shell or the export
 * wrapper) printed (pure). The patterns are the messages of sshfs 3.x, libfuse 3 and
 * fusermount/fusermount3; anything else is `exited`.
 */

/** libfuse and fusermount: the FUSE device is missing or may not be opened, or mounting is not permitted. */
const FUSE_UNAVAILABLE = [
  /fuse: device not found/,
  /fuse device not found/,
  /failed to open \/dev\/fuse/,
  /fuse: failed to exec fusermount/,
  /fusermount3?: mount failed: Operation not permitted/,
  /fuse: mount failed: Operation not permitted/,
  /fusermount3?: fuse device not found/,
  /fusermount3?: mount failed: Permission denied/,
  /fuse: mount failed: Permission denied/,
];

/** A shell's "command not found" for the sshfs program (sh, dash, bash, zsh, fish, csh). */
const NOT_FOUND = /(?:command not found|: not found|Command not found|Unknown command)/;

/** libfuse: `fuse: bad mount point `/x': No such file or directory` (or Not a directory). */
const BAD_MOUNTPOINT = /bad mount point [`'](.*)': (?:No such file or directory|Not a directory)/;

/** sshfs's root check: `host:dir: No such file or directory` / `host:dir: Not a directory`. */
const SOURCE_MISSING = /: (?:No such file or directory|Not a directory)$/m;

/** fusermount / umount: the file system is in use. */
const BUSY = /Device or resource busy/;

/** The wrapper's own verdicts (see EXPORT_WRAPPER). */
const WRAPPER_REASONS: Record<string, SshfsFailureReason> = {
  'not-installed': 'not-installed',
  'mountpoint-missing': 'mountpoint-missing',
  'mountpoint-not-empty': 'mountpoint-not-empty',
};

/** Why a mount failed, from the failing side's error output (`exited` when nothing matches). */
export function mountFailureReason(stderr: string): SshfsFailureReason {
  for (const line of stderr.split('\n')) {
    if (line.startsWith(WRAPPER_PREFIX)) {
      const r = WRAPPER_REASONS[line.slice(WRAPPER_PREFIX.length).trim()];
      if (r) return r;
    }
  }
  if (FUSE_UNAVAILABLE.some((re) => re.test(stderr))) return 'fuse-unavailable';
  if (BAD_MOUNTPOINT.test(stderr)) return 'mountpoint-missing';
  if (SOURCE_MISSING.test(stderr)) return 'source-missing';
  if (/\bsshfs\b/.test(stderr) && NOT_FOUND.test(stderr)) return 'not-installed';
  return 'exited';
}

/** Why an unmount failed: `busy` or `unmount`. */
export function unmountFailureReason(stderr: string): SshfsFailureReason {
  return BUSY.test(stderr) ? 'busy' : 'unmount';
}

/** The last non-empty line of an error output, for a message (or '' when there is none). */
export function lastLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith(WRAPPER_PREFIX));
  return lines.at(-1) ?? '';
}

/** What each reason means, for messages: "the local sshfs ... : <text>". */
export const REASON_TEXT: Readonly<Record<SshfsFailureReason, string>> = Object.freeze({
  'not-installed': 'sshfs is not installed',
  'fuse-unavailable': 'FUSE is not available (no /dev/fuse, or no permission to use it or to mount)',
  'mountpoint-missing': 'the mount point does not exist or is not a directory',
  'mountpoint-not-empty': 'the mount point is not empty (nonEmpty: true mounts over it)',
  'mountpoint-mounted': 'something is already mounted on the mount point',
  'source-missing': 'the directory to mount does not exist or is not a directory',
  'ssh-command': "the slave ssh cannot be written into sshfs's ssh_command",
  busy: 'the file system is busy (close({ lazy: true }) detaches it anyway)',
  unmount: 'unmounting failed',
  exited: 'sshfs exited',
});
