import type { Quoter } from './types.js';
import { refuseNul, SAFE, writeGlob } from './words.js';

/**
 * Inside csh single quotes everything is literal except `!` (history) and newline, which
 * take a backslash.
 */
function singleQuote(run: string): string {
  return `'${run.replace(/[!\n]/g, '\\$&')}'`;
}

/**
 * Quote one word for csh and tcsh: safe runs as they are, each `'` as `\'`, anything else in
 * single quotes with `!` and newline backslash-escaped. The empty word becomes `''`.
 *
 * Every character but NUL comes through, in bsd-csh and tcsh, in any locale. Non-ASCII
 * characters must stay quoted: bare, bsd-csh drops U+0080..U+009F and hangs on U+00A0.
 * bsd-csh refuses a word over about 8 KB ("Word too long."); tcsh does not, so that is left
 * to the shell.
 */
export function quoteCsh(word: string): string {
  refuseNul('csh', word);
  if (word === '') return "''";
  if (SAFE.test(word)) return word;
  return word
    .split(/(')/)
    .map((piece) => (piece === "'" ? "\\'" : SAFE.test(piece) || piece === '' ? piece : singleQuote(piece)))
    .join('');
}

/**
 * Quote one word for csh/tcsh leaving `* ? [ ] { }` live. Unlike Net::OpenSSH (which dies
 * on a backslash that escapes nothing, such as `c:\dir`), a lone backslash is doubled. A
 * brace without its partner, escaped or inside brackets is literal (csh would stop with
 * "Missing }"; see globPieces). tcsh 6.24 in a UTF-8 locale never matches a pattern holding
 * a quoted non-ASCII character ("No match."), but bsd-csh needs them quoted (see quoteCsh).
 */
export function quoteGlobCsh(word: string): string {
  return writeGlob('csh', word, { quotes: (run) => "\\'".repeat(run.length), other: singleQuote });
}

/**
 * The csh/tcsh quoter. csh cannot redirect stderr alone, nor send it to stdout while
 * stdout stays: only both at once (`>&`). Those options are QuoteErrors under csh.
 */
export const cshQuoter: Quoter = Object.freeze({
  name: 'csh',
  quote: quoteCsh,
  quoteGlob: quoteGlobCsh,
  fragments: Object.freeze({
    stdinDiscard: '</dev/null',
    stdoutDiscard: '>/dev/null',
    stdoutAndStderrDiscard: '>&/dev/null',
  }),
});
