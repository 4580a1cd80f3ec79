import type { OpenSSHError } from '../errors/index.js';
import { codeOf, tracing, transferChannel, type TransferTraceContext } from './channels.js';

/** What the transfer trace reads of a started transfer (structural: no import of transfer/). */
interface Started {
  readonly result: Promise<{ argv: readonly string[]; exitCode: number; durationMs: number }>;
}

const noop = () => {};

/**
 * Start a transfer under `openssh-mux:transfer`: `start`/`end` around the start, then `error`,
 * `asyncStart`, `asyncEnd` when its result settles (also for `async: true`, whose promise
 * resolves earlier). Just `start()` when nobody subscribes.
 */
export function traceTransfer<T extends Started>(context: TransferTraceContext, start: () => Promise<T>): Promise<T> {
  if (!tracing(transferChannel)) return start();
  let started!: Promise<T>;
  const begun = performance.now();
  transferChannel
    .tracePromise(() => {
      started = start();
      return started
        .then((t) => t.result)
        .then(
          (r) => {
            Object.assign(context, { argv: r.argv, exitCode: r.exitCode, durationMs: r.durationMs });
            return r;
          },
          (err: unknown) => {
            const e = err as Partial<OpenSSHError>;
            Object.assign(context, { argv: e.argv, exitCode: e.exitCode, durationMs: performance.now() - begun, errorCode: codeOf(err) });
            throw err;
          },
        );
    }, context)
    .catch(noop);
  return started;
}
