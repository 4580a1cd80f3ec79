/**
 * Small validators shared by the option normalisers. Each throws a TypeError that names the
 * option, the expected form and the value received, as soon as the bad value is seen.
 */

/**
 * A string in double quotes for a message, with what could hide or reorder text escaped as
 * `\uXXXX`: what JSON escapes (C0 controls), plus DEL, C1 controls, bidi controls and the
 * line/paragraph separators.
 */
export function quote(text: string): string {
  return JSON.stringify(text).replace(/[\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Render a received value for an error message: its type and a short representation. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `string ${quote(value.length > 80 ? `${value.slice(0, 77)}...` : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${typeof value} ${String(value)}`;
  }
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'null prototype'})`;
  return typeof value;
}

/** Throw the library's standard TypeError for option `name`, with `why` the value is refused when known. */
export function badOption(name: string, expected: string, value: unknown, why?: string): never {
  throw new TypeError(`option '${name}' must be ${expected}, received ${describe(value)}${why === undefined ? '' : `: ${why}`}`);
}

/** Reject keys of `options` that are not in `known`. */
export function checkKnownKeys(options: object, known: ReadonlySet<string>, where: string): void {
  for (const key of Object.keys(options)) {
    if (!known.has(key)) {
      const list = [...known].sort().join(', ');
      throw new TypeError(`unknown option '${key}' for ${where}; known options are: ${list}`);
    }
  }
}

export function optBoolean(name: string, value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') badOption(name, 'a boolean', value);
  return value;
}

export function optString(name: string, value: unknown, { nonEmpty = true } = {}): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || (nonEmpty && value === '')) {
    badOption(name, nonEmpty ? 'a non-empty string' : 'a string', value);
  }
  if (value.includes('\0')) badOption(name, 'a string without NUL bytes', value);
  return value;
}

/** A time in milliseconds: a finite number > 0 (or `0`/`Infinity` meaning "no limit" when allowed). */
/** The longest delay Node's timers can wait: longer ones fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export function optMs(name: string, value: unknown): number | undefined {
  if (value === undefined || value === 0 || value === Number.POSITIVE_INFINITY) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_TIMER_MS) {
    badOption(name, 'a number of milliseconds from 0 to 2147483647, about 24.8 days (0 or Infinity: no limit)', value);
  }
  return value;
}

/** A port: an integer from 1 to 65535, given as a number (a string, even of digits, is refused). */
export function optPort(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    badOption(name, `an integer port between 1 and 65535${typeof value === 'string' ? ' (a number, not a string)' : ''}`, value);
  }
  return value;
}

export function optStringArray(name: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && !v.includes('\0'))) {
    if (typeof value === 'string') {
      badOption(name, 'an array of strings, one argv word each (split "-o Foo=bar" into ["-o", "Foo=bar"])', value);
    }
    badOption(name, 'an array of strings', value);
  }
  return [...value];
}

export function optSignal(name: string, value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) badOption(name, 'an AbortSignal', value);
  return value;
}

export function optEnum<T extends string>(name: string, value: unknown, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    badOption(name, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value);
  }
  return value as T;
}

/** A variable name: letters, digits and `_`, not starting with a digit (what every shell and sshd's AcceptEnv patterns handle). */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** An `env` option: an object of variable names to strings without NUL bytes. */
export function optEnv(name: string, value: unknown): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) badOption(name, 'an object of variable names to string values', value);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (!ENV_NAME.test(k)) badOption(name, 'an object whose keys are shell variable names ([A-Za-z_][A-Za-z0-9_]*)', k);
    if (typeof v !== 'string' || v.includes('\0')) badOption(`${name}.${k}`, 'a string without NUL bytes', v);
    out[k] = v;
  }
  return out;
}
