/**
 * Split `items` into consecutive chunks whose summed `cost` stays within `limit` (a single
 * item over the limit gets a chunk of its own) and that hold at most `maxCount` items.
 */
export function chunk<T>(items: readonly T[], cost: (item: T) => number, limit: number, maxCount = Number.POSITIVE_INFINITY): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const item of items) {
    const c = cost(item);
    if (current.length > 0 && (current.length >= maxCount || size + c > limit)) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += c;
  }
  if (current.length > 0) out.push(current);
  return out;
}
