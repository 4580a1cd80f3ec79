import { describe } from '../options/validate.js';

/**
 * A function usable two ways: as a tagged template (`` tag`cmd ${x}` ``) it calls `call` with
 * the literal parts (their raw text, as `String.raw` sees them), the values and the options given so far; called with an options object
 * (`tag({ timeout: 5000 })`) it returns the same kind of function with those options merged
 * over the earlier ones.
 */
export interface TemplateTag<R, O> {
  (strings: TemplateStringsArray, ...values: readonly unknown[]): R;
  (options: O): TemplateTag<R, O>;
}

function isTemplateStrings(v: unknown): v is TemplateStringsArray {
  return Array.isArray(v) && Array.isArray((v as unknown as { raw?: unknown }).raw);
}

/** Make a {@link TemplateTag}; `name` (`ssh.$`) is how errors call it. */
export function templateTag<R, O extends object>(
  name: string,
  call: (strings: readonly (string | undefined)[], values: readonly unknown[], options: O | undefined) => R,
  options?: O,
): TemplateTag<R, O> {
  function tag(first: unknown, ...rest: unknown[]): unknown {
    // The raw text: what is written in the source is what the shell reads (`printf '%s\n'`).
    if (isTemplateStrings(first)) return call(first.raw, rest, options);
    if (typeof first !== 'object' || first === null || Array.isArray(first) || rest.length > 0) {
      throw new TypeError(`${name} is a tagged template (${name}\`ls -l \${dir}\`) or takes one options object (${name}({ timeout: 5000 })\`...\`), received ${describe(first)}${rest.length > 0 ? ` and ${rest.length} more argument(s)` : ''}`);
    }
    return templateTag(name, call, { ...options, ...(first as O) });
  }
  return tag as TemplateTag<R, O>;
}

/**
 * Options a template refuses: the command is already one quoted string, so re-quoting it
 * (`quoteArgs`, `glob`) or reading it as a tunnel or subsystem would change what it means.
 */
const REFUSED = ['quoteArgs', 'glob', 'tunnel', 'subsystem'] as const;

/** Throw a TypeError for an option a template refuses. */
export function checkTemplateOptions(name: string, options: object | undefined): void {
  if (options === undefined) return;
  for (const key of REFUSED) {
    if ((options as Record<string, unknown>)[key] !== undefined) {
      throw new TypeError(`option '${key}' cannot be used with ${name}: the template quotes each interpolated value itself (use raw() or glob() on a value instead)`);
    }
  }
}
