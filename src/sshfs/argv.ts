import { SLAVE_SAFETY_OPTS } from '../argv/slave.js';
import type { ConnectionSpec } from '../argv/common.js';
import { quote } from '../options/validate.js';

/**
 * The sshfs command lines (pure). sshfs reads its `-o` options with libfuse's parser, which
 * splits an option group on commas and takes a backslash as an escape; `ssh_command` is then
 * split by sshfs itself on spaces (a backslash before a space keeps the space, and the
 * backslash stays in the word). Every word that goes through either is built or checked here.
 */

/** sshfs options the library sets itself, or that would take the connection away from the master. */
export const RESERVED_SSHFS_OPTIONS: readonly string[] = Object.freeze([
  'ssh_command',
  'passive',
  'slave',
  'directport',
  'password_stdin',
  'ssh_protocol',
  'fsname',
  'subtype',
  'debug',
  'sshfs_debug',
]);

/** Escape a value for libfuse's option parser: `\` and `,` get a backslash. */
export function fuseOptEscape(value: string): string {
  return value.replace(/[\\,]/g, (c) => `\\${c}`);
}

/**
 * Why `word` cannot be one word of sshfs's `ssh_command`, or undefined. sshfs splits the
 * command on spaces and keeps backslashes, so a word may hold neither a space nor end in a
 * backslash (which would glue it to the next word); it may not be empty either.
 */
export function sshCommandWordProblem(word: string): string | undefined {
  if (word === '') return 'it is empty';
  if (word.includes(' ')) return 'it contains a space, and sshfs splits ssh_command on spaces';
  if (word.endsWith('\\')) return 'it ends with a backslash, which sshfs would take as escaping the space after it';
  if (word.includes('\0')) return 'it contains a NUL byte';
  return undefined;
}

/** Inputs of {@link sshCommandWords}. */
export interface SshCommandSpec extends Omit<ConnectionSpec, 'host'> {
  /** The caller's ssh options for the slave (first, so they win over sshfs's own). */
  sshOpts?: readonly string[] | undefined;
}

/**
 * The words of the slave ssh that sshfs runs: `ssh <sshOpts> -o ControlMaster=no -o
 * ProxyCommand=false -S ctl [-l user] [-p port]`. sshfs appends `-x -a
 * -oClearAllForwardings=yes`, its own `-o` ssh options, `-2`, `-s`, the host (after `--`
 * where sshfs has the fix for option-like hosts, as Debian's 3.7.3 does) and `sftp`. The
 * host is not here: sshfs takes it from the source.
 */
export function sshCommandWords(spec: SshCommandSpec): string[] {
  const words = [spec.sshCmd, ...(spec.sshOpts ?? []), ...SLAVE_SAFETY_OPTS, '-S', spec.ctlPath];
  if (spec.user !== undefined) words.push('-l', spec.user);
  if (spec.port !== undefined) words.push('-p', String(spec.port));
  return words;
}

/**
 * The `ssh_command=` option value for {@link sshCommandWords}, escaped for libfuse. Returns a
 * description of the first word sshfs could not carry instead (`{ problem }`), for the caller's
 * error (the ControlPath or ssh program with a space...).
 */
export function sshCommandOption(spec: SshCommandSpec): { option: string } | { problem: string } {
  const words = sshCommandWords(spec);
  for (const w of words) {
    const why = sshCommandWordProblem(w);
    if (why !== undefined) return { problem: `the word ${quote(w)} of the ssh command cannot be passed in sshfs's ssh_command: ${why}` };
  }
  return { option: `ssh_command=${fuseOptEscape(words.join(' '))}` };
}

/**
 * The sshfs source `host:dir`. `hostSquared` is the host as scp wants it (IPv6 in brackets,
 * which sshfs removes); `dir` is taken as is, relative to the remote home unless absolute,
 * the home itself when empty.
 */
export function sshfsSource(hostSquared: string, dir: string): string {
  return `${hostSquared}:${dir}`;
}

/** Inputs of {@link buildImportArgv}. */
export interface ImportArgv {
  /** The local sshfs program. */
  sshfsCmd: string;
  /** `host:dir`, from {@link sshfsSource}. */
  source: string;
  /** The absolute local mount point. */
  mountpoint: string;
  /** The `ssh_command=` option, from {@link sshCommandOption}. */
  sshCommand: string;
  /** The caller's sshfs options (checked by the option normaliser), one option each. */
  sshfsOptions?: readonly string[] | undefined;
}

/** `-o` + each option, escaped for libfuse. */
function optionWords(options: readonly string[] | undefined): string[] {
  return (options ?? []).flatMap((o) => ['-o', fuseOptEscapeOption(o)]);
}

