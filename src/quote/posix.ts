import type { Quoter } from './types.js';
import { globPieces, refuseNul, SAFE } from './words.js';

const QUOTE_RUNS = /'+|[^']+/g;

/** `'` outside quotes: `\'` alone, `"''"` for a run. */
function quoteRun(run: string): string {
  return run.length === 1 ? "\\'" : `"${run}"`;
}

/**
 * Quote one word for a POSIX shell (sh, dash, bash, ksh, mksh, zsh, posh, yash...). Words
 * made only of `[A-Za-z0-9_./@,:-]` stay as they are; other runs go inside single quotes; a
 * lone `'` becomes `\'` and a run of them `"''"`. The empty word becomes `''`.
 *
 * Unlike Net::OpenSSH, a leading `'` does not produce a useless extra `''`.
 */
export function quotePosix(word: string): string {
  refuseNul('POSIX', word);
  if (word === '') return "''";
  if (SAFE.test(word)) return word;
  let out = '';
  for (const [run] of word.matchAll(QUOTE_RUNS)) {
    if (run.startsWith("'")) out += quoteRun(run);
    else out += SAFE.test(run) ? run : `'${run}'`;
  }
  return out;
}

/**
 * Quote one word for a POSIX shell but leave `* ? [ ] { }` live, so `/var/log/*.log`
 * expands remotely; everything else is literal (`~` is not expanded). A backslash before a
 * wildcard or another backslash is kept as an escape (`a\*b` matches a literal `*`); a lone
 * backslash is doubled.
 */
export function quoteGlobPosix(word: string): string {
  refuseNul('POSIX', word);
  if (word === '') return "''";
  let out = '';
  for (const p of globPieces(word)) {
    if (p.kind === 'quotes') out += quoteRun(p.text);
    else if (p.kind === 'backslash') out += '\\\\';
    else if (p.kind === 'other') out += `'${p.text}'`;
    else out += p.text;
  }
  return out;
}

/** The POSIX shell quoter. */
export const posixQuoter: Quoter = Object.freeze({
  name: 'POSIX',
  quote: quotePosix,
  quoteGlob: quoteGlobPosix,
  fragments: Object.freeze({
    stdinDiscard: '</dev/null',
    stdoutDiscard: '>/dev/null',
    stderrDiscard: '2>/dev/null',
    stdoutAndStderrDiscard: '>/dev/null 2>&1',
    stderrToStdout: '2>&1',
  }),
});
