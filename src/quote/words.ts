import { QuoteError } from '../errors/index.js';

/** Characters no quoter needs to quote: Net::OpenSSH's ASCII no-quote class. */
export const SAFE = /^[A-Za-z0-9_./@,:-]+$/;

/** Refuse a NUL byte: no argv word and no command line can carry one. */
export function refuseNul(shell: string, word: string): void {
  const at = word.indexOf('\0');
  if (at >= 0) throw new QuoteError(shell, `cannot quote a NUL character (at index ${at}) for ${shell}: no command line can carry one`);
}

/** The pieces of a word for glob quoting, in order. */
export type GlobPiece =
  | { kind: 'quotes'; text: string } // a run of single quotes
  | { kind: 'escape'; text: string } // a backslash and the wildcard (not a brace) or backslash it escapes
  | { kind: 'backslash' } // a lone backslash (escapes nothing)
  | { kind: 'live'; text: string } // safe characters and live wildcards
  | { kind: 'other'; text: string }; // anything else, up to the next wildcard, quote or backslash; or one literal brace

const PIECES = /('+)|(\\[*?[\]{}\\])|(\\)|([A-Za-z0-9_./@,:*?[\]{}-]+)|([^'\\*?[\]{}]+)/g;

/**
 * Split a word for glob quoting the way Net::OpenSSH's `quote_glob` does, with the live set
 * reduced to `* ? [ ] { }`: `/tmp/a b*` is `/tmp/a` (live), ` b` (other), `*` (live).
 *
 * A literal brace comes back as (part of) an `other` piece, which every quoter puts in
 * quotes. A brace is literal when it is escaped (`\{`, `\}`), has no partner, or stands
 * inside a bracket expression (`[{}]` is the set of `{` and `}`):
 * - ksh93 does not expand `\{{a,b}` (an escaped `{` before a brace group stops it) but does
 *   expand `'{'{a,b}`;
 * - POSIX shells read a brace without its partner as literal, but csh and tcsh stop with
 *   "Missing }", zsh with a parse error on a lone `}`, and fish 3 reports a syntax error and
 *   then exits 0, as if the command had succeeded;
 * - bash expands braces even inside brackets, csh takes `{}` in `[{}x]` for an empty
 *   group, and csh does not see a `}` inside brackets as closing a group.
 * Braces pair as in bash: each `}` closes the latest open `{`.
 */
export function globPieces(word: string): GlobPiece[] {
  const out: GlobPiece[] = [];
  for (const m of word.matchAll(PIECES)) {
    if (m[1] !== undefined) out.push({ kind: 'quotes', text: m[1] });
    else if (m[2] === '\\{' || m[2] === '\\}') out.push({ kind: 'other', text: m[2][1]! });
    else if (m[2] !== undefined) out.push({ kind: 'escape', text: m[2] });
    else if (m[3] !== undefined) out.push({ kind: 'backslash' });
    else if (m[4] !== undefined) out.push({ kind: 'live', text: m[4] });
    else out.push({ kind: 'other', text: m[0] });
  }
  // Merge the literal braces into the `other` runs around them: `a b{` is `a` and ` b{`.
  return literalBraces(out).reduce<GlobPiece[]>((acc, p) => {
    const last = acc.at(-1);
    if (last?.kind === 'other' && p.kind === 'other') acc[acc.length - 1] = { kind: 'other', text: last.text + p.text };
    else acc.push(p);
    return acc;
  }, []);
}

/** One character of a word, with the piece it is in. */
interface Char {
  piece: number;
  offset: number;
  c: string;
  live: boolean;
}

function charsOf(pieces: readonly GlobPiece[]): Char[] {
  const chars: Char[] = [];
  pieces.forEach((p, piece) => {
    const text = p.kind === 'backslash' ? '\\' : p.text;
    for (let offset = 0; offset < text.length; offset++) chars.push({ piece, offset, c: text[offset]!, live: p.kind === 'live' });
  });
  return chars;
}

