export { hostileNames } from '../helpers/hostile-names.js';

/** The SFTP servers every test runs against: sshd's internal-sftp and OpenSSH's sftp-server program. */
export const SERVERS = [
  { name: 'internal-sftp', options: {} },
  { name: 'sftp-server', options: { serverCommand: ['/usr/lib/openssh/sftp-server'] } },
] as const;

/** sftp-server with every extension refused (and so not announced): a plain SFTP v3 server. */
export const NO_EXTENSIONS = {
  serverCommand: [
    '/usr/lib/openssh/sftp-server',
    '-P',
    'posix-rename,statvfs,fstatvfs,hardlink,fsync,lsetstat,limits,expand-path,copy-data,home-directory,users-groups-by-id',
  ],
};


/** Names that are not valid UTF-8 (only a Buffer can name them). */
export const INVALID_UTF8_NAMES = [Buffer.from([0x66, 0xff, 0xfe, 0x67]), Buffer.from([0xc3, 0x28]), Buffer.from([0x2d, 0x80, 0x0a, 0x2d])];
