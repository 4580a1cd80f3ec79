import type { Readable, Writable } from 'node:stream';
import { writeAttrs, type Attributes } from './attrs.js';
import { EXT, FX, FXF, FXP } from './constants.js';
import { appendFile, readFile, writeFile, type ReadFileOptions, type WriteFileOptions } from './contents.js';
import type { SftpLimits } from './extensions.js';
import { copyFile, homeDirectory, idsToNames, statvfs } from './extension-ops.js';
import { openFlags, SftpFileHandle, toSeconds, type RequestOptions } from './file-handle.js';
import { checkDir, checkFast, downloadDir, fastGet, fastPut, uploadDir, type DirTransferOptions, type FastTransferOptions } from './bulk.js';
import type { Pipelining } from './io.js';
import { encodeExtended, encodeMkdir, encodeOneString, encodeOpen, encodeRename, encodeSetstat, encodeSymlink } from './messages.js';
import { dirnameBytes, displayPath, joinBytes, pathBytes, type SftpPath } from './paths.js';
import { statusError, unsupported, type RequestContext, type SftpSession } from './session.js';
import { SftpDirent, SftpStats, type SftpStatVfs } from './stats.js';
import { createReadStream, createWriteStream, type ReadStreamOptions, type WriteStreamOptions } from './streams.js';
import { ErrorCode, SftpError } from '../errors/index.js';

/** `encoding` of the methods that return names: `'utf8'` (default) or `'buffer'` for the raw bytes. */
export interface NameEncoding {
  encoding?: 'utf8' | 'buffer';
}

/** Options of `readdir()`. */
export interface ReaddirOptions extends RequestOptions, NameEncoding {
  /** Entries with their attributes ({@link SftpDirent}) instead of names. */
  withFileTypes?: boolean;
}

/** How the client behaves, chosen when the session starts. */
export interface SftpClientSettings extends Pipelining {
  /** READ requests fastGet, downloadDir and readFile keep in flight (`concurrency` is the WRITEs' and the streams'). */
  readConcurrency: number;
  /** Send SSH_FXP_SYMLINK in the draft's order (linkpath first) instead of OpenSSH's. */
  symlinkDraftOrder: boolean;
}

type Name<O> = O extends { encoding: 'buffer' } ? Buffer : string;

function named<O extends NameEncoding | undefined>(b: Buffer, o: O): Name<O> {
  return (o?.encoding === 'buffer' ? Buffer.from(b) : b.toString('utf8')) as Name<O>;
}

function ctxOf(operation: string, path: Buffer | undefined, o?: RequestOptions, destination?: Buffer): RequestContext {
  return { operation, path, destination, signal: o?.signal, timeout: o?.timeout };
}

/**
 * An SFTP version 3 client over one channel, with Node's `fs/promises` vocabulary. Every
 * method sends its requests at once: call many without awaiting and they are pipelined.
 * Paths are strings (sent as UTF-8) or Buffers (sent as they are). Failures are
 * {@link SftpError}s (`syscallCode` `ENOENT`, `EACCES`, `EEXIST`...). Get one from
 * `ssh.sftp()`; end it with `close()` or `await using`.
 */
export class Sftp implements AsyncDisposable {
  constructor(
    /** The request machinery (ids, pipelining, extensions). */
    readonly session: SftpSession,
    readonly settings: SftpClientSettings,
    /** The server's limits, when it tells them (limits@openssh.com). */
    readonly limits: SftpLimits | undefined,
  ) {}

  /** The extensions the server announced: name → version. */
  get extensions(): ReadonlyMap<string, string> {
    return this.session.extensions;
  }

  /** The error that ended the session (`OSSH_SFTP_CLOSED` after `close()`), if it has ended. */
  get error(): SftpError | undefined {
    return this.session.error;
  }

  /** Close the session: requests in flight are answered first. */
  close(): Promise<void> {
    return this.session.close();
  }

