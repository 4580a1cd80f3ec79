import { ErrorCode, SftpError } from '../errors/index.js';
import type { Sftp } from './client.js';
import { EXT } from './constants.js';
import { decodeStatVfs, decodeUsersGroups } from './extensions.js';
import type { RequestOptions } from './file-handle.js';
import { encodeExtended } from './messages.js';
import { unsupported, type RequestContext } from './session.js';
import type { SftpStatVfs } from './stats.js';

/** The methods of `Sftp` that are OpenSSH extensions and nothing else. */

function ctx(operation: string, path: Buffer | undefined, o?: RequestOptions, destination?: Buffer): RequestContext {
  return { operation, path, destination, signal: o?.signal, timeout: o?.timeout };
}

/** home-directory. */
export async function homeDirectory(sftp: Sftp, user: string, o?: RequestOptions): Promise<string> {
  if (!sftp.session.has(EXT.HOME_DIRECTORY)) throw unsupported('homeDirectory', EXT.HOME_DIRECTORY);
  const entries = await sftp.session.names((id) => encodeExtended(id, EXT.HOME_DIRECTORY, (w) => w.string(user)), ctx('homeDirectory', undefined, o));
  if (!entries || entries.length !== 1) throw new SftpError(ErrorCode.SFTP_PROTOCOL, 'SFTP protocol error: home-directory expects one name', { operation: 'homeDirectory' });
  return entries[0]!.filename.toString('utf8');
}

/** users-groups-by-id@openssh.com. */
export async function idsToNames(sftp: Sftp, uids: readonly number[], gids: readonly number[], o?: RequestOptions): Promise<{ users: string[]; groups: string[] }> {
  if (!sftp.session.has(EXT.USERS_GROUPS_BY_ID)) throw unsupported('idsToNames', EXT.USERS_GROUPS_BY_ID);
  const list = (ids: readonly number[]) => {
    const b = Buffer.alloc(ids.length * 4);
    ids.forEach((v, i) => b.writeUInt32BE(v, i * 4));
    return b;
  };
  const data = await sftp.session.extended((id) => encodeExtended(id, EXT.USERS_GROUPS_BY_ID, (w) => w.string(list(uids)).string(list(gids))), ctx('idsToNames', undefined, o));
  return decodeUsersGroups(data);
}

/** statvfs@openssh.com. */
export async function statvfs(sftp: Sftp, p: Buffer, o?: RequestOptions): Promise<SftpStatVfs> {
  if (!sftp.session.has(EXT.STATVFS)) throw unsupported('statvfs', EXT.STATVFS, p);
  return decodeStatVfs(await sftp.session.extended((id) => encodeExtended(id, EXT.STATVFS, (w) => w.string(p)), ctx('statvfs', p, o)));
}

/** copy-data between two handles the function opens (and closes). */
export async function copyFile(sftp: Sftp, a: Buffer, b: Buffer, o?: RequestOptions & { overwrite?: boolean }): Promise<void> {
  if (!sftp.session.has(EXT.COPY_DATA)) throw unsupported('copyFile', EXT.COPY_DATA, a);
  await using from = await sftp.open(a, 'r', undefined, o);
  const st = await from.stat(o);
  await using to = await sftp.open(b, o?.overwrite === false ? 'wx' : 'w', (st.mode ?? 0o644) & 0o7777, o);
  await sftp.session.status((id) => encodeExtended(id, EXT.COPY_DATA, (w) => w.string(from.handle).u64(0).u64(0).string(to.handle).u64(0)), ctx('copyFile', a, o, b));
}
