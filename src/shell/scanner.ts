/**
 * Splits one output stream of a session shell (its stdout or its stderr) into command
 * outputs (pure, no I/O). For each command it is armed with the command's begin and end
 * tokens; it then drops everything up to the begin token (stray output: late writes of
 * background jobs between two commands, a login shell's noise before the first one),
 * collects the bytes up to the end token exactly as they came, and reads what follows the
 * end token up to a newline: the exit status on stdout, nothing on stderr.
 *
 * Only the frame knows the tokens (crypto-random, new per command), so a command cannot end
 * its own output early; chunks may split anywhere, a token included.
 */
export class MarkerScanner {
  #state: 'idle' | 'begin' | 'body' | 'trailer' = 'idle';
  #begin: Buffer = Buffer.alloc(0);
  #end: Buffer = Buffer.alloc(0);
  /** Bytes received but not yet classified (a possible token prefix, a partial trailer). */
  #pending: Buffer = Buffer.alloc(0);
  #body: Buffer[] = [];
  #bodyLength = 0;
  #onDone: ((body: Buffer, trailer: string) => void) | undefined;
  #onBody: (() => void) | undefined;
  /** How many stray bytes were dropped so far (outside every command's output). */
  strayBytes = 0;

  /**
   * Expect one command's output: `onDone` gets its bytes and the trailer text (between the
   * end token and the newline). `onBody` is called on every chunk received meanwhile (idle timer).
   */
  arm(begin: string, end: string, onDone: (body: Buffer, trailer: string) => void, onBody?: () => void): void {
    if (this.#state !== 'idle') throw new Error(`scanner armed while ${this.#state}`);
    this.#begin = Buffer.from(begin, 'latin1');
    this.#end = Buffer.from(end, 'latin1');
    this.#onDone = onDone;
    this.#onBody = onBody;
    this.#body = [];
    this.#bodyLength = 0;
    this.#state = 'begin';
    this.#advance();
  }

  /** Stop expecting (the command was given up): later output is stray again. */
  disarm(): void {
    this.#state = 'idle';
    this.#onDone = undefined;
    this.#onBody = undefined;
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

  /** The output collected so far for the armed command (for a partial result). */
  partial(): Buffer {
    const tail = this.#state === 'body' ? [this.#pending] : [];
    return Buffer.concat([...this.#body, ...tail]);
  }

  /** Feed the next chunk of the stream. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    // Any traffic while a command runs counts as activity (idleTimeout).
    if (this.#state !== 'idle') this.#onBody?.();
    this.#pending = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    this.#advance();
  }

  #advance(): void {
    for (;;) {
      const p = this.#pending;
      switch (this.#state) {
        case 'idle':
          this.strayBytes += p.length;
          this.#pending = Buffer.alloc(0);
          return;
        case 'begin': {
          const at = p.indexOf(this.#begin);
          if (at === -1) {
            const keep = Math.min(p.length, this.#begin.length - 1);
            this.strayBytes += p.length - keep;
            this.#pending = p.subarray(p.length - keep);
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
            const keep = Math.min(p.length, this.#end.length - 1);
            this.#take(p.subarray(0, p.length - keep));
            this.#pending = p.subarray(p.length - keep);
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
          this.#pending = p.subarray(nl + 1);
          const done = this.#onDone!;
          const body = Buffer.concat(this.#body, this.#bodyLength);
          this.disarm();
          done(body, trailer);
          continue;
        }
      }
    }
  }

  #take(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#body.push(bytes);
    this.#bodyLength += bytes.length;
  }
}
