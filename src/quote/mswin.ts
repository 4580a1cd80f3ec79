import type { Quoter } from './types.js';
import { refuseNul } from './words.js';

/**
 * Quote one argument for a Windows program, by the rules its C runtime (and
 * CommandLineToArgvW) uses to split the command line CreateProcess gives it: an argument
 * with white space or `"` goes in double quotes, `"` becomes `\"`, and backslashes are
 * doubled only where they precede a `"` or the closing quote. The empty argument is `""`.
 * Windows programs expand no wildcards, so glob quoting is the same.
 */
export function quoteMsWin(word: string): string {
  refuseNul('MSWin', word);
  if (word === '') return '""';
  if (!/[ \t\n\v"]/.test(word)) return word;
  return `"${word.replace(/(\\+)(?="|$)/g, '$1$1').replace(/"/g, '\\"')}"`;
}

/**
 * The quoter for Windows OpenSSH servers that start the command with CreateProcess (no
 * shell). There is no shell to redirect anything: the remote redirection options are
 * QuoteErrors with it.
 */
export const msWinQuoter: Quoter = Object.freeze({
  name: 'MSWin',
  quote: quoteMsWin,
  quoteGlob: quoteMsWin,
  fragments: Object.freeze({}),
});
