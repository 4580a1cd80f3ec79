import type { Readable } from 'node:stream';
import type { ErrorDetails } from '../errors/index.js';
import { decodeOutput } from './encoding.js';

/**
 * Split a byte stream into lines (`\n` or `\r\n`, the end removed; a last line without an end
 * is yielded too) and decode each strictly. Reading happens only as fast as the loop asks, so
 * a slow consumer pauses the remote command. An error of the stream (the command failed)
 * is thrown from the loop after the lines before it.
 */
export async function* remoteLines(stream: Readable, encoding: BufferEncoding, details: ErrorDetails): AsyncGenerator<string, void, undefined> {
  const decode = (bytes: Buffer) => {
    const line = bytes.at(-1) === 0x0d ? bytes.subarray(0, -1) : bytes;
    return decodeOutput(line, Buffer.alloc(0), encoding, details).stdout as string;
  };
  let pending: Buffer[] = [];
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
        const piece = chunk.subarray(start, nl);
        const line = pending.length ? Buffer.concat([...pending, piece]) : piece;
        pending = [];
        start = nl + 1;
        yield decode(line);
      }
      if (start < chunk.length) pending.push(chunk.subarray(start));
    }
    if (pending.length) yield decode(Buffer.concat(pending));
  } finally {
    // Leaving the loop early (break, a throw in its body) stops the slave.
    if (!stream.readableEnded) stream.destroy();
  }
}
