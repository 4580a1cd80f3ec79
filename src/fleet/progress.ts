import type { HostStatus } from './results.js';

/** A host's state during a run. */
export type HostState = 'queued' | 'connecting' | 'running' | HostStatus;

/** How many hosts are in each state. */
export interface FleetCounts {
  total: number;
  queued: number;
  connecting: number;
  running: number;
  ok: number;
  failed: number;
  timedOut: number;
  aborted: number;
  skipped: number;
  /** Hosts finished, whatever the outcome. */
  done: number;
}

/** One host changing state, with the counts after the change (for progress UIs). */
export interface ProgressEvent {
  readonly label: string;
  readonly target: string;
  readonly index: number;
  readonly from: HostState;
  readonly to: HostState;
  /** The connection attempt (1 for the first). */
  readonly attempt: number;
  readonly counts: Readonly<FleetCounts>;
  /** Milliseconds since the run started. */
  readonly elapsedMs: number;
}

const KEY: Record<HostState, keyof FleetCounts> = {
  queued: 'queued',
  connecting: 'connecting',
  running: 'running',
  ok: 'ok',
  failed: 'failed',
  'timed-out': 'timedOut',
  aborted: 'aborted',
  skipped: 'skipped',
};

const FINAL = new Set<HostState>(['ok', 'failed', 'timed-out', 'aborted', 'skipped']);

/** Keeps every host's state and the counts, and reports each transition. */
export class ProgressTracker {
  readonly #states: HostState[];
  readonly #counts: FleetCounts;
  readonly #listener: ((e: ProgressEvent) => void) | undefined;
  readonly #t0 = performance.now();

  constructor(total: number, listener: ((e: ProgressEvent) => void) | undefined) {
    this.#states = new Array<HostState>(total).fill('queued');
    this.#counts = { total, queued: total, connecting: 0, running: 0, ok: 0, failed: 0, timedOut: 0, aborted: 0, skipped: 0, done: 0 };
    this.#listener = listener;
  }

  /** A copy of the counts now. */
  get counts(): FleetCounts {
    return { ...this.#counts };
  }

  /** Move host `index` to `to` (a listener that throws is ignored: a UI bug must not stop the fleet). */
  move(host: { label: string; target: string; index: number }, to: HostState, attempt = 1): void {
    const from = this.#states[host.index]!;
    if (from === to || FINAL.has(from)) return;
    this.#states[host.index] = to;
    this.#counts[KEY[from]]--;
    this.#counts[KEY[to]]++;
    if (FINAL.has(to)) this.#counts.done++;
    if (!this.#listener) return;
    try {
      this.#listener({ label: host.label, target: host.target, index: host.index, from, to, attempt, counts: this.counts, elapsedMs: performance.now() - this.#t0 });
    } catch {
      // ignored, see above
    }
  }
}

/** Check `onProgress`. */
export function optListener(value: unknown): ((e: ProgressEvent) => void) | undefined {
  if (value === undefined || typeof value === 'function') return value as ((e: ProgressEvent) => void) | undefined;
  throw new TypeError(`option 'onProgress' must be a function (event) => void, received ${JSON.stringify(value) ?? typeof value}`);
}
