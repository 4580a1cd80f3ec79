/** A FIFO counting semaphore: the fleet's `connections` and `concurrency` limits. */
export class Semaphore {
  readonly size: number;
  #used = 0;
  #peak = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(size: number) {
    this.size = size;
  }

  /** Slots in use now. */
  get used(): number {
    return this.#used;
  }

  /** The most slots ever in use at once. */
  get peak(): number {
    return this.#peak;
  }

  /**
   * Wait for a slot; resolves with its release function (call it once). Rejects with the
   * signal's reason if the signal aborts first.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#used < this.size) return Promise.resolve(this.#take());
    return new Promise((resolve, reject) => {
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(this.#take());
      };
      const onAbort = () => {
        const i = this.#waiting.indexOf(wake);
        if (i >= 0) this.#waiting.splice(i, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(wake);
    });
  }

  #take(): () => void {
    this.#used++;
    this.#peak = Math.max(this.#peak, this.#used);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#used--;
      this.#waiting.shift()?.();
    };
  }
}

/** Check a limit option: a whole number >= 1. */
export function optLimit(name: string, value: unknown, dflt: number): number {
  if (value === undefined) return dflt;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(`option '${name}' must be a whole number >= 1, received ${JSON.stringify(value) ?? typeof value}`);
  }
  return value;
}

/** The fleet's limits, checked: `concurrency` can never exceed `connections`. */
export interface FleetLimits {
  connections: number;
  concurrency: number;
}

/** Default number of live masters at once. */
export const DEFAULT_CONNECTIONS = 10;

/** Validate `connections` and `concurrency` together. */
export function normalizeLimits(o: { connections?: unknown; concurrency?: unknown }): FleetLimits {
  const connections = optLimit('connections', o.connections, o.concurrency === undefined ? DEFAULT_CONNECTIONS : Math.max(DEFAULT_CONNECTIONS, Number(o.concurrency) || 1));
  const concurrency = optLimit('concurrency', o.concurrency, connections);
  if (concurrency > connections) {
    throw new TypeError(
      `option 'concurrency' (${concurrency}) cannot exceed 'connections' (${connections}): every operation runs over a live master, so at most 'connections' of them can ever run at once; raise 'connections' or lower 'concurrency'`,
    );
  }
  return { connections, concurrency };
}