/**
 * The characters between a live `[` and the live `]` that closes it, in the same path
 * component, each with whether it comes first. A `]` right after the `[` is a member, as in
 * POSIX shells and csh.
 */
function inBrackets(chars: readonly Char[]): Map<Char, boolean> {
  const inside = new Map<Char, boolean>();
  for (let i = 0; i < chars.length; i++) {
    if (!(chars[i]!.live && chars[i]!.c === '[')) continue;
    let j = i + 2;
    while (j < chars.length && !(chars[j]!.live && chars[j]!.c === ']') && chars[j]!.c !== '/') j++;
    if (j >= chars.length || chars[j]!.c === '/' || i + 1 >= chars.length || chars[i + 1]!.c === '/') continue;
    for (let k = i + 1; k < j; k++) inside.set(chars[k]!, k === i + 1);
    i = j;
  }
  return inside;
}

/**
 * Where the members of bracket expressions are: piece index -> offset in the piece -> whether
 * the member comes first in its brackets.
 */
export function bracketMembers(pieces: readonly GlobPiece[]): Map<number, Map<number, boolean>> {
  const out = new Map<number, Map<number, boolean>>();
  for (const [ch, first] of inBrackets(charsOf(pieces))) out.set(ch.piece, (out.get(ch.piece) ?? new Map()).set(ch.offset, first));
  return out;
}

/** Make the live `{` and `}` that are not a pair of a brace group literal (see {@link globPieces}). */
function literalBraces(pieces: GlobPiece[]): GlobPiece[] {
  const chars = charsOf(pieces);
  if (!chars.some((ch) => ch.live && (ch.c === '{' || ch.c === '}'))) return pieces;
  const bracketed = inBrackets(chars);
  const literal = new Map<number, Set<number>>();
  const mark = (ch: Char) => literal.set(ch.piece, (literal.get(ch.piece) ?? new Set()).add(ch.offset));
  const open: Char[] = []; // each unclosed `{`
  for (const ch of chars) {
    if (!ch.live || (ch.c !== '{' && ch.c !== '}')) continue;
    if (bracketed.has(ch)) mark(ch);
    else if (ch.c === '{') open.push(ch);
    else if (open.pop() === undefined) mark(ch);
  }
  open.forEach(mark);
  if (literal.size === 0) return pieces;
  return pieces.flatMap((p, i): GlobPiece[] => {
    const at = literal.get(i);
    if (at === undefined || p.kind !== 'live') return [p];
    const parts: GlobPiece[] = [];
    let start = 0;
    for (const k of [...at].sort((a, b) => a - b)) {
      if (k > start) parts.push({ kind: 'live', text: p.text.slice(start, k) });
      parts.push({ kind: 'other', text: p.text[k]! });
      start = k + 1;
    }
    if (start < p.text.length) parts.push({ kind: 'live', text: p.text.slice(start) });
    return parts;
  });
}

/** How a shell writes each kind of glob piece (lone backslashes are always doubled). */
export interface GlobWriters {
  /** A run of single quotes. */
  quotes(run: string): string;
  /** Literal text that needs quoting. */
  other(text: string): string;
  /** Safe characters and wildcards; as they are when omitted. */
  live?(text: string): string;
}

/** Glob-quote `word` for `shell` with its writers (the common loop of csh and fish). */
export function writeGlob(shell: string, word: string, w: GlobWriters): string {
  refuseNul(shell, word);
  if (word === '') return "''";
  let out = '';
  for (const p of globPieces(word)) {
    if (p.kind === 'quotes') out += w.quotes(p.text);
    else if (p.kind === 'backslash') out += '\\\\';
    else if (p.kind === 'other') out += w.other(p.text);
    else if (p.kind === 'live' && w.live) out += w.live(p.text);
    else out += p.text;
  }
  return out;
}
