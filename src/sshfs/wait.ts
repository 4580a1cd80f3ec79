import { TimeoutError, type ErrorDetails } from '../errors/index.js';
import { abortError } from '../run/execute.js';

/** The timeout and the signal of a mount: `expired` rejects with a TimeoutError or AbortError. */
export class MountLimit {
  readonly expired: Promise<never>;
  #timer: NodeJS.Timeout | undefined;
  #signal: AbortSignal | undefined;
  #onAbort: (() => void) | undefined;

  constructor(timeout: number | undefined, signal: AbortSignal | undefined, details: ErrorDetails, what: string) {
    this.#signal = signal;
    this.expired = new Promise<never>((_, reject) => {
      if (signal?.aborted) return reject(abortError(signal.reason, details, what));
      if (timeout !== undefined) {
        this.#timer = setTimeout(() => reject(new TimeoutError('deadline', timeout, `the ${what} was not ready within ${timeout} ms`, details)), timeout);
      }
      this.#onAbort = () => reject(abortError(signal!.reason, details, what));
      signal?.addEventListener('abort', this.#onAbort, { once: true });
    });
    this.expired.catch(() => {});
  }

  /** Stop the timer and forget the signal. */
  dispose(): void {
    clearTimeout(this.#timer);
    if (this.#onAbort) this.#signal?.removeEventListener('abort', this.#onAbort);
  }
}

/** A bounded tail of a process's text output (the last `limit` characters). */
export class TextTail {
  #text = '';
  constructor(readonly limit = 8192) {}

  push = (chunk: Buffer | string): void => {
    this.#text = (this.#text + String(chunk)).slice(-this.limit);
  };

  get text(): string {
    return this.#text;
  }
}

/** A promise that resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
