import { MaxBufferError, type ErrorDetails } from '../errors/index.js';
import { Collector } from './collect.js';
import { decodeOutput } from './encoding.js';

/**
 * Split a byte stream into lines (`\n` or `\r\n`, the end removed; a last line without an end
 * is yielded too) and decode each strictly. Reading happens only as fast as the loop asks, so
 * a slow consumer pauses the remote command. An error of the stream (the command failed)
 * is thrown from the loop after the lines before it. A line longer than `maxBuffer` bytes
 * (one that never ends) is a MaxBufferError carrying its first `maxBuffer` bytes, and the
 * slave is stopped. `details` is read when an error is made (the caller may fill in `argv`).
 */
export async function* remoteLines(
  stream: AsyncIterable<Buffer> & { readonly readableEnded: boolean; destroy(): void },
  encoding: BufferEncoding,
  details: ErrorDetails,
  maxBuffer = Number.POSITIVE_INFINITY,
): AsyncGenerator<string, void, undefined> {
  const decode = (bytes: Buffer) => {
    const line = bytes.at(-1) === 0x0d ? bytes.subarray(0, -1) : bytes;
    return decodeOutput(line, Buffer.alloc(0), encoding, details).stdout as string;
  };
  let pending = new Collector(maxBuffer);
  const tooLong = () => {
    const kept = pending.bytes();
    let stdout: string | Buffer = kept;
    try {
      stdout = decode(kept);
    } catch {
      // not valid text once cut: keep the bytes
    }
    return new MaxBufferError(
      'stdout',
      'maxBuffer',
      pending.limit,
      `a line of stdout went past maxBuffer (${pending.limit} bytes) without ending; the slave was stopped. Raise maxBuffer, or read the output as a stream (pipeOut())`,
      { ...details, stdout },
    );
  };
  try {
    for await (const chunk of stream) {
      let start = 0;
      for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
        const piece = chunk.subarray(start, nl);
        start = nl + 1;
        if (pending.size === 0) {
          if (piece.length > pending.limit) {
            pending.push(piece);
            throw tooLong();
          }
          yield decode(piece);
          continue;
        }
        if (pending.push(piece)) throw tooLong();
        const line = pending.bytes();
        pending = new Collector(maxBuffer);
        yield decode(line);
      }
      if (start < chunk.length && pending.push(chunk.subarray(start))) throw tooLong();
    }
    if (pending.size > 0) yield decode(pending.bytes());
  } finally {
    // Leaving the loop early (break, a throw in its body, a line too long) stops the slave.
    if (!stream.readableEnded) stream.destroy();
  }
}
