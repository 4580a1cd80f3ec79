import { ATTR } from './constants.js';
import { PacketReader, PacketWriter, protocolError } from './packet.js';

/**
 * The ATTRS structure of SFTP version 3: every field optional, present when its flag is set.
 * Times are seconds since the epoch (uint32 on the wire).
 */
export interface Attributes {
  size?: number;
  uid?: number;
  gid?: number;
  /** Permissions and file type bits (`st_mode`). */
  mode?: number;
  atime?: number;
  mtime?: number;
  /** Extended attributes: `[type, data]` pairs. */
  extended?: Array<[Buffer, Buffer]>;
}

/** Append an ATTRS structure to a packet. uid and gid, atime and mtime go in pairs. */
export function writeAttrs(w: PacketWriter, a: Attributes): PacketWriter {
  let flags = 0;
  if (a.size !== undefined) flags |= ATTR.SIZE;
  const ids = a.uid !== undefined || a.gid !== undefined;
  if (ids) {
    if (a.uid === undefined || a.gid === undefined) throw new TypeError('SFTP attributes: uid and gid must be given together');
    flags |= ATTR.UIDGID;
  }
  if (a.mode !== undefined) flags |= ATTR.PERMISSIONS;
  const times = a.atime !== undefined || a.mtime !== undefined;
  if (times) {
    if (a.atime === undefined || a.mtime === undefined) throw new TypeError('SFTP attributes: atime and mtime must be given together');
    flags |= ATTR.ACMODTIME;
  }
  if (a.extended && a.extended.length > 0) flags |= ATTR.EXTENDED;
  w.u32(flags >>> 0);
  if (a.size !== undefined) w.u64(a.size);
  if (ids) w.u32(a.uid!).u32(a.gid!);
  if (a.mode !== undefined) w.u32(a.mode);
  if (times) w.u32(a.atime!).u32(a.mtime!);
  if (flags & ATTR.EXTENDED) {
    w.u32(a.extended!.length);
    for (const [type, data] of a.extended!) w.string(type).string(data);
  }
  return w;
}

/** Read an ATTRS structure. Unknown flag bits are a protocol error (the layout would be unknown). */
export function readAttrs(r: PacketReader): Attributes {
  const flags = r.u32();
  const known = ATTR.SIZE | ATTR.UIDGID | ATTR.PERMISSIONS | ATTR.ACMODTIME | ATTR.EXTENDED;
  if ((flags & ~known) >>> 0 !== 0) throw protocolError(`ATTRS with unknown flags 0x${flags.toString(16)}`);
  const a: Attributes = {};
  if (flags & ATTR.SIZE) a.size = r.u64();
  if (flags & ATTR.UIDGID) {
    a.uid = r.u32();
    a.gid = r.u32();
  }
  if (flags & ATTR.PERMISSIONS) a.mode = r.u32();
  if (flags & ATTR.ACMODTIME) {
    a.atime = r.u32();
    a.mtime = r.u32();
  }
  if (flags & ATTR.EXTENDED) {
    const n = r.u32();
    // Each pair takes at least 8 bytes: a count beyond that is a lie, not a reason to loop.
    if (n * 8 > r.remaining) throw protocolError(`ATTRS claims ${n} extended attributes in ${r.remaining} bytes`);
    a.extended = [];
    for (let i = 0; i < n; i++) a.extended.push([r.string(), r.string()]);
  }
  return a;
}
