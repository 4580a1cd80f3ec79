/**
 * Remote paths: bytes on the wire. A string is sent as UTF-8; a Buffer as it is, so any name
 * a server has (invalid UTF-8, newlines, leading dashes) can be named.
 */

/** A remote path as the methods accept it. */
export type SftpPath = string | Buffer | Uint8Array;

/** The wire bytes of a path, checked: `name` is the argument's name for the TypeError. */
export function pathBytes(p: unknown, name = 'path', method = 'sftp'): Buffer {
  let b: Buffer;
  if (typeof p === 'string') b = Buffer.from(p, 'utf8');
  else if (Buffer.isBuffer(p)) b = p;
  else if (p instanceof Uint8Array) b = Buffer.from(p.buffer, p.byteOffset, p.byteLength);
  else throw new TypeError(`argument '${name}' of ${method}() must be a string or a Buffer, received ${p === null ? 'null' : typeof p}`);
  if (b.length === 0) throw new TypeError(`argument '${name}' of ${method}() must not be empty`);
  if (b.includes(0)) throw new TypeError(`argument '${name}' of ${method}() must not contain a NUL byte, received ${JSON.stringify(b.toString('utf8'))}`);
  return b;
}

/** A path for messages and error fields: a string when the bytes are valid UTF-8, else the Buffer. */
export function displayPath(p: Uint8Array | string): string | Buffer {
  if (typeof p === 'string') return p;
  const b = Buffer.from(p.buffer, p.byteOffset, p.byteLength);
  const s = b.toString('utf8');
  return Buffer.from(s, 'utf8').equals(b) ? s : Buffer.from(b);
}

const SLASH = 0x2f;

/** `dir/name` on bytes (no doubled slash). */
export function joinBytes(dir: Buffer, name: Buffer): Buffer {
  if (dir.length === 0) return name;
  return dir[dir.length - 1] === SLASH ? Buffer.concat([dir, name]) : Buffer.concat([dir, Buffer.of(SLASH), name]);
}

/** The parent of a path on bytes (`/a/b` → `/a`, `a` → `.`, `/` → `/`). */
export function dirnameBytes(p: Buffer): Buffer {
  let end = p.length;
  while (end > 1 && p[end - 1] === SLASH) end--;
  const i = p.lastIndexOf(SLASH, end - 1);
  if (i < 0) return Buffer.from('.');
  if (i === 0) return Buffer.from('/');
  return p.subarray(0, i);
}

/** The last component of a path on bytes. */
export function basenameBytes(p: Buffer): Buffer {
  let end = p.length;
  while (end > 1 && p[end - 1] === SLASH) end--;
  const i = p.lastIndexOf(SLASH, end - 1);
  return p.subarray(i + 1, end);
}

/** Whether bytes decode to UTF-8 and back unchanged. */
export function isUtf8(b: Buffer): boolean {
  return Buffer.from(b.toString('utf8'), 'utf8').equals(b);
}
