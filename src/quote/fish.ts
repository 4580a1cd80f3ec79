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
 * Quote one word for fish leaving its wildcards live: `*`, `?` (on fish versions that still
 * glob it) and `{ }` brace expansion. fish has no `[...]` wildcard: brackets stay literal.
 */
export function quoteGlobFish(word: string): string {
  refuseNul('fish', word);
  if (word === '') return "''";
  let out = '';
  for (const p of globPieces(word)) {
    if (p.kind === 'quotes') out += "\\'".repeat(p.text.length);
    else if (p.kind === 'backslash') out += '\\\\';
    else if (p.kind === 'other') out += singleQuote(p.text);
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
