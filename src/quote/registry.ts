import { badOption } from '../options/validate.js';
import { chainQuoters } from './chain.js';
import { cshQuoter } from './csh.js';
import { fishQuoter } from './fish.js';
import { msCmdQuoter } from './mscmd.js';
import { msWinQuoter } from './mswin.js';
import { posixQuoter } from './posix.js';
import type { Quoter } from './types.js';

/** Shell names accepted by `remoteShell` (case-insensitive), Net::OpenSSH's aliases. */
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
  csh: cshQuoter,
  tcsh: cshQuoter,
  fish: fishQuoter,
  mswin: msWinQuoter,
  mscmd: msCmdQuoter,
});

/** The shell names `remoteShell` accepts (case-insensitive; join them with `,` to chain). */
export const remoteShellNames: readonly string[] = Object.freeze(Object.keys(ALIASES));

function isQuoter(v: unknown): v is Quoter {
  const q = v as Quoter;
  return typeof v === 'object' && v !== null && typeof q.quote === 'function' && typeof q.quoteGlob === 'function' && typeof q.fragments === 'object';
}

/**
 * Resolve a `remoteShell` value to a quoter: a shell name, a comma-separated chain of them
 * (`'MSCmd,MSWin'`, outermost first), or a {@link Quoter} object of your own.
 */
export function getQuoter(shell: string | Quoter, option = 'remoteShell'): Quoter {
  if (typeof shell === 'string') {
    // Every call resolves its remoteShell: keep the answer for the names already seen.
    const known = resolved.get(shell);
    if (known) return known;
  }
  if (isQuoter(shell)) return shell;
  const expected = `a quoter object ({ name, quote, quoteGlob, fragments }) or shell names joined by ',' (${remoteShellNames.join(', ')})`;
  if (typeof shell !== 'string' || shell === '') badOption(option, expected, shell);
  const quoters = shell.split(',').map((name) => ALIASES[name.trim().toLowerCase()]);
  if (quoters.some((q) => q === undefined)) badOption(option, expected, shell);
  const quoter = chainQuoters(...(quoters as Quoter[]));
  if (resolved.size < MAX_RESOLVED) resolved.set(shell, quoter);
  return quoter;
}

/** Shell-name strings already resolved (bounded: the names are the caller's). */
const resolved = new Map<string, Quoter>();
const MAX_RESOLVED = 64;
