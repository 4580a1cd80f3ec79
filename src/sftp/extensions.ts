import { PacketReader, protocolError } from './packet.js';
import type { SftpStatVfs } from './stats.js';

/** The reply of statvfs@openssh.com / fstatvfs@openssh.com: eleven uint64s. */
export function decodeStatVfs(data: Buffer): SftpStatVfs {
  const r = new PacketReader(data);
  const n = () => r.u64();
  const v = { bsize: n(), frsize: n(), blocks: n(), bfree: n(), bavail: n(), files: n(), ffree: n(), favail: n(), fsid: r.u64Big(), flag: n(), namemax: n() };
  if (r.remaining > 0) throw protocolError(`${r.remaining} unexpected bytes after a statvfs reply`);
  return { ...v, readonly: (v.flag & 1) !== 0, nosuid: (v.flag & 2) !== 0 };
}

/** The server's limits (limits@openssh.com); 0 means no set limit. */
export interface SftpLimits {
  maxPacketLength: number;
  maxReadLength: number;
  maxWriteLength: number;
  maxOpenHandles: number;
}

/** The reply of limits@openssh.com: four uint64s. */
export function decodeLimits(data: Buffer): SftpLimits {
  const r = new PacketReader(data);
  const v = { maxPacketLength: r.u64(), maxReadLength: r.u64(), maxWriteLength: r.u64(), maxOpenHandles: r.u64() };
  if (r.remaining > 0) throw protocolError(`${r.remaining} unexpected bytes after a limits reply`);
  return v;
}

/** The reply of users-groups-by-id@openssh.com: two strings, each a list of strings. */
export function decodeUsersGroups(data: Buffer): { users: string[]; groups: string[] } {
  const r = new PacketReader(data);
  const list = (b: Buffer) => {
    const inner = new PacketReader(b);
    const out: string[] = [];
    while (inner.remaining > 0) out.push(inner.text());
    return out;
  };
  const users = list(r.string());
  const groups = list(r.string());
  if (r.remaining > 0) throw protocolError(`${r.remaining} unexpected bytes after a users-groups-by-id reply`);
  return { users, groups };
}
