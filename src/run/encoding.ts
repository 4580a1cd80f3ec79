import { constants, isUtf8 } from 'node:buffer';
import { EncodingError, MaxBufferError, type ErrorDetails } from '../errors/index.js';

/** Largest code unit each single-byte encoding can represent. */
const SINGLE_BYTE_MAX: Readonly<Record<string, number>> = { ascii: 0x7f, latin1: 0xff, binary: 0xff };

function canonical(encoding: string): string {
  const e = encoding.toLowerCase();
  return e === 'utf-8' ? 'utf8' : e === 'ucs2' || e === 'ucs-2' || e === 'utf-16le' ? 'utf16le' : e;
}

/**
 * Encode stdin data. Strings are encoded with `encoding` (utf8 for `'buffer'`), strictly:
 * a character the encoding cannot represent is an EncodingError, never a silent `?`.
 */
export function encodeInput(data: ReadonlyArray<string | Uint8Array>, encoding: string, details: ErrorDetails): Buffer[] {
  const enc = encoding === 'buffer' ? 'utf8' : canonical(encoding);
  const max = SINGLE_BYTE_MAX[enc];
  return data.map((item) => {
    if (typeof item !== 'string') return Buffer.from(item.buffer, item.byteOffset, item.byteLength);
    if (max !== undefined) {
      for (let i = 0; i < item.length; i++) {
        const cp = item.codePointAt(i)!;
        if (cp > max) {
          const hex = cp.toString(16).toUpperCase().padStart(4, '0');
          throw new EncodingError(encoding, `stdin data encoding failed: character U+${hex} at index ${i} cannot be encoded as ${encoding}`, details);
        }
      }
    } else if ((enc === 'utf8' || enc === 'utf16le') && !item.isWellFormed()) {
      throw new EncodingError(encoding, `stdin data encoding failed: the string has a lone surrogate and cannot be encoded as ${encoding}`, details);
    }
    return Buffer.from(item, enc as BufferEncoding);
  });
}

/** Is `buf` valid text in `encoding`? Only utf8, ascii and utf16le can be invalid. */
function valid(buf: Buffer, enc: string): boolean {
  if (enc === 'utf8') return isUtf8(buf);
  if (enc === 'ascii') return buf.every((b) => b < 0x80);
  if (enc === 'utf16le') return buf.length % 2 === 0;
  return true;
}

/**
 * How many UTF-16 code units `buf` decodes to in `enc` (a canonical name), at least, computed
 * without decoding. Exact for every encoding but utf8, where it is a lower bound (a character
 * takes at most 3 bytes per code unit). V8 cannot make a string longer than
 * `buffer.constants.MAX_STRING_LENGTH`, and asking it to decode 2 GiB or more aborts the
 * process instead of throwing: output past this bound must never reach `toString`.
 */
export function decodedLength(buf: Uint8Array, enc: string): number {
  const n = buf.length;
  switch (enc) {
    case 'utf8':
      return Math.ceil(n / 3);
    case 'utf16le':
      return n >>> 1;
    case 'hex':
      return n * 2;
    case 'base64':
      return Math.ceil(n / 3) * 4;
    case 'base64url':
      return Math.ceil((n * 4) / 3);
    default:
      return n;
  }
}

/** `buf.toString(enc)`, or a MaxBufferError (kind `string`) when the text would be too long for V8. */
function toText(buf: Buffer, enc: string, name: 'stdout' | 'stderr', details: ErrorDetails): string {
  const tooLong = () =>
    new MaxBufferError(
      name,
      'string',
      constants.MAX_STRING_LENGTH,
      `output decoding failed: ${name} (${buf.length} bytes) is too long for one JavaScript string (at most ${constants.MAX_STRING_LENGTH} characters); ` +
        `use encoding: 'buffer', stream it (pipeOut(), lines()) or write it to a file (${name}File), or set a lower maxBuffer`,
      details,
    );
  // Past the bound, never decode; below it, V8 itself says when the string is too long.
  if (decodedLength(buf, enc) > constants.MAX_STRING_LENGTH) throw tooLong();
  try {
    return buf.toString(enc as BufferEncoding);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_STRING_TOO_LONG') throw tooLong();
    throw new EncodingError(enc, `output decoding failed: ${name}: ${(err as Error).message}`, { ...details, cause: err });
  }
}

/**
 * Decode captured output. `'buffer'` returns the bytes; otherwise decoding is strict (as in
 * AsyncSSH): bytes that are not valid in the encoding raise an EncodingError that carries
 * the raw Buffers, so nothing is lost. Output too long for one JS string is a MaxBufferError
 * (kind `string`), with the raw Buffers too.
 */
export function decodeOutput(
  stdout: Buffer,
  stderr: Buffer,
  encoding: string,
  details: ErrorDetails,
): { stdout: string | Buffer; stderr: string | Buffer } {
  if (encoding === 'buffer') return { stdout, stderr };
  const enc = canonical(encoding);
  for (const [name, buf] of [['stdout', stdout], ['stderr', stderr]] as const) {
    if (!valid(buf, enc)) {
      throw new EncodingError(encoding, `output decoding failed: ${name} is not valid ${encoding} (use encoding: 'buffer' or 'latin1' for binary output)`, {
        ...details,
        stdout,
        stderr,
      });
    }
  }
  const raw = { ...details, stdout, stderr };
  return { stdout: toText(stdout, enc, 'stdout', raw), stderr: toText(stderr, enc, 'stderr', raw) };
}
