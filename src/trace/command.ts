import type { OpenSSHError } from '../errors/index.js';
import type { Result } from '../run/result.js';
import { codeOf, commandChannel, tracing, type CommandTraceContext } from './channels.js';

/** What the command trace reads of a started slave (structural: no import of run/execute). */
interface Started {
  readonly result: Promise<Result<string | Buffer>>;
}

const noop = () => {};

/** Copy a Result's outcome into the trace context (done by the slave as it settles). */
export function fromResult(context: CommandTraceContext, r: Result<string | Buffer>): void {
  context.argv = r.argv;
  context.exitCode = r.exitCode;
  context.signal = r.signal;
  context.durationMs = r.durationMs;
  context.errorCode = codeOf(r.error);
}

/**
 * Start a command under `openssh-mux:command`: `start` and `end` around the start (the
 * context then has the host and the command; `argv`, `engine` and `pid` are filled in once
 * the slave runs), then `error` (if it failed), `asyncStart` and `asyncEnd` when its result
 * settles. With `reject: false` a failed command resolves: `errorCode` says it failed, and
 * no `error` event is published. Just `start(undefined)` when nobody subscribes: the cost is
 * the five `hasSubscribers` reads of {@link tracing}.
 */
export function traceCommand<T extends Started>(
  host: string,
  label: string | undefined,
  command: string,
  start: (context: CommandTraceContext | undefined) => Promise<T>,
): Promise<T> {
  if (!tracing(commandChannel)) return start(undefined);
  const context: CommandTraceContext = { host, label, command };
  let started!: Promise<T>;
  commandChannel
    .tracePromise(() => {
      started = start(context);
      return started
        .then((p) => p.result)
        .then(
          (r) => r,
          (err: unknown) => {
            // A failure before the slave ran (master, session wait, argv limits) has no Result.
            if (context.errorCode === undefined) {
              const e = err as Partial<OpenSSHError>;
              context.argv ??= e.argv as string[] | undefined;
              context.exitCode = e.exitCode;
              context.signal = e.signal;
              context.errorCode = codeOf(err);
            }
            throw err;
          },
        );
    }, context)
    .catch(noop);
  return started;
}

/**
 * A command of a shell session under `openssh-mux:command` (`shellSession: true`): the same
 * events as {@link traceCommand}. `run` resolves with the command's Result; `reject` says
 * whether a Result with an error rejects (it then publishes `error`).
 */
export function traceShellCommand(host: string, command: string, reject: boolean, run: () => Promise<Result<string | Buffer>>): Promise<Result<string | Buffer>> {
  const settle = (r: Result<string | Buffer>) => {
    if (r.error && reject) throw r.error;
    return r;
  };
  if (!tracing(commandChannel)) return run().then(settle);
  const context: CommandTraceContext = { host, label: undefined, command, shellSession: true };
  return commandChannel.tracePromise(
    () =>
      run().then(
        (r) => {
          fromResult(context, r);
          context.argv = undefined;
          return settle(r);
        },
        (err: unknown) => {
          context.errorCode = codeOf(err);
          throw err;
        },
      ),
    context,
  );
}
