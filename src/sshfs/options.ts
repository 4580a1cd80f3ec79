import { badOption, checkKnownKeys, optBoolean, optMs, optSignal, optString, optStringArray, quote } from '../options/validate.js';
import { RESERVED_SSHFS_OPTIONS, sshCommandWordProblem } from './argv.js';

/** Options shared by {@link SshfsImportOptions} and {@link SshfsExportOptions}. */
export interface SshfsCommonOptions {
  /**
   * sshfs mount options, one per element, each `name` or `name=value` (`['ro', 'reconnect',
   * 'idmap=user', 'ServerAliveInterval=15']`); each is passed as `-o <option>`, commas and
   * backslashes in the value escaped for you. Refused: the options the library sets itself
   * or that would bypass the master (`ssh_command`, `passive`/`slave`, `directport`,
   * `password_stdin`, `ssh_protocol`, `fsname`, `subtype`, `debug`, `sshfs_debug`).
   */
  sshfsOptions?: readonly string[];
  /** Extra ssh options for the slave ssh (argv words, e.g. `['-o', 'ServerAliveInterval=15']`). */
  sshOpts?: readonly string[];
  /** Mount over a mount point that is not empty (default: refused with `mountpoint-not-empty`). */
  nonEmpty?: boolean;
  /** Milliseconds to wait for the file system to be mounted and answering (default 30000; 0 or Infinity: no limit). */
  timeout?: number;
  /** Abort waiting for the mount: sshfs is stopped and the mount point left as it was. */
  signal?: AbortSignal;
}

/** Options of `sshfsImport()`. */
export interface SshfsImportOptions extends SshfsCommonOptions {
  /** The local sshfs program (default `sshfs`, looked up in PATH). */
  sshfsCmd?: string;
  /** The local fusermount program for unmounting (default `fusermount3`, else `fusermount`). */
  fusermountCmd?: string;
}

/** Options of `sshfsExport()`. */
export interface SshfsExportOptions extends SshfsCommonOptions {
  /** The remote sshfs program (default `sshfs`, looked up in the remote PATH). */
  sshfsCmd?: string;
  /** The remote fusermount program for unmounting (default `fusermount3`, else `fusermount`). */
  fusermountCmd?: string;
  /** The local SFTP server serving the directory (default `/usr/lib/openssh/sftp-server`). */
  sftpServerCmd?: string;
}

/** Validated options, defaults applied. */
export interface NormalizedSshfs {
  sshfsOptions: readonly string[];
  sshOpts: readonly string[];
  nonEmpty: boolean;
  timeout: number | undefined;
  signal: AbortSignal | undefined;
  sshfsCmd: string;
  /** undefined: try fusermount3, then fusermount. */
  fusermountCmd: string | undefined;
  sftpServerCmd: string;
}

/** The default for `timeout`. */
export const DEFAULT_SSHFS_TIMEOUT_MS = 30_000;
/** The default for `sftpServerCmd` (Debian's and Ubuntu's path). */
export const DEFAULT_SFTP_SERVER = '/usr/lib/openssh/sftp-server';

const COMMON = ['sshfsOptions', 'sshOpts', 'nonEmpty', 'timeout', 'signal', 'sshfsCmd', 'fusermountCmd'];
/** The option names of sshfsImport(). */
export const IMPORT_KNOWN: ReadonlySet<string> = new Set(COMMON);
/** The option names of sshfsExport(). */
export const EXPORT_KNOWN: ReadonlySet<string> = new Set([...COMMON, 'sftpServerCmd']);

/** An sshfs option name: what sshfs and libfuse take (letters, digits, `_`, `-`, `.`). */
const OPTION_NAME = /^[A-Za-z][\w.-]*$/;

function optSshfsOptions(value: unknown): string[] {
  const list = optStringArray('sshfsOptions', value) ?? [];
  for (const o of list) {
    const name = o.split('=', 1)[0]!;
    const form = "an array of sshfs options, one 'name' or 'name=value' per element";
    if (/[\n\r]/.test(o)) badOption('sshfsOptions', form, o, 'it contains a line break');
    if (!OPTION_NAME.test(name)) badOption('sshfsOptions', form, o, `${quote(name)} is not an option name (pass one option per element, without '-o')`);
    if (RESERVED_SSHFS_OPTIONS.includes(name)) badOption('sshfsOptions', form, o, `${name} is set by the library or would bypass the master`);
  }
  return list;
}

/** Validate `sshOpts` words for sshfs's ssh_command (import) or the slave (export). */
function optSshOpts(value: unknown, forSshCommand: boolean): string[] {
  const list = optStringArray('sshOpts', value) ?? [];
  if (forSshCommand) {
    for (const w of list) {
      const why = sshCommandWordProblem(w);
      if (why !== undefined) badOption('sshOpts', "an array of ssh argv words that sshfs's ssh_command can carry", w, why);
    }
  }
  return list;
}

function optProgram(name: string, value: unknown): string | undefined {
  const s = optString(name, value);
  if (s !== undefined && s.startsWith('-')) badOption(name, 'a program name or path (not starting with "-")', s);
  return s;
}

/** Validate the options of sshfsImport() (`kind: 'import'`) or sshfsExport(). Throws TypeErrors. */
export function normalizeSshfsOptions(kind: 'import' | 'export', options: unknown = {}): NormalizedSshfs {
  const method = kind === 'import' ? 'sshfsImport()' : 'sshfsExport()';
  if (options === null || typeof options !== 'object' || Array.isArray(options)) badOption(`options of ${method}`, 'an object', options);
  checkKnownKeys(options, kind === 'import' ? IMPORT_KNOWN : EXPORT_KNOWN, method);
  const o = options as Record<string, unknown>;
  const sshfsCmd = optProgram('sshfsCmd', o.sshfsCmd) ?? 'sshfs';
  return {
    sshfsOptions: optSshfsOptions(o.sshfsOptions),
    sshOpts: optSshOpts(o.sshOpts, kind === 'import'),
    nonEmpty: optBoolean('nonEmpty', o.nonEmpty) ?? false,
    timeout: o.timeout === undefined ? DEFAULT_SSHFS_TIMEOUT_MS : optMs('timeout', o.timeout),
    signal: optSignal('signal', o.signal),
    sshfsCmd,
    fusermountCmd: optProgram('fusermountCmd', o.fusermountCmd),
    sftpServerCmd: optProgram('sftpServerCmd', o.sftpServerCmd) ?? DEFAULT_SFTP_SERVER,
  };
}

/** Check a directory argument: a string without NUL bytes (empty allowed for the remote home when `emptyOk`). */
export function dirArgument(method: string, name: string, value: unknown, emptyOk: boolean): string {
  if (typeof value !== 'string' || (!emptyOk && value === '')) {
    throw new TypeError(`${method}: ${name} must be ${emptyOk ? 'a string (empty: the remote home)' : 'a non-empty path'}, received ${describeValue(value)}`);
  }
  if (value.includes('\0')) throw new TypeError(`${method}: ${name} must not contain a NUL byte, received ${quote(value)}`);
  return value;
}

function describeValue(v: unknown): string {
  return typeof v === 'string' ? quote(v) : v === null ? 'null' : typeof v;
}
