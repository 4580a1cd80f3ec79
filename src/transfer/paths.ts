import { statSync } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import picomatch from 'picomatch';
import type { Quoter } from '../quote/types.js';

/**
 * How each tool is handed a path so that it reaches the file system byte for byte
 * (docs/transfer.md has the why of every rule).
 */

/**
 * A remote path relative to the home directory that starts with `~`, `-` or `:` gets `./`,
 * so neither scp's SFTP client (which expands `~` itself) nor a remote `scp`/`rsync` (which
 * would read `-x` as an option) sees it as anything but a name, and rsync never reads
 * `host::name` as a daemon module. The empty path is the home directory (`.`).
 */
export function guardRemote(path: string): string {
  if (path === '') return '.';
  return /^[~:-]/.test(path) ? `./${path}` : path;
}

/**
 * A local path for scp or rsync: `./` before a relative path, so that a `:` in it is never
 * read as `host:path`, and a leading `-` never as an option.
 */
export function guardLocal(path: string): string {
  if (path === '' || path === '.' || path === '..') return path || '.';
  return /^(\/|\.\.?\/)/.test(path) ? path : `./${path}`;
}

/**
 * scp's SFTP mode expands every remote *source* as a glob (with `\` escapes), and takes the
 * target literally. Escaping `\ * ? [` makes a source literal.
 */
export function escapeSftpGlob(path: string): string {
  return path.replace(/[\\*?[]/g, (c) => `\\${c}`);
}

/** The `host:path` word for a remote path, given how the tool will read it. */
export function remoteWord(
  prefix: string,
  path: string,
  how: { mode: 'sftp-source' | 'sftp-target' | 'shell'; glob: boolean; quoter: Quoter },
): string {
  const p = guardRemote(path);
  switch (how.mode) {
    case 'sftp-source':
      return `${prefix}${how.glob ? p : escapeSftpGlob(p)}`;
    case 'sftp-target':
      return `${prefix}${p}`;
    case 'shell':
      return `${prefix}${how.glob ? how.quoter.quoteGlob(p) : how.quoter.quote(p)}`;
  }
}

/** `user@host:` (IPv6 literals in brackets), the prefix of every remote word. */
export function remotePrefix(hostSquared: string, user: string | undefined): string {
  return `${user === undefined ? '' : `${user}@`}${hostSquared}:`;
}

const MAGIC = /[*?[{]/;

/**
 * Expand local wildcard patterns like a shell: each `/`-separated part with `* ? [..] {a,b}`
 * is matched against the directory's entries (a leading dot only by a pattern starting with
 * one); parts without wildcards are taken as they are. Sorted per pattern, as `glob(3)`.
 * A pattern that matches nothing contributes nothing. The file system is read with the
 * asynchronous calls, so a large tree never blocks the event loop.
 */
export async function expandLocalGlob(pattern: string): Promise<string[]> {
  const absolute = pattern.startsWith('/');
  const parts = pattern.split('/').filter((p, i) => p !== '' || i === 0);
  if (absolute) parts.shift();
  // `dir/*/`: the last part must be a directory
  const dirOnly = pattern.endsWith('/');
  let found: string[] = [absolute ? '/' : ''];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const last = i === parts.length - 1 && !dirOnly;
    const next: string[] = [];
    for (const base of found) {
      if (!MAGIC.test(part)) {
        const candidate = join(base, part.replace(/\\(.)/g, '$1'));
        if (await (last ? exists(candidate) : isDirAsync(candidate))) next.push(candidate);
        continue;
      }
      const isMatch = picomatch(part, { dot: part.startsWith('.'), nonegate: true, noextglob: true });
      let entries: string[];
      try {
        entries = await readdir(base === '' ? '.' : base);
      } catch {
        continue;
      }
      const candidates = entries.sort().filter((e) => isMatch(e)).map((e) => join(base, e));
      const keep = last ? candidates.map(() => true) : await Promise.all(candidates.map(isDirAsync));
      next.push(...candidates.filter((_, k) => keep[k]));
    }
    found = next;
  }
  if (dirOnly) found = found.map((f) => `${f}/`);
  return found;
}

function join(base: string, name: string): string {
  if (base === '') return name;
  return base.endsWith('/') ? `${base}${name}` : `${base}/${name}`;
}

async function exists(p: string): Promise<boolean> {
  // lstat: a dangling symlink is still a name the tool can copy.
  try {
    await lstat(p);
    return true;
  } catch {
    return false; // ENOENT, ENOTDIR (a file taken as a directory), EACCES...: no match, as in a shell
  }
}

/** Whether `p` is a directory (following links); false for anything unreadable (ELOOP too). */
async function isDirAsync(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** Whether `p` is a directory (following links); false for anything unreadable. */
export function isDir(p: string): boolean {
  try {
    return statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch {
    return false;
  }
}