/** One `name` or `name=value` option: the value escaped, the name as is. */
export function fuseOptEscapeOption(option: string): string {
  const eq = option.indexOf('=');
  return eq < 0 ? option : `${option.slice(0, eq + 1)}${fuseOptEscape(option.slice(eq + 1))}`;
}

/**
 * The local sshfs argv for an import, program first: `sshfs <source> <mountpoint> -f -o
 * <ssh_command> [-o option...]`. `-f` keeps sshfs in the foreground, a child of this process,
 * so that its exit and its error output are ours to see. The source never starts with `-`
 * (the host cannot) and the mount point is absolute, so neither is read as an option.
 */
export function buildImportArgv(a: ImportArgv): string[] {
  return [a.sshfsCmd, a.source, a.mountpoint, '-f', '-o', a.sshCommand, ...optionWords(a.sshfsOptions)];
}

/** The line the remote wrapper writes to stderr once the file system is mounted. */
export const MOUNTED_MARK = 'openssh-mux-sshfs: mounted';
/** The prefix of the wrapper's own error lines. */
export const WRAPPER_PREFIX = 'openssh-mux-sshfs: ';

/**
 * The remote wrapper of an export (POSIX sh, one line so that every remote shell's quoter can
 * carry it): `sh -c SCRIPT sh <nonEmpty 0|1> <mountpoint> <sshfs argv...>`. It checks that
 * sshfs exists and that the mount point is an empty directory, starts sshfs with the
 * channel as its stdin and stdout (a background job would get /dev/null otherwise), writes
 * {@link MOUNTED_MARK} to stderr once the mount point has changed inode (the mounted file
 * system answered a stat), and exits with sshfs's status.
 */
export const EXPORT_WRAPPER = [
  'e=$1; m=$2; shift 2',
  `command -v "$1" >/dev/null 2>&1 || { echo "${WRAPPER_PREFIX}not-installed" >&2; exit 127; }`,
  `[ -d "$m" ] || { echo "${WRAPPER_PREFIX}mountpoint-missing" >&2; exit 1; }`,
  `[ "$e" = 1 ] || [ -z "$(ls -A -- "$m")" ] || { echo "${WRAPPER_PREFIX}mountpoint-not-empty" >&2; exit 1; }`,
  'b=$(ls -di -- "$m") || exit 1',
  'exec 3<&0 4>&1',
  // `&` ends the command itself: no `;` may follow it.
  '"$@" <&3 >&4 3<&- 4>&- & p=$!',
  'exec 3<&- 4>&-',
  `while kill -0 $p 2>/dev/null; do n=$(ls -di -- "$m" 2>/dev/null) && [ "$n" != "$b" ] && { echo "${MOUNTED_MARK}" >&2; break; }; sleep 0.05 2>/dev/null || sleep 1; done`,
  'wait $p',
].join('; ');

/** Inputs of {@link buildExportCommand}. */
export interface ExportCommand {
  /** The remote sshfs program. */
  sshfsCmd: string;
  /** The sshfs source: `name:localDir` (the name shows in the remote mount table only). */
  source: string;
  /** The remote mount point, as given (relative to the remote home unless absolute). */
  mountpoint: string;
  /** Allow a mount point that is not empty. */
  nonEmpty: boolean;
  sshfsOptions?: readonly string[] | undefined;
}

/**
 * The remote command of an export as words (quoted by the connection's quoter):
 * `sh -c <wrapper> sh 0|1 <mountpoint> sshfs -o slave <source> <mountpoint> [-o option...]`.
 * `-o slave` (called `passive` since sshfs 3.7, which still accepts `slave`) makes sshfs speak
 * SFTP on its stdin and stdout. The mount point after the options: a relative one starting
 * with `-` is made `./-...` so that sshfs does not read it as an option.
 */
export function buildExportCommand(c: ExportCommand): string[] {
  const mnt = c.mountpoint.startsWith('-') ? `./${c.mountpoint}` : c.mountpoint;
  return ['sh', '-c', EXPORT_WRAPPER, 'sh', c.nonEmpty ? '1' : '0', mnt, c.sshfsCmd, '-o', 'slave', c.source, mnt, ...optionWords(c.sshfsOptions)];
}

/** The unmount argv: `fusermount3 -u [-z] -- <mountpoint>` (`-z`: lazy, detach even when busy). */
export function buildUnmountArgv(fusermountCmd: string, mountpoint: string, lazy: boolean): string[] {
  return [fusermountCmd, '-u', ...(lazy ? ['-z'] : []), '--', mountpoint];
}
