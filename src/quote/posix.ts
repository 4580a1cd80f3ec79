import type { Quoter } from './types.js';
import { QuoteError } from '../errors/index.js';
import { bracketMembers, globPieces, refuseNul, SAFE, type GlobPiece } from './words.js';

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
 * backslash is doubled. A brace without its partner, escaped, or inside brackets is literal
 * (see globPieces).
 *
 * Two ksh93 workarounds:
 * - When a directory component holds no live wildcard but a character that ksh93 escapes
 *   internally (`* ? [ ] \ { } ( ) | &`), ksh93 drops the quoting of every later component
 *   that has wildcards: there `\*` becomes a live `*`, `\\` an escape, a quoted `(` the
 *   start of a ksh pattern, and a quoted `^` or `-` in brackets a negation or a range. So
 *   when later components have wildcards and such quoted characters, one character of the
 *   first is written as a one-character bracket expression (`[a]`, `[\*]`, `['(']`), which
 *   matches the same name and makes ksh93 treat that component as a pattern too.
 * - ksh93 adds a backslash to a bracket expression holding a quoted `!`, `&` or `|`; see
 *   quoteMembers.
 */
export function quoteGlobPosix(word: string): string {
  refuseNul('POSIX', word);
  if (word === '') return "''";
  const pieces = globPieces(word);
  const members = bracketMembers(pieces);
  const bracketed = kshGuards(word, pieces, members);
  let out = '';
  pieces.forEach((p, i) => {
    const at = bracketed.get(i);
    if (at !== undefined) out += bracketPiece(p, at);
    else if (p.kind === 'quotes') out += quoteRun(p.text);
    else if (p.kind === 'backslash') out += '\\\\';
    else if (p.kind === 'other') out += members.has(i) ? quoteMembers(word, p.text, members.get(i)!) : `'${p.text}'`;
    else out += p.text;
  });
  return out;
}

/**
 * Quote a run of literal characters of which some are members of a bracket expression.
 * ksh93 adds a backslash to a set holding a quoted `!`, `&` or `|` (`['&']` also matches
 * `\`). A `!` after the first member goes in bare, which every POSIX shell reads as
 * itself; a leading `!` (bare, it would negate the set) and `&` or `|` (bare, they are
 * operators) are refused with a QuoteError.
 */
function quoteMembers(word: string, text: string, members: ReadonlyMap<number, boolean>): string {
  let out = '';
  let run = '';
  const flush = () => {
    if (run !== '') out += `'${run}'`;
    run = '';
  };
  for (let k = 0; k < text.length; k++) {
    const c = text[k]!;
    const first = members.get(k);
    if (first === undefined || (c !== '!' && c !== '&' && c !== '|')) {
      run += c;
    } else if (c === '!' && !first) {
      flush();
      out += '!';
    } else {
      const why =
        c === '!'
          ? "glob() keeps '!' literal, but bare it would negate the set there and quoted ksh93 also matches a backslash; put it after another member ([a!] rather than [!a])"
          : `ksh93 also matches a backslash for a quoted '${c}' there; match it with ? or outside the brackets`;
      throw new QuoteError('POSIX', `cannot glob-quote ${c === '!' ? "a '!' first" : `'${c}'`} in a [...] set for POSIX shells (in ${JSON.stringify(word)}): ${why}`);
    }
  }
  flush();
  return out;
}

/** Characters ksh93 escapes in a pattern when they are quoted (found by trying all of ASCII). */
const KSH_ESCAPED = '&(){}|';

/**
 * For each directory component that needs the ksh93 workaround (see quoteGlobPosix), the
 * piece and the offset in it of the character to write as a one-character bracket
 * expression. In order of preference: a plain character (`[a]`), an escaped one (`[\*]`),
 * one of `( ) { }` (`['(']`), another printable ASCII one. Not `!`, `&` or `|`, which ksh93
 * matches together with a backslash in brackets, nor `-`, nor a non-ASCII character,
 * which dash, posh and mksh match byte by byte in brackets, nor one inside a brace group,
 * where it would guard one alternative only. A component with none of these is a QuoteError.
 */
