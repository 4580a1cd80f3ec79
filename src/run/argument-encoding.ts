import type { Quoter } from '../quote/types.js';
import { badOption } from '../options/validate.js';

/**
 * `argumentEncoding` (Net::OpenSSH's `argument_encoding` / `default_argument_encoding`): the
 * bytes the remote side gets for the command's characters. `'utf8'` (the default) or a
 * single-byte encoding, `'latin1'` or `'ascii'`.
 */
export type ArgumentEncoding = 'utf8' | 'latin1' | 'ascii';

const NAMES: Readonly<Record<string, ArgumentEncoding>> = { utf8: 'utf8', 'utf-8': 'utf8', latin1: 'latin1', binary: 'latin1', 'iso-8859-1': 'latin1', ascii: 'ascii' };

/** Validate `argumentEncoding` (case-insensitive names; `binary` and `iso-8859-1` mean latin1). */
export function optArgumentEncoding(value: unknown): ArgumentEncoding | undefined {
  if (value === undefined) return undefined;
  const e = typeof value === 'string' ? NAMES[value.toLowerCase()] : undefined;
  if (!e) badOption('argumentEncoding', "'utf8', 'latin1' or 'ascii'", value);
  return e;
}

/** The printf format (in single quotes) that prints `bytes`: safe printable ASCII kept, the rest as octal escapes. */
function printfFormat(bytes: Buffer): string {
  let f = '';
  for (const b of bytes) {
    const safe = b >= 0x20 && b < 0x7f && b !== 0x5c && b !== 0x25 && b !== 0x27;
    f += safe ? String.fromCharCode(b) : `\\${b.toString(8).padStart(3, '0')}`;
  }
  return f;
}

/**
 * The remote command with its characters sent as bytes of `encoding`. Node passes every
 * argv word to ssh as UTF-8, so other bytes cannot travel as they are: a command with
 * characters beyond ASCII is sent as `eval "$(printf '...')"`, the POSIX shell rebuilding
 * the exact bytes (octal escapes) and running them. Pure ASCII is sent unchanged.
 * A character the encoding cannot represent, or a non-POSIX remote shell, is a TypeError.
 */
export function encodeCommand(command: string, encoding: ArgumentEncoding | undefined, quoter: Quoter): string {
  if (encoding === undefined || encoding === 'utf8') return command;
  const max = encoding === 'ascii' ? 0x7f : 0xff;
  let ascii = true;
  for (let i = 0; i < command.length; i++) {
    const c = command.charCodeAt(i);
    if (c > max) {
      const cp = command.codePointAt(i)!;
      throw new TypeError(
        `option 'argumentEncoding' is '${encoding}', but the command has the character U+${cp.toString(16).toUpperCase().padStart(4, '0')} at index ${i}, which ${encoding} cannot encode`,
      );
    }
    if (c > 0x7f) ascii = false;
  }
  if (ascii) return command;
  if (quoter.name !== 'POSIX') {
    throw new TypeError(
      `option 'argumentEncoding: '${encoding}'' needs a POSIX remote shell for a command with characters beyond ASCII (the bytes are rebuilt remotely with printf); remoteShell is '${quoter.name}'`,
    );
  }
  return `eval "$(printf '${printfFormat(Buffer.from(command, 'latin1'))}')"`;
}
