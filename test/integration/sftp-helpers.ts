import { mulberry32 } from '../helpers/prng.js';

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

/**
 * Hostile names: the transfer suite's list (test/integration/transfer.test.ts), every
 * character class a shell or a transfer tool could trip over.
 */
export function hostileNames(): string[] {
  const fixed = [
    'sp ace', '  two leading spaces', 'trailing space ', "quo'te", "''", 'dq"uote', '$HOME', '${PATH}', '$(id)', '`id`',
    'new\nline', '\nleading newline', 'tab\there', 'cr\rhere', '-leading-dash', '--double', '-', '~tilde', '~root', '~',
    'caf\u00e9', '\u65e5\u672c\u8a9e', '\u{1F600} emoji', 'colon:name', ':leading', 'host:path', 'star*', '*', 'ques?', '?',
    'br[ack]et', '[', ']', 'back\\slash', '\\', '\\*', 'a\\[b]', '{a,b}', 'semi;colon', 'amp&er', 'pi|pe', 'lt<gt>',
    'bang!', '#hash', '%percent', 'eq=ual', 'com,ma', 'pa(ren)', '^caret', '.hidden', '..dots', 'x\x01ctrl', 'del\x7f',
  ];
  const pieces = [' ', "'", '"', '$', '`', '\n', '*', '?', '[', '\\', ':', '~', '-', '\u00fc', ';', '&', '!', 'a', 'Z', '0'];
  const rnd = mulberry32(5);
  const out = new Set(fixed);
  while (out.size < 72) {
    let n = '';
    const len = 2 + Math.floor(rnd() * 8);
    for (let i = 0; i < len; i++) n += pieces[Math.floor(rnd() * pieces.length)];
    if (n !== '.' && n !== '..') out.add(n);
  }
  return [...out];
}

/** Names that are not valid UTF-8 (only a Buffer can name them). */
export const INVALID_UTF8_NAMES = [Buffer.from([0x66, 0xff, 0xfe, 0x67]), Buffer.from([0xc3, 0x28]), Buffer.from([0x2d, 0x80, 0x0a, 0x2d])];
