import { UsageError } from './usage.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `500ms`, `30s`, `5m`, `1h` or a bare number of seconds, in ms. */
export function parseDuration(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  const ms = m ? Number(m[1]) * UNITS[m[2] ?? 's']! : NaN;
  if (!(ms > 0)) throw new UsageError(`${flag} takes a duration such as 500ms, 30s, 5m or 1h (a bare number is seconds), received ${JSON.stringify(text)}`);
  return ms;
}