function kshGuards(word: string, pieces: readonly GlobPiece[], members: ReadonlyMap<number, ReadonlyMap<number, boolean>>): Map<number, Set<number>> {
  interface Component {
    text: string;
    /** Has a live wildcard. */
    live: boolean;
    /** Has a character ksh93 escapes: without a live wildcard, it triggers the bug. */
    needs: boolean;
    /** Has what ksh93 misreads once the bug is triggered: an escape, a quoted ( ) | & { }, a quoted bracket member. */
    sensitive: boolean;
    choice: Array<[piece: number, offset: number] | undefined>; // by preference
  }
  const newComponent = (): Component => ({ text: '', live: false, needs: false, sensitive: false, choice: [] });
  const comps: Component[] = [newComponent()];
  const offer = (comp: Component, rank: number, at: [number, number]) => {
    comp.choice[rank] ??= at;
  };
  let braces = 0; // depth in brace groups: a [x] in one alternative would not guard the others
  pieces.forEach((p, i) => {
    if (p.kind === 'escape' || p.kind === 'backslash') {
      const comp = comps.at(-1)!;
      comp.needs = comp.sensitive = true;
      comp.text += p.kind === 'escape' ? p.text[1] : '\\';
      if (braces === 0) offer(comp, 1, [i, 0]);
      return;
    }
    if (p.kind === 'quotes') {
      comps.at(-1)!.text += p.text;
      return;
    }
    for (let k = 0; k < p.text.length; k++) {
      const c = p.text[k]!;
      const comp = comps.at(-1)!;
      if (c === '/') {
        comps.push(newComponent());
        continue;
      }
      const leadingDot = c === '.' && comp.text === '';
      comp.text += c;
      if (p.kind === 'live') {
        if (c === '*' || c === '?' || c === '[') comp.live = true;
        else if (c === '{' || c === '}') braces += c === '{' ? 1 : -1;
        else if (/[A-Za-z0-9_@,:.]/.test(c) && !leadingDot && braces === 0) offer(comp, 0, [i, k]);
      } else {
        if (KSH_ESCAPED.includes(c)) comp.needs = comp.sensitive = true;
        if (members.get(i)?.has(k) && c !== '!') comp.sensitive = true; // (a ! goes in bare)
        if (braces > 0) continue;
        if ('(){}'.includes(c)) offer(comp, 2, [i, k]);
        else if (/[ -~]/.test(c) && !'!&|-'.includes(c) && !leadingDot) offer(comp, 3, [i, k]);
      }
    }
  });
  const out = new Map<number, Set<number>>();
  comps.forEach((comp, n) => {
    const later = comps.slice(n + 1);
    if (comp.live || !comp.needs || !later.some((c) => c.live) || !later.some((c) => c.sensitive)) return;
    const at = comp.choice.find((x) => x !== undefined);
    if (at === undefined) {
      throw new QuoteError(
        'POSIX',
        `cannot glob-quote the directory ${JSON.stringify(comp.text)} for POSIX shells (in ${JSON.stringify(word)}): ksh93 drops the quoting of the components after it unless one of its characters is written as a [x] set, and none of its characters can be (outside brace groups it has only & | ! -, a leading dot, control or non-ASCII characters); match one of them with ?`,
      );
    }
    const [i, k] = at;
    out.set(i, (out.get(i) ?? new Set()).add(k));
  });
  return out;
}

/** A piece with the characters at `offsets` written as one-character bracket expressions. */
function bracketPiece(p: GlobPiece, offsets: ReadonlySet<number>): string {
  if (p.kind === 'backslash') return '[\\\\]';
  if (p.kind === 'escape') return `[${p.text}]`; // [\*] [\?] [\[] [\]] [\\]
  const text = (p as { text: string }).text;
  const live = p.kind === 'live';
  const plain = (t: string) => (t === '' || live ? t : `'${t}'`);
  let out = '';
  let start = 0;
  for (const k of [...offsets].sort((a, b) => a - b)) {
    out += plain(text.slice(start, k));
    out += live ? `[${text[k]}]` : `['${text[k]}']`;
    start = k + 1;
  }
  return out + plain(text.slice(start));
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
