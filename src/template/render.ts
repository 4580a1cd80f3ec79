import { describe } from '../options/validate.js';
import { isGlob, isRaw, type GlobWord, type RawWord } from '../quote/markers.js';
import type { Quoter } from '../quote/types.js';

/** One interpolated word of a `$` template: quoted, or inserted as the marker says. */
export type TemplateWord = string | number | RawWord | GlobWord;

/** What `${...}` may hold in a `$` template: one word, or an array of words (several words). */
export type TemplateValue = TemplateWord | readonly TemplateWord[];

/** How {@link renderTemplate} treats the two kinds of parts. */
export interface RenderOptions {
  /** Quotes the interpolated values (the object's `remoteShell`). */
  quoter: Quoter;
  /** Applied to each literal part, and never to a value (`%HOST%` expansion). */
  literal?: ((text: string) => string) | undefined;
  /** How the template is named in errors (`ssh.$`). */
  tag?: string | undefined;
}

const EXPECTED = 'a string, a finite number, raw(), glob() or an array of them';

function where(strings: readonly string[], i: number): string {
  const before = strings[i] ?? '';
  const tail = before.length > 30 ? `...${before.slice(-27)}` : before;
  return `position ${i} (after ${JSON.stringify(tail)})`;
}

function word(v: unknown, quoter: Quoter, fail: (received: unknown) => never): string {
  if (typeof v === 'string') return quoter.quote(v);
  if (typeof v === 'number') return Number.isFinite(v) ? quoter.quote(String(v)) : fail(v);
  if (isRaw(v)) return v.value;
  if (isGlob(v)) return quoter.quoteGlob(v.value);
  return fail(v);
}

/**
 * Build the remote command of a `$` template (pure): each literal part as it is (through
 * `literal`, when given), each interpolated value quoted for the remote shell. An array gives
 * one quoted word per element, joined by spaces (nothing for an empty array). `raw()` goes
 * in unquoted, `glob()` keeps its wildcards live, a finite number is quoted as its decimal
 * text (as in a {@link Command} array). Anything else (`undefined`, `null`, a boolean, an
 * object, a nested array) is a TypeError naming its position. The tags pass the template's raw
 * literal text (as `String.raw`): what is written is what the remote shell reads, so
 * `` printf '%s\n' `` reaches it as typed, not with a newline in it.
 *
 * ```ts
 * renderTemplate(['ls -l ', ' | wc -l'], ['/my dir'], { quoter: posixQuoter }); // "ls -l '/my dir' | wc -l"
 * ```
 */
export function renderTemplate(strings: readonly (string | undefined)[], values: readonly unknown[], options: RenderOptions): string {
  const { quoter, literal, tag = '$' } = options;
  const parts = strings.map((s, i) => {
    if (typeof s !== 'string') throw new TypeError(`${tag}: the literal part at position ${i} has an invalid escape sequence (write \\\\ for a backslash)`);
    return s;
  });
  let out = '';
  for (let i = 0; i < parts.length; i++) {
    out += literal ? literal(parts[i]!) : parts[i]!;
    if (i >= values.length) break;
    const v = values[i];
    const at = where(parts, i);
    if (Array.isArray(v)) {
      out += v
        .map((w: unknown, k: number) =>
          word(w, quoter, (received) => {
            throw new TypeError(`${tag}: element ${k} of the array interpolated at ${at} must be a string, a finite number, raw() or glob(), received ${describe(received)}`);
          }),
        )
        .join(' ');
    } else {
      out += word(v, quoter, (received) => {
        throw new TypeError(`${tag}: the value interpolated at ${at} must be ${EXPECTED}, received ${describe(received)}`);
      });
    }
  }
  return out;
}
