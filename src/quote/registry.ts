import { badOption } from '../options/validate.js';
import { posixQuoter } from './posix.js';
import type { Quoter } from './types.js';

/** Shell names accepted by `remoteShell`, mapped to their quoter. */
const ALIASES: Readonly<Record<string, Quoter>> = Object.freeze({
  posix: posixQuoter,
  sh: posixQuoter,
  bash: posixQuoter,
  dash: posixQuoter,
  ash: posixQuoter,
  ksh: posixQuoter,
  pdksh: posixQuoter,
  mksh: posixQuoter,
  lksh: posixQuoter,
  zsh: posixQuoter,
  fizsh: posixQuoter,
  posh: posixQuoter,
  yash: posixQuoter,
  busybox: posixQuoter,
});

/** The shell names `remoteShell` accepts (case-insensitive). */
export const remoteShellNames: readonly string[] = Object.freeze(Object.keys(ALIASES));

/** Resolve a `remoteShell` value (a shell name or a {@link Quoter}) to a quoter. */
export function getQuoter(shell: string | Quoter, option = 'remoteShell'): Quoter {
  if (typeof shell === 'object' && shell !== null && typeof shell.quote === 'function') return shell;
  const quoter = typeof shell === 'string' ? ALIASES[shell.toLowerCase()] : undefined;
  if (!quoter) {
    badOption(option, `a quoter object or one of the POSIX shell names (${remoteShellNames.join(', ')})`, shell);
  }
  return quoter;
}
