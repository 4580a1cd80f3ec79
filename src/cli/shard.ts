import { UsageError } from './usage.js';

/** `--shard I/N`, 1-based. */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!(count >= 1 && index >= 1 && index <= count)) throw new UsageError(`--shard takes I/N with 1 <= I <= N (e.g. 2/4), received ${JSON.stringify(text)}`);
  return { index, count };
}

/**
 * The I-th of N contiguous slices of `items`, sizes differing by at most one: concatenating
 * shards 1..N in order gives the list back, so their NDJSON outputs concatenate in host order.
 */
export function shardOf<T>(items: readonly T[], index: number, count: number): T[] {
  const start = Math.floor(((index - 1) * items.length) / count);
  const end = Math.floor((index * items.length) / count);
  return items.slice(start, end);
}
