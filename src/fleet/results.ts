import { ErrorCode } from '../errors/index.js';

/** Where a host ended: `ok`, its task `failed`, it `timed-out`, it was `aborted` while running, or `skipped` (never started). */
export type HostStatus = 'ok' | 'failed' | 'timed-out' | 'aborted' | 'skipped';

/** Why a host was never started. */
export type SkipReason = 'aborted' | 'abort-all' | 'max-failures' | 'host-aborted';

interface HostResultBase {
  /** The host's label. */
  readonly label: string;
  /** Its target. */
  readonly target: string;
  /** Its position in the run (the results are in this order). */
  readonly index: number;
  /** Connection attempts made (0 when skipped). */
  readonly attempts: number;
  /** When the host started (undefined when skipped). */
  readonly startedAt: Date | undefined;
  /** From the start to the end of the host's work, connect and retries included (0 when skipped). */
  readonly durationMs: number;
}

/** A host whose task resolved. */
export interface HostSuccess<T> extends HostResultBase {
  readonly ok: true;
  readonly status: 'ok';
  /** What the task resolved with. */
  readonly value: T;
  readonly error?: undefined;
  readonly skipReason?: undefined;
}

/**
 * A host that did not succeed. `error` is the library's typed error: a MasterError for a host
 * that never connected, the command's error, a TimeoutError (`timed-out`, its `cause` the
 * error the timeout interrupted) or an AbortError (`aborted`, `skipped`).
 */
export interface HostFailure extends HostResultBase {
  readonly ok: false;
  readonly status: Exclude<HostStatus, 'ok'>;
  readonly error: Error;
  readonly value?: undefined;
  /** Why a skipped host was never started. */
  readonly skipReason?: SkipReason;
}

/** One host's outcome. */
export type HostResult<T> = HostSuccess<T> | HostFailure;

/** Counts of a run's outcomes. */
export interface FleetSummary {
  readonly total: number;
  readonly ok: number;
  /** Hosts whose task failed (timeouts and aborts not included). */
  readonly failed: number;
  readonly timedOut: number;
  /** Hosts cancelled while running (the fleet's signal, `abort-all`). */
  readonly aborted: number;
  /** Hosts never started. */
  readonly skipped: number;
}

/** What a run resolves with. */
export interface FleetReport<T> {
  /** One result per host, in the run's host order. */
  readonly results: readonly HostResult<T>[];
  readonly summary: FleetSummary;
  /** Wall time of the whole run. */
  readonly durationMs: number;
}

/** Count the outcomes. */
export function summarize(results: readonly HostResult<unknown>[]): FleetSummary {
  const n = (s: HostStatus) => results.filter((r) => r.status === s).length;
  return { total: results.length, ok: n('ok'), failed: n('failed'), timedOut: n('timed-out'), aborted: n('aborted'), skipped: n('skipped') };
}

/**
 * A run with `reject: true` in which some host did not succeed. `errors` are the failed
 * hosts' errors, `report` the whole outcome. Code `OSSH_FLEET_FAILED`.
 */
export class FleetError<T = unknown> extends AggregateError {
  readonly code = ErrorCode.FLEET_FAILED;
  readonly report: FleetReport<T>;
  constructor(report: FleetReport<T>) {
    const bad = report.results.filter((r) => !r.ok);
    const s = report.summary;
    super(
      bad.map((r) => r.error),
      `${bad.length} of ${s.total} hosts did not succeed (${s.failed} failed, ${s.timedOut} timed out, ${s.aborted} aborted, ${s.skipped} skipped): ${bad
        .slice(0, 5)
        .map((r) => r.label)
        .join(', ')}${bad.length > 5 ? ', ...' : ''}`,
    );
    this.report = report;
  }
}
Object.defineProperty(FleetError.prototype, 'name', { value: 'FleetError', writable: true });
