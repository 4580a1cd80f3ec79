import { QuoteError } from '../errors/index.js';

/** Characters no quoter needs to quote: Net::OpenSSH's ASCII no-quote class. */
export const SAFE = /^[A-Za-z0-9_./@,:-]+$/;

/** Wildcards `quoteGlob` leaves live. */
export const GLOB_CHARS = '*?[]{}';

/** Refuse a NUL byte: no argv word and no command line can carry one. */
export function refuseNul(shell: string, word: string): void {
  const at = word.indexOf('\0');
  if (at >= 0) throw new QuoteError(shell, `cannot quote a NUL character (at index ${at}) for ${shell}: no command line can carry one`);
}

/** The pieces of a word for glob quoting, in order. */
export type GlobPiece =
  | { kind: 'quotes'; text: string } // a run of single quotes
  | { kind: 'escape'; text: string } // a backslash and the wildcard or backslash it escapes
  | { kind: 'backslash' } // a lone backslash (escapes nothing)
  | { kind: 'live'; text: string } // safe characters and live wildcards
  | { kind: 'other'; text: string }; // anything else, up to the next wildcard, quote or backslash

const PIECES = /('+)|(\\[*?[\]{}\\])|(\\)|([A-Za-z0-9_./@,:*?[\]{}-]+)|([^'\\*?[\]{}]+)/g;

/**
 * Split a word for glob quoting the way Net::OpenSSH's `quote_glob` does, with the live set
 * reduced to `* ? [ ] { }`: `/tmp/a b*` is `/tmp/a` (live), ` b` (other), `*` (live).
 */
export function globPieces(word: string): GlobPiece[] {
  const out: GlobPiece[] = [];
  for (const m of word.matchAll(PIECES)) {
    if (m[1] !== undefined) out.push({ kind: 'quotes', text: m[1] });
    else if (m[2] !== undefined) out.push({ kind: 'escape', text: m[2] });
    else if (m[3] !== undefined) out.push({ kind: 'backslash' });
    else if (m[4] !== undefined) out.push({ kind: 'live', text: m[4] });
    else out.push({ kind: 'other', text: m[0] });
  }
  return out;
}
