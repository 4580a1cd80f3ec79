import type { Quoter } from './types.js';

/**
 * Chain quoters for a command that passes through several interpreters, named outermost
 * first as in Net::OpenSSH: `chainQuoters(msCmd, msWin)` quotes for a Windows program (MSWin)
 * and then for the cmd.exe that starts it (MSCmd). The innermost quoter's `quoteGlob` runs
 * first, then the others' `quote`; the redirections are the outermost shell's.
 */
export function chainQuoters(...quoters: Quoter[]): Quoter {
  if (quoters.length === 0) throw new TypeError('chainQuoters() needs at least one quoter');
  if (quoters.length === 1) return quoters[0]!;
  const inner = [...quoters].reverse();
  const applyOuter = (text: string) => inner.slice(1).reduce((t, q) => q.quote(t), text);
  return Object.freeze({
    name: quoters.map((q) => q.name).join(','),
    quote: (word: string) => applyOuter(inner[0]!.quote(word)),
    quoteGlob: (word: string) => applyOuter(inner[0]!.quoteGlob(word)),
    fragments: quoters[0]!.fragments,
  });
}