  /** `await using sftp = await ssh.sftp()` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---- attributes ----

  /** stat(2) on the server (follows links). */
  stat(path: SftpPath, o?: RequestOptions): Promise<SftpStats> {
    const p = pathBytes(path, 'path', 'stat');
    return (async () => {
      return new SftpStats(await this.session.attrs((id) => encodeOneString(FXP.STAT, id, p), ctxOf('stat', p, o)));
    })();
  }

  /** lstat(2) on the server (a link itself). */
  lstat(path: SftpPath, o?: RequestOptions): Promise<SftpStats> {
    const p = pathBytes(path, 'path', 'lstat');
    return (async () => {
      return new SftpStats(await this.session.attrs((id) => encodeOneString(FXP.LSTAT, id, p), ctxOf('lstat', p, o)));
    })();
  }

  /** Whether the path exists (following links): false on ENOENT; other failures throw. */
  exists(path: SftpPath, o?: RequestOptions): Promise<boolean> {
    return this.stat(path, o).then(
      () => true,
      (e: unknown) => {
        if (e instanceof SftpError && e.status === FX.NO_SUCH_FILE) return false;
        throw e;
      },
    );
  }

  /** SSH_FXP_SETSTAT with raw attributes (`lsetstat@openssh.com` with `{ noFollow: true }`). */
  setAttributes(path: SftpPath, attrs: Attributes, o?: RequestOptions & { noFollow?: boolean }): Promise<void> {
    const p = pathBytes(path, 'path', 'setAttributes');
    return (async () => {
      if (o?.noFollow) {
        if (!this.session.has(EXT.LSETSTAT)) throw unsupported('lsetstat', EXT.LSETSTAT, p);
        return this.session.status((id) => encodeExtended(id, EXT.LSETSTAT, (w) => writeAttrs(w.string(p), attrs)), ctxOf('lsetstat', p, o));
      }
      return this.session.status((id) => encodeSetstat(FXP.SETSTAT, id, p, attrs), ctxOf('setstat', p, o));
    })();
  }

  /** Set the permission bits. */
  chmod(path: SftpPath, mode: number, o?: RequestOptions): Promise<void> {
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new TypeError(`argument 'mode' of chmod() must be an integer from 0 to 0o7777, received ${String(mode)}`);
    return this.setAttributes(path, { mode }, o);
  }

  /** Set the owner and group (numeric ids). */
  chown(path: SftpPath, uid: number, gid: number, o?: RequestOptions): Promise<void> {
    for (const [k, v] of [['uid', uid], ['gid', gid]] as const) {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new TypeError(`argument '${k}' of chown() must be an integer from 0 to 2^32 - 1, received ${String(v)}`);
    }
    return this.setAttributes(path, { uid, gid }, o);
  }

  /** Set the access and modification times (Dates, or seconds since the epoch as in Node). */
  utimes(path: SftpPath, atime: Date | number, mtime: Date | number, o?: RequestOptions): Promise<void> {
    return this.setAttributes(path, { atime: toSeconds(atime), mtime: toSeconds(mtime) }, o);
  }

  /** Like `utimes()` on a symbolic link itself (lsetstat@openssh.com). */
  lutimes(path: SftpPath, atime: Date | number, mtime: Date | number, o?: RequestOptions): Promise<void> {
    return this.setAttributes(path, { atime: toSeconds(atime), mtime: toSeconds(mtime) }, { ...o, noFollow: true });
  }

  /** Set the size of a file. */
  truncate(path: SftpPath, len = 0, o?: RequestOptions): Promise<void> {
    return this.setAttributes(path, { size: len }, o);
  }

  // ---- directories ----

