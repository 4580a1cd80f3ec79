import { readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/** One line of /proc/self/mountinfo, the fields the library uses. */
export interface MountEntry {
  /** The mount point, unescaped. */
  mountpoint: string;
  /** The file system type, e.g. `fuse.sshfs`. */
  fstype: string;
  /** The mount source, unescaped, e.g. `host:/dir`. */
  source: string;
}

/** Undo the kernel's octal escapes (`\040` space, `\011` tab, `\012` newline, `\134` backslash). */
export function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * Parse /proc/self/mountinfo (pure): `id parent major:minor root mountpoint options [optional
 * fields...] - fstype source superoptions`. Malformed lines are skipped.
 */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const sep = fields.indexOf('-', 6);
    if (fields.length < 7 || sep < 0 || sep + 2 >= fields.length) continue;
    out.push({ mountpoint: unescapeMountField(fields[4]!), fstype: fields[sep + 1]!, source: unescapeMountField(fields[sep + 2]!) });
  }
  return out;
}

/** The mounts of this process (Linux), or undefined where there is no /proc/self/mountinfo. */
export async function readMounts(): Promise<MountEntry[] | undefined> {
  try {
    return parseMountinfo(await readFile('/proc/self/mountinfo', 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Whether `path` (absolute, symlinks resolved) is a mount point now: from mountinfo where
 * there is one, else by comparing its device with its parent's (a stat of a mounted FUSE
 * root waits for its file system to answer: callers bound it).
 */
export async function isMountpoint(path: string): Promise<boolean> {
  const mounts = await readMounts();
  if (mounts) return mounts.some((m) => m.mountpoint === path);
  const [own, parent] = await Promise.all([stat(path), stat(dirname(path))]);
  return own.dev !== parent.dev;
}
