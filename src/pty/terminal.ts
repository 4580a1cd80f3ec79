import { Duplex } from 'node:stream';

/** Where a {@link PtyStream} writes (the terminal) and what it pauses (its output source). */
export interface PtyEnds {
  write(data: Buffer): void;
  pause(): void;
  resume(): void;
}

/**
 * The local end of a pseudo-terminal as a Node Duplex: what you write is typed into the
 * terminal, what you read is what the program shows on it.
 *
 * - Reading has backpressure: while the consumer is behind, the terminal is paused (and the
 *   program eventually blocks writing to it).
 * - Writing has none (a terminal is for interactive use; bulk data belongs on `open2()`):
 *   node-pty queues what it cannot write yet.
 * - `end()` stops writing but sends nothing: a terminal has no end of input. Write `'\x04'`
 *   (Ctrl-D) at the start of a line to give a program reading the terminal end-of-file.
 * - Writes may be held until the program has set the terminal up (see `holdInput`).
 * - The readable side ends when the process has exited and, if {@link PtyStream.deferEnd}
 *   was called, once that promise settles; if it rejects and someone listens for `'error'`,
 *   the stream is destroyed with that error instead.
 * - Destroying the stream before the process has exited stops the process.
 */
export class PtyStream extends Duplex {
  readonly #child: PtyEnds;
  readonly #stop: () => void;
  /** Set by {@link PtyStream.holdInput}: called on the first write; writes wait for it. */
  #whenReady: (() => Promise<void>) | undefined;
  /** Writes waiting for `#whenReady`. */
  #held: Buffer[] | undefined;
  #exited = false;
  #paused = false;
  #endGate: Promise<unknown> = Promise.resolve();
  /** `'error'` listeners that are not the caller's (the library's own, already attached). */
  #ownErrorListeners = 0;

  /** @internal Built by the pty engine. */
  constructor(child: PtyEnds, stop: () => void, encoding: BufferEncoding | undefined) {
    super({ allowHalfOpen: true, decodeStrings: true, ...(encoding ? { defaultEncoding: encoding } : {}) });
    this.#child = child;
    this.#stop = stop;
    if (encoding) this.setEncoding(encoding);
  }

  /**
   * @internal Hold writes until `whenReady()` resolves. It is called on the first write only,
   * so a terminal nobody writes to costs nothing.
   */
  holdInput(whenReady: () => Promise<void>): void {
    this.#whenReady = whenReady;
  }

  /** @internal Output from the terminal. */
  feed(chunk: Buffer | string): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (!this.push(buf) && !this.#paused) {
      this.#paused = true;
      this.#child.pause();
    }
  }

  /** @internal The process has exited and its output has been read. */
  exited(): void {
    this.#exited = true;
    this.#held = undefined;
    const end = () => {
      if (!this.readableEnded && !this.destroyed) this.push(null);
    };
    this.#endGate.then(end, (err: Error) => {
      if (!this.destroyed && this.listenerCount('error') > this.#ownErrorListeners) this.destroy(err);
      else end();
    });
  }

  /**
   * End the readable side only once `p` settles (the exit status is known). The `'error'`
   * listeners already attached are taken as the library's own: only a caller's listener
   * makes a rejection of `p` destroy the stream with the error.
   */
  deferEnd(p: Promise<unknown>): void {
    this.#endGate = p;
    this.#ownErrorListeners = this.listenerCount('error');
  }

  override _read(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (!this.#exited) this.#child.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#exited) return callback();
    const whenReady = this.#whenReady;
    if (whenReady) {
      this.#whenReady = undefined;
      this.#held = [];
      void whenReady().then(() => this.#flush());
    }
    if (this.#held) this.#held.push(chunk);
    else this.#child.write(chunk);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.#exited) this.#stop();
    callback(error);
  }

  #flush(): void {
    const held = this.#held;
    this.#held = undefined;
    if (this.#exited || !held) return;
    for (const chunk of held) this.#child.write(chunk);
  }
}