  /**
   * The names in a directory (without `.` and `..`), in the server's order; with
   * `withFileTypes`, {@link SftpDirent}s carrying the attributes; with `encoding: 'buffer'`,
   * names as Buffers (for names that are not UTF-8).
   */
  readdir<O extends ReaddirOptions | undefined = undefined>(path: SftpPath, o?: O): Promise<O extends { withFileTypes: true } ? Array<SftpDirent<Name<O>>> : Array<Name<O>>> {
    const p = pathBytes(path, 'path', 'readdir');
    return (async () => {
      const ctx = ctxOf('readdir', p, o);
      const handle = await this.session.handle((id) => encodeOneString(FXP.OPENDIR, id, p), { ...ctx, operation: 'opendir' });
      const out: unknown[] = [];
      try {
        for (;;) {
          const entries = await this.session.names((id) => encodeOneString(FXP.READDIR, id, handle), ctx);
          if (entries === null) break;
          for (const e of entries) {
            if (e.filename.length <= 2 && (e.filename.equals(DOT) || e.filename.equals(DOTDOT))) continue;
            const name = named(e.filename, o);
            out.push(o?.withFileTypes ? new SftpDirent(name, displayPath(p), new SftpStats(e.attrs), e.longname.toString('utf8')) : name);
          }
        }
      } finally {
        await this.session.status((id) => encodeOneString(FXP.CLOSE, id, handle), { ...ctx, operation: 'close' }).catch(() => {});
      }
      return out as never;
    })();
  }

  /**
   * Make a directory (`mode` default 0o777, less the server's umask). `recursive`: make the
   * missing parents too, and succeed when it exists already. An existing path is `EEXIST`.
   */
  mkdir(path: SftpPath, o?: RequestOptions & { recursive?: boolean; mode?: number }): Promise<void> {
    const p = pathBytes(path, 'path', 'mkdir');
    const attrs: Attributes = o?.mode === undefined ? {} : { mode: o.mode };
    return (async () => {
      const once = async (q: Buffer): Promise<void> => {
        try {
          await this.session.status((id) => encodeMkdir(id, q, attrs), ctxOf('mkdir', q, o));
        } catch (e) {
          throw await this.#refine(e, q, o);
        }
      };
      if (!o?.recursive) return once(p);
      const make = async (q: Buffer): Promise<void> => {
        try {
          await once(q);
        } catch (e) {
          if (e instanceof SftpError && e.syscallCode === 'EEXIST' && (await this.stat(q, o)).isDirectory()) return;
          if (!(e instanceof SftpError && e.syscallCode === 'ENOENT')) throw e;
          const parent = dirnameBytes(q);
          if (parent.equals(q)) throw e;
          await make(parent);
          try {
            await once(q);
          } catch (again) {
            if (!(again instanceof SftpError && again.syscallCode === 'EEXIST')) throw again;
          }
        }
      };
      return make(p);
    })();
  }

