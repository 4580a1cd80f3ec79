import { getQuoter } from './registry.js';
import type { Quoter } from './types.js';

/** Options of {@link shellQuote} and {@link shellQuoteGlob}. */
export interface ShellQuoteOptions {
  /** Shell name, chain (`'MSCmd,MSWin'`) or quoter; default POSIX. */
  remoteShell?: string | Quoter;
}

function split(args: Array<string | ShellQuoteOptions>): { words: string[]; quoter: Quoter } {
  const last = args.at(-1);
  const options = typeof last === 'object' && last !== null ? (args.pop() as ShellQuoteOptions) : {};
  for (const [i, w] of args.entries()) {
    if (typeof w !== 'string') throw new TypeError(`word ${i} must be a string, received ${typeof w}`);
  }
  return { words: args as string[], quoter: getQuoter(options.remoteShell ?? 'POSIX') };
}

/**
 * Quote words for a remote shell and join them with spaces (Net::OpenSSH's `shell_quote`):
 * `shellQuote('ls', 'a b')` gives `ls 'a b'`. An options object last picks the shell:
 * `shellQuote('x y', { remoteShell: 'fish' })`.
 */
export function shellQuote(...args: Array<string | ShellQuoteOptions>): string {
  const { words, quoter } = split(args);
  return words.map((w) => quoter.quote(w)).join(' ');
}

/** Like {@link shellQuote}, with the wildcards `* ? [ ] { }` left live. */
export function shellQuoteGlob(...args: Array<string | ShellQuoteOptions>): string {
  const { words, quoter } = split(args);
  return words.map((w) => quoter.quoteGlob(w)).join(' ');
}
