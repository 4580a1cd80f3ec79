import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';

/** `sizeof(sun_path)` by platform; no check where unknown. */
const SUN_PATH: Readonly<Partial<Record<NodeJS.Platform, number>>> = {
  linux: 108,
  android: 108,
  darwin: 104,
  freebsd: 104,
  openbsd: 104,
  netbsd: 104,
  sunos: 108,
  aix: 1023,
};

/**
 * While it starts listening, OpenSSH binds `<ControlPath>.<16 random chars>` and renames it
 * into place, and the path must fit with its NUL: so the usable length is sun_path - 18.
 */
export const CTL_SUFFIX_ROOM = 18;

/** Longest ControlPath (in bytes) OpenSSH can listen on here, or undefined when unknown. */
export function maxCtlPathLength(platform: NodeJS.Platform = process.platform): number | undefined {
  const sun = SUN_PATH[platform];
  return sun === undefined ? undefined : sun - CTL_SUFFIX_ROOM;
}

/** A problem with the ControlPath or its directory, reported as a MasterError by the caller. */
export class CtlPathProblem extends Error {}

/** The real home directory of the effective user (from the password database, not $HOME). */
export function realHome(): string | undefined {
  try {
    return realpathSync(userInfo().homedir);
  } catch {
    return undefined;
  }
}

/** Default ctlDir: `~/.openssh-mux`. */
export function defaultCtlDir(): string {
  const home = realHome();
  if (home === undefined) {
    throw new CtlPathProblem(`unable to determine the home directory of uid ${process.getuid?.() ?? '?'}; set the ctlDir option`);
  }
  return join(home, '.openssh-mux');
}

/** Create `dir` with mode 0700 if missing (an existing directory's mode is left alone). */
export function ensureCtlDir(dir: string): void {
  try {
    mkdirSync(dir, { mode: 0o700, recursive: true });
  } catch (err) {
    throw new CtlPathProblem(`unable to create ctlDir ${dir}: ${(err as Error).message}`);
  }
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new CtlPathProblem(`unable to create ctlDir ${dir}: it exists and is not a directory`);
  }
}

/**
 * Net::OpenSSH's secure-path walk: from the real path of `dir` upwards, each directory must
 * be owned by the effective user or root and not writable by group or others unless its
 * sticky bit is set. The walk ends after checking the user's home directory.
 * Throws a CtlPathProblem naming the offending directory.
 */
export function checkSecureDir(dir: string, home: string | undefined = realHome()): void {
  const euid = process.geteuid?.();
  if (euid === undefined) return; // not a POSIX platform: nothing meaningful to check
  let current: string;
  try {
    current = realpathSync(dir);
  } catch (err) {
    throw new CtlPathProblem(`ctlDir ${dir} cannot be resolved: ${(err as Error).message}`);
  }
  for (;;) {
    const st = statSync(current);
    const mode = st.mode & 0o7777;
    const why = !st.isDirectory()
      ? 'is not a directory'
      : st.uid !== euid && st.uid !== 0
        ? `is owned by uid ${st.uid}, not by uid ${euid} or root`
        : (mode & 0o022) !== 0 && (mode & 0o1000) === 0
          ? `is writable by ${[(mode & 0o020) !== 0 ? 'group' : '', (mode & 0o002) !== 0 ? 'others' : ''].filter(Boolean).join(' and ')} (mode ${mode.toString(8).padStart(4, '0')}) without the sticky bit`
          : undefined;
    if (why !== undefined) {
      throw new CtlPathProblem(
        `ctlDir ${dir} is not secure: ${current} ${why}. Another user could hijack the connection through its socket; ` +
          'fix the permissions, choose another ctlDir, or pass strictMode: false',
      );
    }
    if (current === home) return;
    const parent = dirname(current);
    if (parent === current) return;
    current = parent;
  }
}

/** Fail unless `ctlPath` fits the platform's socket path limit (with OpenSSH's suffix). */
export function checkCtlPathLength(ctlPath: string, platform: NodeJS.Platform = process.platform): void {
  const max = maxCtlPathLength(platform);
  const len = Buffer.byteLength(ctlPath);
  if (max !== undefined && len > max) {
    throw new CtlPathProblem(
      `ctlPath ${ctlPath} is ${len} bytes long, but on ${platform} a ControlPath can be at most ${max} bytes ` +
        `(sun_path ${max + CTL_SUFFIX_ROOM} minus the ${CTL_SUFFIX_ROOM} OpenSSH needs for its temporary suffix); ` +
        'set a shorter ctlDir (for example /tmp/ssh-mux-<user>, created 0700)',
    );
  }
}

/** Length of a generated socket name. */
const NAME_LENGTH = 20;

/** A fresh, unused socket name in `dir`: 20 hex characters with nothing readable in them. */
export function newCtlPath(dir: string, target: string): string {
  for (let i = 0; i < 10; i++) {
    const name = createHash('sha256')
      .update(`${target}-${process.pid}-${Date.now()}-${randomBytes(8).toString('hex')}`)
      .digest('hex')
      .slice(0, NAME_LENGTH);
    const path = join(dir, name);
    if (lstatSync(path, { throwIfNoEntry: false }) === undefined) return path;
  }
  throw new CtlPathProblem(`unable to find an unused ControlPath name inside ctlDir ${dir}`);
}

/** What the master should listen on, checked: the result of {@link prepareCtlPath}. */
export interface CtlPathChoice {
  ctlPath: string;
  /** True when the library chose the name (and so may remove stale files there). */
  generated: boolean;
}

/** Inputs of {@link prepareCtlPath}. */
export interface CtlPathOptions {
  ctlPath?: string | undefined;
  ctlDir?: string | undefined;
  externalMaster: boolean;
  strictMode: boolean;
  target: string;
}

/**
 * Choose and check the ControlPath, before anything is spawned: an explicit `ctlPath` must be
 * a socket for an external master and must not exist otherwise; a generated one lives in
 * `ctlDir` (created 0700). Then the length and (with strictMode) directory security checks.
 */
export function prepareCtlPath(o: CtlPathOptions): CtlPathChoice {
  let ctlPath: string;
  let generated = false;
  if (o.ctlPath !== undefined) {
    ctlPath = o.ctlPath;
    const st = lstatSync(ctlPath, { throwIfNoEntry: false });
    if (o.externalMaster) {
      if (!st?.isSocket()) throw new CtlPathProblem(`ctlPath ${ctlPath} does not point to a socket, so there is no external master there`);
    } else if (st !== undefined) {
      throw new CtlPathProblem(`unable to use ctlPath ${ctlPath}: a file object already exists there`);
    }
  } else {
    const dir = o.ctlDir ?? defaultCtlDir();
    // Check the length a name will give before creating anything.
    checkCtlPathLength(join(dir, 'x'.repeat(NAME_LENGTH)));
    ensureCtlDir(dir);
    ctlPath = newCtlPath(dir, o.target);
    generated = true;
  }
  checkCtlPathLength(ctlPath);
  if (o.strictMode) checkSecureDir(dirname(ctlPath));
  return { ctlPath, generated };
}
