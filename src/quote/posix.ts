import type { Quoter } from './types.js';

const SAFE = /^[A-Za-z0-9_./@,:-]+$/;
const QUOTE_RUNS = /'+|[^']+/g;
/**
 * Tokens for glob quoting: quote runs, kept escapes, lone backslashes, raw runs (safe and
 * glob characters), and other runs up to the next glob character, quote or backslash (as
 * Net::OpenSSH: `/tmp/a b*` gives `/tmp/a' b'*`).
 */
const GLOB_TOKENS = /('+)|(\\[*?[\]{}!^~,:\\])|(\\)|([A-Za-z0-9_./@,:*?[\]{}!^~-]+)|([^'\\*?[\]{}!^~,:]+)/g;

function quoteRun(run: string): string {
  return run.length === 1 ? "\\'" : `"${run}"`;
}

/**
 * Quote one word for a POSIX shell (sh, dash, bash, ksh, mksh, zsh...). Words made only of
 * `[A-Za-z0-9_./@,:-]` stay as they are; other runs go inside single quotes; a lone `'`
 * becomes `\'` and a run of them `"''"`. The empty word becomes `''`.
 *
 * Unlike Net::OpenSSH, a leading `'` does not produce a useless extra `''`.
 */
export function quotePosix(word: string): string {
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
 * Quote one word for a POSIX shell but leave glob characters live, so `/var/log/*.log`
 * expands remotely. A backslash before a glob character or another backslash is kept as an
 * escape (`a\*b` matches a literal `*`); a lone backslash is doubled.
 */
export function quoteGlobPosix(word: string): string {
  if (word === '') return "''";
  let out = '';
  for (const m of word.matchAll(GLOB_TOKENS)) {
    if (m[1] !== undefined) out += quoteRun(m[1]);
    else if (m[2] !== undefined || m[4] !== undefined) out += m[0];
    else if (m[3] !== undefined) out += '\\\\';
    else out += `'${m[0]}'`;
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
