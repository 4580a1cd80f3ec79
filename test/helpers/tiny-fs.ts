import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

/** Whether the tests run as root (they may mount filesystems). */
export const runAsRoot = process.geteuid?.() === 0;

/**
 * Make `dir` and mount a tmpfs of `size` there (64 KiB by default: a full disk after a few
 * writes); returns the function that unmounts it. Root only (see {@link runAsRoot}).
 */
export function mountTinyTmpfs(dir: string, size = '64k'): () => void {
  mkdirSync(dir);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  return () => execFileSync('umount', [dir]);
}
