import type { Attributes } from './attrs.js';
import { S_IF } from './constants.js';

/**
 * A remote file's attributes in the shape of Node's `fs.Stats`: `isFile()`,
 * `isDirectory()`, `isSymbolicLink()`..., `size`, `mode`, `uid`, `gid`, `atime`/`mtime` as
 * Dates and `atimeMs`/`mtimeMs`. SFTP v3 has no other fields. A field the server did not
 * send is `undefined` (OpenSSH always sends all of them); `attributes` is the raw structure.
 */
export class SftpStats {
  /** File type and permission bits (`st_mode`). */
  readonly mode: number | undefined;
  readonly size: number | undefined;
  readonly uid: number | undefined;
  readonly gid: number | undefined;
  readonly atimeMs: number | undefined;
  readonly mtimeMs: number | undefined;
  readonly atime: Date | undefined;
  readonly mtime: Date | undefined;
  /** The ATTRS structure as received. */
  readonly attributes: Attributes;

  constructor(a: Attributes) {
    this.attributes = a;
    this.mode = a.mode;
    this.size = a.size;
    this.uid = a.uid;
    this.gid = a.gid;
    this.atimeMs = a.atime === undefined ? undefined : a.atime * 1000;
    this.mtimeMs = a.mtime === undefined ? undefined : a.mtime * 1000;
    this.atime = this.atimeMs === undefined ? undefined : new Date(this.atimeMs);
    this.mtime = this.mtimeMs === undefined ? undefined : new Date(this.mtimeMs);
  }

  /** The permission bits alone (`mode & 0o7777`). */
  get permissions(): number | undefined {
    return this.mode === undefined ? undefined : this.mode & 0o7777;
  }

  #type(t: number): boolean {
    return this.mode !== undefined && (this.mode & S_IF.MT) === t;
  }

  isFile(): boolean {
    return this.#type(S_IF.REG);
  }
  isDirectory(): boolean {
    return this.#type(S_IF.DIR);
  }
  isSymbolicLink(): boolean {
    return this.#type(S_IF.LNK);
  }
  isFIFO(): boolean {
    return this.#type(S_IF.IFO);
  }
  isSocket(): boolean {
    return this.#type(S_IF.SOCK);
  }
  isBlockDevice(): boolean {
    return this.#type(S_IF.BLK);
  }
  isCharacterDevice(): boolean {
    return this.#type(S_IF.CHR);
  }
}

/** One entry of `readdir(path, { withFileTypes: true })`, like Node's `fs.Dirent`, with the attributes. */
export class SftpDirent<N extends string | Buffer = string> {
  constructor(
    /** The entry's name (a Buffer with `encoding: 'buffer'`). */
    readonly name: N,
    /** The directory listed, as given. */
    readonly parentPath: string | Buffer,
    /** The attributes the server sent with the name (those of the entry itself, not of a link's target). */
    readonly stats: SftpStats,
    /** The server's `ls -l`-style line. */
    readonly longname: string,
  ) {}

  isFile(): boolean {
    return this.stats.isFile();
  }
  isDirectory(): boolean {
    return this.stats.isDirectory();
  }
  isSymbolicLink(): boolean {
    return this.stats.isSymbolicLink();
  }
  isFIFO(): boolean {
    return this.stats.isFIFO();
  }
  isSocket(): boolean {
    return this.stats.isSocket();
  }
  isBlockDevice(): boolean {
    return this.stats.isBlockDevice();
  }
  isCharacterDevice(): boolean {
    return this.stats.isCharacterDevice();
  }
}

/** What `statvfs()` resolves with (statvfs@openssh.com), like Node's `fs.StatFs` plus the POSIX fields. */
export interface SftpStatVfs {
  /** File system block size. */
  bsize: number;
  /** Fundamental block size (the unit of `blocks`, `bfree`, `bavail`). */
  frsize: number;
  blocks: number;
  bfree: number;
  /** Free blocks for unprivileged users. */
  bavail: number;
  files: number;
  ffree: number;
  favail: number;
  /** File system id (64 bits). */
  fsid: bigint;
  /** `ST_RDONLY` (1), `ST_NOSUID` (2). */
  flag: number;
  namemax: number;
  /** `flag & 1`. */
  readonly: boolean;
  /** `flag & 2`. */
  nosuid: boolean;
}
