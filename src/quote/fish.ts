import type { Quoter } from './types.js';
import { globPieces, refuseNul, SAFE } from './words.js';

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
  refuseNul('fish', word);
  if (word === '') return "''";
  let out = '';
  for (const p of globPieces(word)) {
    if (p.kind === 'quotes') out += "\\'".repeat(p.text.length);
    else if (p.kind === 'backslash') out += '\\\\';
    else if (p.kind === 'other') out += singleQuote(p.text);
    else if (p.kind === 'live') out += p.text.replace(/[[\]]/g, '\\$&');
    else out += p.text;
  }
  return out;
}

/** The fish quoter. */
export const fishQuoter: Quoter = Object.freeze({
  name: 'fish',
  quote: quoteFish,
  quoteGlob: quoteGlobFish,
  fragments: Object.freeze({
    stdinDiscard: '</dev/null',
    stdoutDiscard: '>/dev/null',
    stderrDiscard: '2>/dev/null',
    stdoutAndStderrDiscard: '>/dev/null 2>&1',
    stderrToStdout: '2>&1',
  }),
});
