/** What a {@link MarkerScanner} reports for the command it is armed for. */
export interface ScanTarget {
  /** The output is complete: its bytes (empty when streamed to `sink`) and the trailer text. */
  done(body: Buffer, trailer: string): void;
  /** Bytes arrived while armed (the idle timer). */
  activity?(): void;
  /** Streaming: each piece of the output as it comes, instead of collecting it. */
  sink?(bytes: Buffer): void;
  /** The collected output went past the limit: called once; what follows is dropped up to the end token. */
  overflow?(): void;
}

const EMPTY = Buffer.alloc(0);

/** How many bytes at the end of `p` could begin `token` (and must wait for the next chunk). */
function heldBack(p: Buffer, token: Buffer): number {
  for (let k = Math.min(p.length, token.length - 1); k > 0; k--) {
    if (p[p.length - k] === token[0] && p.compare(token, 0, k, p.length - k, p.length) === 0) return k;
  }
  return 0;
}

/**
 * Splits one output stream of a session shell (its stdout or its stderr) into command
 * outputs (pure, no I/O). For each command it is armed with the command's begin and end
 * tokens; it then drops everything up to the begin token, if it has one (stray output: a
 * login shell's noise before the first command; with no command armed, everything is stray:
 * late writes of background jobs between two commands),
 * collects the bytes up to the end token exactly as they came (at most `limit` of them, or
 * hands them to a sink as they come), and reads what follows the end token up to a newline:
 * the exit status on stdout, nothing on stderr.
 *
 * Only the frame knows the tokens (crypto-random, new per command), so a command cannot end
 * its own output early; chunks may split anywhere, a token included. Memory is bounded: the
 * kept output by the limit, the unclassified bytes by a token's length.
 */
export class MarkerScanner {
  #state: 'idle' | 'begin' | 'body' | 'trailer' = 'idle';
  #begin: Buffer = EMPTY;
  #end: Buffer = EMPTY;
  /** Bytes received but not yet classified (a possible token prefix, a partial trailer). */
  #pending: Buffer = EMPTY;
  #body: Buffer[] = [];
  #bodyLength = 0;
  #limit = Number.POSITIVE_INFINITY;
  #overflowed = false;
  #target: ScanTarget | undefined;
  /** How many stray bytes were dropped so far (outside every command's output). */
  strayBytes = 0;

  /**
   * Expect one command's output, delimited by `begin` and `end` (latin1 token bytes), and
   * report it to `target`; at most `limit` bytes of it are kept.
   */
  arm(begin: Buffer, end: Buffer, target: ScanTarget, limit = Number.POSITIVE_INFINITY): void {
    if (this.#state !== 'idle') throw new Error(`scanner armed while ${this.#state}`);
    this.#begin = begin;
    this.#end = end;
    this.#target = target;
    this.#limit = limit;
    this.#overflowed = false;
    this.#body = [];
    this.#bodyLength = 0;
    // No begin token: the output starts with the next byte.
    this.#state = begin.length ? 'begin' : 'body';
    if (this.#pending.length) this.#advance();
  }

  /** Stop expecting (the command was given up): later output is stray again. */
  disarm(): void {
    this.#state = 'idle';
    this.#target = undefined;
    this.#body = [];
    this.#bodyLength = 0;
  }

  /** Whether a command is expected and not complete. */
  get armed(): boolean {
    return this.#state !== 'idle';
  }

  /** Whether the begin token has been seen for the armed command. */
  get begun(): boolean {
    return this.#state === 'body' || this.#state === 'trailer';
  }

  /** Whether the armed command's output went past its limit. */
  get overflowed(): boolean {
    return this.#overflowed;
  }

  /** The output collected so far for the armed command (for a partial result). */
  partial(): Buffer {
    const room = this.#limit - this.#bodyLength;
    const tail = this.#state === 'body' && !this.#target?.sink && !this.#overflowed && room > 0 ? this.#pending.subarray(0, room) : EMPTY;
    return tail.length ? Buffer.concat([...this.#body, tail]) : Buffer.concat(this.#body, this.#bodyLength);
  }

  /** Feed the next chunk of the stream. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.#state === 'idle' && this.#pending.length === 0) {
      this.strayBytes += chunk.length;
      return;
    }
    // Any traffic while a command runs counts as activity (idleTimeout).
    this.#target?.activity?.();
    this.#pending = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    this.#advance();
  }

  #advance(): void {
    for (;;) {
      const p = this.#pending;
      switch (this.#state) {
        case 'idle':
          this.strayBytes += p.length;
          this.#pending = EMPTY;
          return;
        case 'begin': {
          const at = p.indexOf(this.#begin);
          if (at === -1) {
            const keep = heldBack(p, this.#begin);
            this.strayBytes += p.length - keep;
            this.#pending = keep ? p.subarray(p.length - keep) : EMPTY;
            return;
          }
          this.strayBytes += at;
          this.#pending = p.subarray(at + this.#begin.length);
          this.#state = 'body';
          continue;
        }
        case 'body': {
          const at = p.indexOf(this.#end);
          if (at === -1) {
            // Keep a possible start of the end token; the rest is output.
            const keep = heldBack(p, this.#end);
            this.#take(p.subarray(0, p.length - keep));
            this.#pending = keep ? p.subarray(p.length - keep) : EMPTY;
            return;
          }
          this.#take(p.subarray(0, at));
          this.#pending = p.subarray(at + this.#end.length);
          this.#state = 'trailer';
          continue;
        }
        case 'trailer': {
          const nl = p.indexOf(0x0a);
          if (nl === -1) return;
          const trailer = p.toString('latin1', 0, nl);
          this.#pending = nl + 1 < p.length ? p.subarray(nl + 1) : EMPTY;
          const target = this.#target!;
          const body = this.#bodyLength === 0 ? EMPTY : this.#body.length === 1 ? this.#body[0]! : Buffer.concat(this.#body, this.#bodyLength);
          this.disarm();
          target.done(body, trailer);
          continue;
        }
      }
    }
  }

  /** Keep (or hand to the sink) a piece of output, up to the limit. */
  #take(bytes: Buffer): void {
    if (bytes.length === 0) return;
    const target = this.#target;
    if (target?.sink) {
      target.sink(bytes);
      return;
    }
    if (this.#overflowed) return;
    const room = this.#limit - this.#bodyLength;
    if (bytes.length <= room) {
      this.#body.push(bytes);
      this.#bodyLength += bytes.length;
      return;
    }
    if (room > 0) this.#body.push(bytes.subarray(0, room));
    this.#bodyLength += room;
    this.#overflowed = true;
    target?.overflow?.();
  }
}
