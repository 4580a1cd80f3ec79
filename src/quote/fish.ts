import type { Quoter } from './types.js';
import { posixQuoter } from './posix.js';
import { refuseNul, SAFE, writeGlob } from './words.js';

/** Inside fish single quotes only `\'` and `\\` are escapes. */
function singleQuote(run: string): string {
  return `'${run.replace(/['\\]/g, '\\$&')}'`;
}

/** Quote one word for fish: safe words as they are, anything else in single quotes. */
export function quoteFish(word: string): string {
  refuseNul('fish', word);
  if (word !== '' && SAFE.test(word)) return word;
  return singleQuote(word);
}

/**
 * Quote one word for fish leaving its wildcards live: `*`, `**`, `?` (fish 3 still globs it
 * unless the `qmark-noglob` feature is on) and `{ }` brace expansion. fish has no `[...]`
 * wildcard, so brackets are escaped (`\[`, `\]`) and match themselves: left bare, a `[`
 * without its `]` is a syntax error, which fish 3 reports and then exits 0.
 */
export function quoteGlobFish(word: string): string {
  return writeGlob('fish', word, {
    quotes: (run) => "\\'".repeat(run.length),
    other: singleQuote,
    live: (text) => text.replace(/[[\]]/g, '\\$&'),
  });
}

/** The fish quoter. */
export const fishQuoter: Quoter = Object.freeze({
  name: 'fish',
  quote: quoteFish,
  quoteGlob: quoteGlobFish,
  fragments: posixQuoter.fragments,
});