  /** A FAILURE status where the path exists means EEXIST (SFTP v3 has no status for it). */
  async #refine(e: unknown, path: Buffer, o?: RequestOptions): Promise<unknown> {
    if (!(e instanceof SftpError) || e.status !== FX.FAILURE) return e;
    const there = await this.lstat(path, o).then(() => true, () => false);
    if (!there) return e;
    const ctx = { operation: e.operation ?? 'mkdir', path, destination: e.destination === undefined ? undefined : Buffer.from(e.destination) };
    return statusError(ctx, FX.FAILURE, e.serverMessage ?? '', 'EEXIST');
  }

  /** Remove an empty directory. A directory that is not empty is `ENOTEMPTY`. */
  rmdir(path: SftpPath, o?: RequestOptions): Promise<void> {
    const p = pathBytes(path, 'path', 'rmdir');
    return (async () => {
      const ctx = ctxOf('rmdir', p, o);
      try {
        await this.session.status((id) => encodeOneString(FXP.RMDIR, id, p), ctx);
      } catch (e) {
        if (e instanceof SftpError && e.status === FX.FAILURE && (await this.lstat(p, o).then((s) => s.isDirectory(), () => false))) {
          throw statusError(ctx, FX.FAILURE, e.serverMessage ?? '', 'ENOTEMPTY');
        }
        throw e;
      }
    })();
  }

  /** Remove a file or link (not a directory). */
  unlink(path: SftpPath, o?: RequestOptions): Promise<void> {
    const p = pathBytes(path, 'path', 'unlink');
    return this.session.status((id) => encodeOneString(FXP.REMOVE, id, p), ctxOf('unlink', p, o));
  }

  /**
   * Remove a file; with `recursive`, a directory and everything in it (links are removed,
   * never followed); with `force`, a missing path is no error.
   */
  rm(path: SftpPath, o?: RequestOptions & { recursive?: boolean; force?: boolean }): Promise<void> {
    const p = pathBytes(path, 'path', 'rm');
    return (async () => {
      try {
        const st = o?.recursive ? await this.lstat(p, o) : undefined;
        if (st?.isDirectory()) {
          const names = await this.readdir(p, { ...o, encoding: 'buffer' });
          await Promise.all(names.map((n) => this.rm(joinBytes(p, n), { ...o, force: false })));
          await this.rmdir(p, o);
        } else await this.unlink(p, o);
      } catch (e) {
        if (o?.force && e instanceof SftpError && e.syscallCode === 'ENOENT') return;
        throw e;
      }
    })();
  }

  // ---- names ----

  /**
   * Rename. With posix-rename@openssh.com (when offered) an existing `newPath` is replaced,
   * as rename(2) does; `overwrite: false` uses the standard request, which fails (`EEXIST`)
   * when `newPath` exists; `overwrite: true` insists on replacing (OSSH_SFTP_UNSUPPORTED
   * without the extension).
   */
  rename(oldPath: SftpPath, newPath: SftpPath, o?: RequestOptions & { overwrite?: boolean }): Promise<void> {
    const a = pathBytes(oldPath, 'oldPath', 'rename');
    const b = pathBytes(newPath, 'newPath', 'rename');
    return (async () => {
      const posix = o?.overwrite !== false && this.session.has(EXT.POSIX_RENAME);
      if (o?.overwrite === true && !posix) throw unsupported('rename', EXT.POSIX_RENAME, a);
      if (posix) {
        return this.session.status((id) => encodeExtended(id, EXT.POSIX_RENAME, (w) => w.string(a).string(b)), ctxOf('rename', a, o, b));
      }
      try {
        await this.session.status((id) => encodeRename(id, a, b), ctxOf('rename', a, o, b));
      } catch (e) {
        if (e instanceof SftpError && e.status === FX.FAILURE && (await this.lstat(b, o).then(() => true, () => false))) {
          throw statusError(ctxOf('rename', a, o, b), FX.FAILURE, e.serverMessage ?? '', 'EEXIST');
        }
        throw e;
      }
    })();
  }

  /** Make `path` a symbolic link to `target` (Node's argument order; sent in OpenSSH's). */
  symlink(target: SftpPath, path: SftpPath, o?: RequestOptions): Promise<void> {
    const t = pathBytes(target, 'target', 'symlink');
    const p = pathBytes(path, 'path', 'symlink');
    return (async () => {
      try {
        await this.session.status((id) => encodeSymlink(id, t, p, this.settings.symlinkDraftOrder), ctxOf('symlink', p, o, t));
      } catch (e) {
        throw await this.#refine(e, p, o);
      }
    })();
  }

  /** Make `newPath` a hard link to `existingPath` (hardlink@openssh.com). */
  link(existingPath: SftpPath, newPath: SftpPath, o?: RequestOptions): Promise<void> {
    const a = pathBytes(existingPath, 'existingPath', 'link');
    const b = pathBytes(newPath, 'newPath', 'link');
    return (async () => {
      if (!this.session.has(EXT.HARDLINK)) throw unsupported('link', EXT.HARDLINK, a);
      try {
        await this.session.status((id) => encodeExtended(id, EXT.HARDLINK, (w) => w.string(a).string(b)), ctxOf('link', a, o, b));
      } catch (e) {
        if (e instanceof SftpError && e.status === FX.FAILURE && (await this.lstat(b, o).then(() => true, () => false))) {
          throw statusError(ctxOf('link', a, o, b), FX.FAILURE, e.serverMessage ?? '', 'EEXIST');
        }
        throw e;
      }
    })();
  }

  /** Alias of {@link Sftp.link} (Net::SFTP::Foreign's name). */
  hardlink(existingPath: SftpPath, newPath: SftpPath, o?: RequestOptions): Promise<void> {
    return this.link(existingPath, newPath, o);
  }

  /** The target of a symbolic link. */
  readlink<O extends (RequestOptions & NameEncoding) | undefined = undefined>(path: SftpPath, o?: O): Promise<Name<O>> {
    const p = pathBytes(path, 'path', 'readlink');
    return (async () => {
      return named(await this.#oneName(FXP.READLINK, p, ctxOf('readlink', p, o)), o) as Name<O>;
    })();
  }

  /** The canonical absolute path (`.` is the login directory). */
  realpath<O extends (RequestOptions & NameEncoding) | undefined = undefined>(path: SftpPath = '.', o?: O): Promise<Name<O>> {
    const p = pathBytes(path, 'path', 'realpath');
    return (async () => {
      return named(await this.#oneName(FXP.REALPATH, p, ctxOf('realpath', p, o)), o) as Name<O>;
    })();
  }

  async #oneName(type: typeof FXP.READLINK | typeof FXP.REALPATH, p: Buffer, ctx: RequestContext, ext?: string): Promise<Buffer> {
    const build = ext ? (id: number) => encodeExtended(id, ext, (w) => w.string(p)) : (id: number) => encodeOneString(type, id, p);
    const entries = await this.session.names(build, ctx);
    if (!entries || entries.length !== 1) {
      throw new SftpError(ErrorCode.SFTP_PROTOCOL, `SFTP protocol error: ${ctx.operation} expects one name, the server sent ${entries?.length ?? 0}`, { operation: ctx.operation, path: displayPath(p) });
    }
    return entries[0]!.filename;
  }

  /** `~`, `~/x`, `~user/x` and relative paths made absolute by the server (expand-path@openssh.com). */
  expandPath<O extends (RequestOptions & NameEncoding) | undefined = undefined>(path: SftpPath, o?: O): Promise<Name<O>> {
    const p = pathBytes(path, 'path', 'expandPath');
    return (async () => {
      if (!this.session.has(EXT.EXPAND_PATH)) throw unsupported('expandPath', EXT.EXPAND_PATH, p);
      return named(await this.#oneName(FXP.REALPATH, p, ctxOf('expandPath', p, o), EXT.EXPAND_PATH), o) as Name<O>;
    })();
  }

  /** A user's home directory (the session's user when `user` is empty) (home-directory). */
  homeDirectory(user = '', o?: RequestOptions): Promise<string> {
    return homeDirectory(this, user, o);
  }

  /** User and group names of numeric ids ('' when unknown) (users-groups-by-id@openssh.com). */
  idsToNames(uids: readonly number[], gids: readonly number[], o?: RequestOptions): Promise<{ users: string[]; groups: string[] }> {
    return idsToNames(this, uids, gids, o);
  }

  /** statvfs(2) of the file system holding `path` (statvfs@openssh.com). */
  statvfs(path: SftpPath, o?: RequestOptions): Promise<SftpStatVfs> {
    return statvfs(this, pathBytes(path, 'path', 'statvfs'), o);
  }

  // ---- files ----

  /**
   * Open a file: `flags` as Node's (`'r'` default, `'w'`, `'wx'`, `'a'`, `'r+'`...), `mode`
   * for a file it creates (default 0o666, less the server's umask).
   */
  open(path: SftpPath, flags: string | number = 'r', mode?: number, o?: RequestOptions): Promise<SftpFileHandle> {
    const p = pathBytes(path, 'path', 'open');
    const bits = openFlags(flags, 'open');
    const attrs: Attributes = mode === undefined ? {} : { mode };
    return (async () => {
      try {
        const handle = await this.session.handle((id) => encodeOpen(id, p, bits, attrs), ctxOf('open', p, o));
        return new SftpFileHandle(this.session, handle, p);
      } catch (e) {
        throw bits & FXF.EXCL ? await this.#refine(e, p, o) : e;
      }
    })();
  }

  /**
   * Copy a remote file to another remote path on the server itself (copy-data), without the
   * data crossing the network. The copy gets the source's permission bits. `overwrite:
   * false` fails with `EEXIST` when `dest` exists.
   */
  copyFile(src: SftpPath, dest: SftpPath, o?: RequestOptions & { overwrite?: boolean }): Promise<void> {
    return copyFile(this, pathBytes(src, 'src', 'copyFile'), pathBytes(dest, 'dest', 'copyFile'), o);
  }

  /** A whole file (a Buffer, or a string with `encoding`), read with many requests in flight. */
  readFile(path: SftpPath, o?: ReadFileOptions & { encoding?: undefined }): Promise<Buffer>;
  readFile(path: SftpPath, o: ReadFileOptions & { encoding: BufferEncoding }): Promise<string>;
  readFile(path: SftpPath, o?: ReadFileOptions): Promise<Buffer | string> {
    return readFile(this, pathBytes(path, 'path', 'readFile'), o);
  }

  /**
   * Write a whole file (created or truncated). `atomic: true` writes a temporary file next to
   * it, then renames it over `path` (posix-rename@openssh.com), so readers never see half of it.
   */
  writeFile(path: SftpPath, data: string | Uint8Array, o?: WriteFileOptions): Promise<void> {
    return writeFile(this, pathBytes(path, 'path', 'writeFile'), data, o);
  }

  /** Append to a file (created if missing). */
  appendFile(path: SftpPath, data: string | Uint8Array, o?: Omit<WriteFileOptions, 'atomic' | 'flags'>): Promise<void> {
    return appendFile(this, pathBytes(path, 'path', 'appendFile'), data, o);
  }

  /** A Readable of a remote file, `start` to `end` inclusive (as Node's), several reads in flight. */
  createReadStream(path: SftpPath, o?: ReadStreamOptions): Readable {
    return createReadStream(this, pathBytes(path, 'path', 'createReadStream'), o);
  }

  /** A Writable to a remote file (`flags` default `'w'`, `start` offset), with backpressure. */
  createWriteStream(path: SftpPath, o?: WriteStreamOptions): Writable {
    return createWriteStream(this, pathBytes(path, 'path', 'createWriteStream'), o);
  }

  // ---- bulk ----

  /** Download a remote file to a local path with many requests in flight. */
  fastGet(remotePath: SftpPath, localPath: string | Buffer, o?: FastTransferOptions): Promise<void> {
    return fastGet(this, pathBytes(remotePath, 'remotePath', 'fastGet'), localPath, o, checkFast(this, 'fastGet', o, true));
  }

  /** Upload a local file to a remote path with many requests in flight. */
  fastPut(localPath: string | Buffer, remotePath: SftpPath, o?: FastTransferOptions): Promise<void> {
    return fastPut(this, localPath, pathBytes(remotePath, 'remotePath', 'fastPut'), o, checkFast(this, 'fastPut', o, false));
  }

  /** Download a remote directory tree (files, directories, links) into a local directory. */
  downloadDir(remoteDir: SftpPath, localDir: string | Buffer, o?: DirTransferOptions): Promise<void> {
    return downloadDir(this, pathBytes(remoteDir, 'remoteDir', 'downloadDir'), localDir, o, checkDir(this, 'downloadDir', o, true));
  }

  /** Upload a local directory tree into a remote directory. */
  uploadDir(localDir: string | Buffer, remoteDir: SftpPath, o?: DirTransferOptions): Promise<void> {
    return uploadDir(this, localDir, pathBytes(remoteDir, 'remoteDir', 'uploadDir'), o, checkDir(this, 'uploadDir', o, false));
  }
}

const DOT = Buffer.from('.');
const DOTDOT = Buffer.from('..');

