import { msCmdMsWinQuoter, msCmdQuoter } from './mscmd.js';
import { msWinQuoter } from './mswin.js';
import type { Quoter } from './types.js';

/**
 * Chain quoters for a command that passes through several interpreters, named outermost
 * first as in Net::OpenSSH: `chainQuoters(msCmd, msWin)` quotes for a Windows program (MSWin)
 * and then for the cmd.exe that starts it (MSCmd). The innermost quoter's `quoteGlob` runs
 * first, then the others' `quote`; the redirections are the outermost shell's.
 *
 * The pair MSCmd then MSWin is replaced by {@link msCmdMsWinQuoter}, which differs from the
 * plain composition only for words with a `%` or a leading `@` (see `quoteMsCmdMsWin`).
 */
export function chainQuoters(...quoters: Quoter[]): Quoter {
  if (quoters.length === 0) throw new TypeError('chainQuoters() needs at least one quoter');
  const fused: Quoter[] = [];
  for (const q of quoters) {
    if (q === msWinQuoter && fused.at(-1) === msCmdQuoter) fused[fused.length - 1] = msCmdMsWinQuoter;
    else fused.push(q);
  }
  if (fused.length === 1) return fused[0]!;
  const inner = [...fused].reverse();
  const applyOuter = (text: string) => inner.slice(1).reduce((t, q) => q.quote(t), text);
  return Object.freeze({
    name: fused.map((q) => q.name).join(','),
    quote: (word: string) => applyOuter(inner[0]!.quote(word)),
    quoteGlob: (word: string) => applyOuter(inner[0]!.quoteGlob(word)),
    fragments: fused[0]!.fragments,
  });
}
