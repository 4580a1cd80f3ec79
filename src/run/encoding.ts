import { isUtf8 } from 'node:buffer';
import { EncodingError, type ErrorDetails } from '../errors/index.js';

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
 * Decode captured output. `'buffer'` returns the bytes; otherwise decoding is strict (as in
 * AsyncSSH): bytes that are not valid in the encoding raise an EncodingError that carries
 * the raw Buffers, so nothing is lost.
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
  return { stdout: stdout.toString(enc as BufferEncoding), stderr: stderr.toString(enc as BufferEncoding) };
}
