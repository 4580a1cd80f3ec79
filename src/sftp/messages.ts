import { readAttrs, writeAttrs, type Attributes } from './attrs.js';
import { FXP, SFTP_VERSION } from './constants.js';
import { PacketReader, PacketWriter, protocolError } from './packet.js';

/** Bytes as they go on the wire: a string is sent as UTF-8. */
export type Bytes = Uint8Array | string;

// ---- requests (client → server): each returns the whole packet, length included ----

/** SSH_FXP_INIT with version 3 and optional extension pairs. */
export function encodeInit(extensions: ReadonlyArray<[string, string]> = []): Buffer {
  const w = new PacketWriter().byte(FXP.INIT).u32(SFTP_VERSION);
  for (const [name, data] of extensions) w.string(name).string(data);
  return w.finish();
}

function start(type: number, id: number, hint = 64): PacketWriter {
  return new PacketWriter(hint).byte(type).u32(id);
}

/** A request whose only argument is one string (a path or a handle). */
export function encodeOneString(
  type: typeof FXP.CLOSE | typeof FXP.LSTAT | typeof FXP.FSTAT | typeof FXP.OPENDIR | typeof FXP.READDIR | typeof FXP.REMOVE | typeof FXP.RMDIR | typeof FXP.REALPATH | typeof FXP.STAT | typeof FXP.READLINK,
  id: number,
  s: Bytes,
): Buffer {
  return start(type, id).string(s).finish();
}

/** SSH_FXP_OPEN: path, pflags (`SSH_FXF_*`), attrs. */
export function encodeOpen(id: number, path: Bytes, pflags: number, attrs: Attributes = {}): Buffer {
  return writeAttrs(start(FXP.OPEN, id).string(path).u32(pflags), attrs).finish();
}

/** SSH_FXP_READ: handle, offset, length. */
export function encodeRead(id: number, handle: Uint8Array, offset: number, length: number): Buffer {
  return start(FXP.READ, id).string(handle).u64(offset).u32(length).finish();
}

/** SSH_FXP_WRITE: handle, offset, data. */
export function encodeWrite(id: number, handle: Uint8Array, offset: number, data: Uint8Array): Buffer {
  return start(FXP.WRITE, id, 32 + handle.length + data.length).string(handle).u64(offset).string(data).finish();
}

/**
 * SSH_FXP_WRITE as two buffers to send one after the other: the header (length, type, id,
 * handle, offset, data length) and the data itself, not copied.
 */
export function encodeWriteParts(id: number, handle: Uint8Array, offset: number, data: Uint8Array): [Buffer, Uint8Array] {
  const header = start(FXP.WRITE, id, 32 + handle.length).string(handle).u64(offset).u32(data.length).finish();
  header.writeUInt32BE(header.length - 4 + data.length, 0);
  return [header, data];
}

/** SSH_FXP_SETSTAT (path) or SSH_FXP_FSETSTAT (handle) with attrs. */
export function encodeSetstat(type: typeof FXP.SETSTAT | typeof FXP.FSETSTAT, id: number, target: Bytes, attrs: Attributes): Buffer {
  return writeAttrs(start(type, id).string(target), attrs).finish();
}

/** SSH_FXP_MKDIR: path, attrs. */
export function encodeMkdir(id: number, path: Bytes, attrs: Attributes = {}): Buffer {
  return writeAttrs(start(FXP.MKDIR, id).string(path), attrs).finish();
}

/** SSH_FXP_RENAME: oldpath, newpath. */
export function encodeRename(id: number, from: Bytes, to: Bytes): Buffer {
  return start(FXP.RENAME, id).string(from).string(to).finish();
}

/**
 * SSH_FXP_SYMLINK making `linkPath` point to `target`. OpenSSH's server takes the arguments
 * in the reverse of the draft's order (PROTOCOL 4.1): `targetpath, linkpath`; `draftOrder`
 * sends the draft's `linkpath, targetpath` for other servers.
 */
export function encodeSymlink(id: number, target: Bytes, linkPath: Bytes, draftOrder = false): Buffer {
  const w = start(FXP.SYMLINK, id);
  return (draftOrder ? w.string(linkPath).string(target) : w.string(target).string(linkPath)).finish();
}

/** SSH_FXP_EXTENDED: the request name, then what `body` appends. */
export function encodeExtended(id: number, name: string, body?: (w: PacketWriter) => void): Buffer {
  const w = start(FXP.EXTENDED, id).string(name);
  body?.(w);
  return w.finish();
}

// ---- responses (server → client) ----

/** One entry of SSH_FXP_NAME. */
export interface NameEntry {
  filename: Buffer;
  longname: Buffer;
  attrs: Attributes;
}

/** A decoded server packet. */
export type SftpResponse =
  | { type: 'version'; version: number; extensions: Map<string, string> }
  | { type: 'status'; id: number; status: number; message: string; lang: string }
  | { type: 'handle'; id: number; handle: Buffer }
  | { type: 'data'; id: number; data: Buffer }
  | { type: 'name'; id: number; entries: NameEntry[] }
  | { type: 'attrs'; id: number; attrs: Attributes }
  | { type: 'extended-reply'; id: number; data: Buffer };

/**
 * Decode one server packet's payload (type byte first, no length). Anything malformed,
 * truncated, with trailing bytes or of an unknown type is an `OSSH_SFTP_PROTOCOL` SftpError.
 */
export function decodeResponse(payload: Buffer): SftpResponse {
  const r = new PacketReader(payload);
  const type = r.byte();
  let m: SftpResponse;
  switch (type) {
    case FXP.VERSION: {
      const version = r.u32();
      const extensions = new Map<string, string>();
      while (r.remaining > 0) {
        const name = r.text();
        const data = r.text();
        if (!extensions.has(name)) extensions.set(name, data);
      }
      return { type: 'version', version, extensions };
    }
    case FXP.STATUS: {
      const id = r.u32();
      const status = r.u32();
      // Some servers omit the message and language tag (allowed by older drafts).
      const message = r.remaining > 0 ? r.text() : '';
      const lang = r.remaining > 0 ? r.text() : '';
      m = { type: 'status', id, status, message, lang };
      break;
    }
    case FXP.HANDLE:
      m = { type: 'handle', id: r.u32(), handle: r.string() };
      break;
    case FXP.DATA:
      m = { type: 'data', id: r.u32(), data: r.string() };
      break;
    case FXP.NAME: {
      const id = r.u32();
      const count = r.u32();
      // An entry takes at least 12 bytes (two empty strings and the ATTRS flags).
      if (count * 12 > r.remaining) throw protocolError(`SSH_FXP_NAME claims ${count} entries in ${r.remaining} bytes`);
      const entries: NameEntry[] = [];
      for (let i = 0; i < count; i++) entries.push({ filename: r.string(), longname: r.string(), attrs: readAttrs(r) });
      m = { type: 'name', id, entries };
      break;
    }
    case FXP.ATTRS:
      m = { type: 'attrs', id: r.u32(), attrs: readAttrs(r) };
      break;
    case FXP.EXTENDED_REPLY:
      m = { type: 'extended-reply', id: r.u32(), data: r.rest() };
      break;
    default:
      throw protocolError(`unknown packet type ${type}`);
  }
  if (r.remaining > 0) throw protocolError(`${r.remaining} unexpected bytes after a ${m.type} packet`);
  return m;
}
