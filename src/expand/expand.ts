/**
 * Net::OpenSSH's variable expansion (`_expand_vars`): `%NAME%` is replaced by the value of
 * the variable NAME (`NAME` made of `[A-Za-z0-9_]`), `%%` by one `%`. Unlike Net::OpenSSH,
 * where an undefined name silently expands to '', an undefined variable is a TypeError: a
 * typo must not turn `rm -rf /srv/%APP%/cache` into `rm -rf /srv//cache`.
 */

/** What a variable name may be made of (Perl's ASCII `\w`). */
export const VAR_NAME = /^[A-Za-z0-9_]+$/;

const PATTERN = /%([A-Za-z0-9_]*)%/g;

/** Looks a variable up: its value, or undefined when it is not defined. */
export type VarLookup = (name: string) => string | undefined;

/**
 * Expand `%NAME%` and `%%` in `text`. Throws a TypeError naming the variable (and `where`
 * the text came from) when one is not defined. A `%` not followed by `NAME%` stays as it is.
 *
 * ```ts
 * expandVars('ls >/tmp/ls-%HOST%-%ID%.out', (n) => ({ HOST: 'web1', ID: '42' })[n]); // 'ls >/tmp/ls-web1-42.out'
 * ```
 */
export function expandVars(text: string, lookup: VarLookup, where = 'text'): string {
  if (!text.includes('%')) return text;
  return text.replace(PATTERN, (_m, name: string) => {
    if (name === '') return '%';
    const value = lookup(name);
    if (value === undefined) {
      throw new TypeError(
        `variable %${name}% used in ${where} is not defined: set it with vars: { ${name}: ... } or setVar('${name}', ...), or write %% for a literal % (received ${JSON.stringify(text)})`,
      );
    }
    return value;
  });
}

/** Escape every `%` as `%%`, so that expanding the result gives `text` back. */
export function protectVars(text: string): string {
  return text.replaceAll('%', '%%');
}
