import type { Result } from '../run/result.js';

/** What `$` resolves with: the command's {@link Result}, plus the helpers of zx and execa. */
export type TemplateResult<T extends string | Buffer = string> = Result<T> & {
  /** stdout as text (UTF-8 for Buffers), without its final newline (`\n` or `\r\n`). */
  text(): string;
  /** stdout's lines, without their ends (`\n` or `\r\n`); `[]` when it is empty. */
  lines(): string[];
  /** stdout parsed as JSON (a SyntaxError when it is not JSON). */
  json<J = unknown>(): J;
};

function textOf(r: Result<string | Buffer>): string {
  const s = typeof r.stdout === 'string' ? r.stdout : r.stdout.toString('utf8');
  return s.endsWith('\r\n') ? s.slice(0, -2) : s.endsWith('\n') ? s.slice(0, -1) : s;
}

/**
 * Add `text()`, `lines()` and `json()` to a Result, as methods that are not enumerable (the
 * Result's own fields, and `toEqual()` comparisons of them, stay as `run()` gives them).
 */
export function withHelpers<T extends string | Buffer>(r: Result<T>): TemplateResult<T> {
  return Object.defineProperties(r, {
    text: { value: () => textOf(r), configurable: true, writable: true },
    lines: { value: () => (textOf(r) === '' ? [] : textOf(r).split(/\r?\n/)), configurable: true, writable: true },
    json: { value: () => JSON.parse(textOf(r)) as unknown, configurable: true, writable: true },
  }) as TemplateResult<T>;
}
