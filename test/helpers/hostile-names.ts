import { mulberry32 } from './prng.js';

/**
 * Hostile file names (72, deterministic): every character class a shell, a transfer tool or
 * an SFTP server could trip over. Shared by the transfer and SFTP suites.
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
