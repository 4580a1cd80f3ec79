/**
 * SFTP version 3 numbers (draft-ietf-secsh-filexfer-02, OpenSSH's sftp.h) and the names of
 * OpenSSH's extensions (its PROTOCOL file, section 4).
 */

/** Packet types (`SSH_FXP_*`). */
export const FXP = {
  INIT: 1,
  VERSION: 2,
  OPEN: 3,
  CLOSE: 4,
  READ: 5,
  WRITE: 6,
  LSTAT: 7,
  FSTAT: 8,
  SETSTAT: 9,
  FSETSTAT: 10,
  OPENDIR: 11,
  READDIR: 12,
  REMOVE: 13,
  MKDIR: 14,
  RMDIR: 15,
  REALPATH: 16,
  STAT: 17,
  RENAME: 18,
  READLINK: 19,
  SYMLINK: 20,
  STATUS: 101,
  HANDLE: 102,
  DATA: 103,
  NAME: 104,
  ATTRS: 105,
  EXTENDED: 200,
  EXTENDED_REPLY: 201,
} as const;

/** Status codes (`SSH_FX_*`). */
export const FX = {
  OK: 0,
  EOF: 1,
  NO_SUCH_FILE: 2,
  PERMISSION_DENIED: 3,
  FAILURE: 4,
  BAD_MESSAGE: 5,
  NO_CONNECTION: 6,
  CONNECTION_LOST: 7,
  OP_UNSUPPORTED: 8,
} as const;

/** Status number → name, for messages and `SftpError.statusName`. */
export const STATUS_NAMES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(FX).map(([k, v]) => [v, k]));

/** Status number → the Node-style error code it stands for. */
export const STATUS_SYSCALL_CODES: Readonly<Record<number, string>> = {
  [FX.EOF]: 'EOF',
  [FX.NO_SUCH_FILE]: 'ENOENT',
  [FX.PERMISSION_DENIED]: 'EACCES',
  [FX.FAILURE]: 'EIO',
  [FX.BAD_MESSAGE]: 'EINVAL',
  [FX.NO_CONNECTION]: 'ENOTCONN',
  [FX.CONNECTION_LOST]: 'ECONNRESET',
  [FX.OP_UNSUPPORTED]: 'ENOTSUP',
};

/** ATTRS flags (`SSH_FILEXFER_ATTR_*`). */
export const ATTR = {
  SIZE: 0x1,
  UIDGID: 0x2,
  PERMISSIONS: 0x4,
  ACMODTIME: 0x8,
  EXTENDED: 0x80000000,
} as const;

/** Open flags (`SSH_FXF_*`). */
export const FXF = {
  READ: 0x1,
  WRITE: 0x2,
  APPEND: 0x4,
  CREAT: 0x8,
  TRUNC: 0x10,
  EXCL: 0x20,
} as const;

/** The protocol version this client speaks. */
export const SFTP_VERSION = 3;

/** OpenSSH's extension names, as advertised in SSH_FXP_VERSION. */
export const EXT = {
  POSIX_RENAME: 'posix-rename@openssh.com',
  STATVFS: 'statvfs@openssh.com',
  FSTATVFS: 'fstatvfs@openssh.com',
  HARDLINK: 'hardlink@openssh.com',
  FSYNC: 'fsync@openssh.com',
  LSETSTAT: 'lsetstat@openssh.com',
  LIMITS: 'limits@openssh.com',
  EXPAND_PATH: 'expand-path@openssh.com',
  COPY_DATA: 'copy-data',
  HOME_DIRECTORY: 'home-directory',
  USERS_GROUPS_BY_ID: 'users-groups-by-id@openssh.com',
} as const;

/** File type bits of a mode (`S_IFMT` and its values). */
export const S_IF = {
  MT: 0o170000,
  SOCK: 0o140000,
  LNK: 0o120000,
  REG: 0o100000,
  BLK: 0o060000,
  DIR: 0o040000,
  CHR: 0o020000,
  IFO: 0o010000,
} as const;
