import { createHash } from 'node:crypto';
import type { OpenSSHOptions } from '../options/connection.js';
import { parseTarget } from '../options/target.js';
import { badOption } from '../options/validate.js';

/**
 * The cache key of a target and its options (pure): two calls share a connection exactly when
 * their keys are equal.
 *
 * - The target is normalised as the constructor reads it: `[user[:password]@]host[:port]`
 *   parsed, the `user`, `port` and `password` options filling what the text lacks, the host
 *   lower-cased (ssh matches host names case-insensitively). `me@h:22` and `h` with
 *   `{ user: 'me', port: 22 }` are the same target; `h` and `h:22` are not (ssh_config may
 *   give `h` another port).
 * - The other options compare deep-equal when they are plain data: primitives by value
 *   (`NaN` equals `NaN`), arrays element by element, plain objects key by key in any order,
 *   Buffers and typed arrays byte by byte. A key whose value is `undefined` counts as absent.
 * - Anything else (streams, functions such as a `loginHandler`, AbortSignals, a quoter or
 *   engine object, class instances) compares by identity: the same object, not an equal one.
 *
 * `connect` is left out (a cache only hands out connected objects). The key is a SHA-256 digest, so a password in the target or the options is never kept
 * in clear by the cache.
 */
export function cacheKey(target: unknown, options: OpenSSHOptions): string {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) badOption('options', 'an object', options);
  const o = options as Record<string, unknown>;
  const t = parseTarget(target as string, { user: o.user as string | undefined, port: o.port as number | undefined, password: o.password as string | undefined });
  // user/port/password are in the target; connect can only be true (or absent) in a cache.
  const { user: _u, port: _p, password: _w, connect: _c, ...rest } = o;
  const text = canonical({ target: [t.user, t.host.toLowerCase(), t.port, t.password], options: rest }, new Set());
  return createHash('sha256').update(text).digest('hex');
}

/** Ids of the objects compared by identity, handed out once per object, never reused. */
const ids = new WeakMap<object, number>();
const symbolIds = new Map<symbol, number>();
let nextId = 0;

function identity(value: object | symbol): string {
  if (typeof value === 'symbol') {
    let id = symbolIds.get(value);
    if (id === undefined) symbolIds.set(value, (id = nextId++));
    return `#${id}`;
  }
  let id = ids.get(value);
  if (id === undefined) ids.set(value, (id = nextId++));
  return `#${id}`;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** One unambiguous text per value under the rules of {@link cacheKey}. */
export function canonical(value: unknown, seen: Set<object>): string {
  switch (typeof value) {
    case 'undefined':
      return 'u';
    case 'boolean':
      return value ? 't' : 'f';
    case 'number':
      return `n${Object.is(value, -0) ? '0' : String(value)}`;
    case 'bigint':
      return `i${value}`;
    case 'string':
      return `s${JSON.stringify(value)}`;
    case 'symbol':
    case 'function':
      return identity(value);
  }
  if (value === null) return 'z';
  const obj = value as object;
  if (ArrayBuffer.isView(obj)) return `b${obj.constructor.name}:${Buffer.from(obj.buffer, obj.byteOffset, obj.byteLength).toString('hex')}`;
  // A cycle cannot be compared as data: the object stands for itself.
  if (seen.has(obj) || !(Array.isArray(obj) || isPlainObject(obj))) return identity(obj);
  seen.add(obj);
  let text: string;
  if (Array.isArray(obj)) {
    text = `[${obj.map((v) => canonical(v, seen)).join(',')}]`;
  } else {
    const rec = obj as Record<string, unknown>;
    const keys = Object.keys(rec)
      .filter((k) => rec[k] !== undefined)
      .sort();
    text = `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(rec[k], seen)}`).join(',')}}`;
  }
  seen.delete(obj);
  return text;
}
