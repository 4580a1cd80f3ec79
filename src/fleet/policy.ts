import { MasterError, type MasterFailureReason } from '../errors/index.js';
import type { FleetHost } from './hosts.js';

/**
 * What happens to the rest when a host fails: `'continue'` (the others go on), `'abort-host'`
 * (also take the host out of this fleet: later runs report it skipped until `fleet.reset()`),
 * `'abort-all'` (start no other host and cancel the running ones).
 */
export type ErrorPolicy = 'continue' | 'abort-host' | 'abort-all';

/** `onError`: a policy, or a function choosing one per failure. */
export type ErrorPolicyOption = ErrorPolicy | ((error: Error, host: FleetHost) => ErrorPolicy | Promise<ErrorPolicy>);

const POLICIES: readonly string[] = ['continue', 'abort-host', 'abort-all'];

/** Check a policy value (given, or returned by an `onError` function). */
export function checkPolicy(value: unknown, where = "option 'onError'"): ErrorPolicy {
  if (typeof value === 'string' && POLICIES.includes(value)) return value as ErrorPolicy;
  throw new TypeError(`${where} must be 'continue', 'abort-host' or 'abort-all'${where === "option 'onError'" ? ' or a function (error, host) => policy' : ''}, received ${JSON.stringify(value) ?? typeof value}`);
}

/** The policy for one failure. A throwing or bad `onError` function counts as `'abort-all'`. */
export async function decide(option: ErrorPolicyOption, error: Error, host: FleetHost): Promise<ErrorPolicy> {
  if (typeof option !== 'function') return option;
  try {
    return checkPolicy(await option(error, host), 'the policy returned by onError');
  } catch {
    return 'abort-all';
  }
}

/**
 * Master failures worth another attempt: the network or the server's start-up limits
 * (`MaxStartups`). Never authentication, host keys, a login handler, local problems or a
 * cancellation.
 */
const RETRYABLE: ReadonlySet<MasterFailureReason> = new Set(['connect', 'timeout', 'exited', 'check', 'resolve']);

/** Whether a connection failure may be retried (see {@link RETRYABLE}). */
export function isRetryable(error: unknown): boolean {
  return error instanceof MasterError && RETRYABLE.has(error.reason);
}

/** Longest wait between two attempts. */
export const MAX_RETRY_DELAY_MS = 30_000;

/**
 * The wait before attempt `attempt + 1` (attempt >= 1): exponential from `base`, capped at
 * 30 s, with "equal jitter" (between half and all of it) so that hosts that failed together
 * do not all come back at the same instant.
 */
export function backoffDelay(attempt: number, base: number, random: () => number = Math.random): number {
  const exp = Math.min(MAX_RETRY_DELAY_MS, base * 2 ** (attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** `batch`: a host count or a percentage of the run's hosts (`'25%'`); the size of each batch. */
export function batchSize(batch: unknown, total: number): number {
  if (batch === undefined) return Math.max(1, total);
  if (typeof batch === 'number' && Number.isInteger(batch) && batch >= 1) return batch;
  const m = typeof batch === 'string' ? /^(\d+(?:\.\d+)?)%$/.exec(batch) : null;
  const pct = m ? Number(m[1]) : NaN;
  if (pct > 0 && pct <= 100) return Math.max(1, Math.ceil((total * pct) / 100));
  throw new TypeError(`option 'batch' must be a whole number >= 1 or a percentage such as '25%' (over 0, at most 100), received ${JSON.stringify(batch) ?? typeof batch}`);
}

/** Split hosts into consecutive batches of `size`. */
export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Whether too many hosts failed to start another: more than `maxFailures`, or more than
 * `maxFailPercentage` percent of the run's hosts (Ansible's `max_fail_percentage`).
 */
export function tooManyFailures(failed: number, total: number, maxFailures: number | undefined, maxFailPercentage: number | undefined): boolean {
  if (maxFailures !== undefined && failed > maxFailures) return true;
  if (maxFailPercentage !== undefined && total > 0 && (failed * 100) / total > maxFailPercentage) return true;
  return false;
}
