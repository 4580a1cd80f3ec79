import { codeOf, masterChannel, tracing, type MasterTraceContext } from './channels.js';

/** What the master trace reads from the Master (structural: no import of master/). */
interface MasterView {
  readonly state: string;
  readonly pid: number | undefined;
  readonly ctlPath: string | undefined;
}

/**
 * Run one master operation under `openssh-mux:master` (start, end, error, asyncStart,
 * asyncEnd); just `op()` when nobody subscribes.
 */
export function traceMaster<T>(host: string, operation: MasterTraceContext['operation'], master: MasterView, op: () => Promise<T>): Promise<T> {
  if (!tracing(masterChannel)) return op();
  const context: MasterTraceContext = { host, operation, ctlPath: master.ctlPath, pid: master.pid };
  const started = performance.now();
  const fill = () => {
    context.durationMs = performance.now() - started;
    context.state = master.state;
    context.ctlPath = master.ctlPath;
    context.pid = master.pid;
  };
  return masterChannel.tracePromise(
    () =>
      op().then(
        (v) => {
          fill();
          return v;
        },
        (err: unknown) => {
          fill();
          context.errorCode = codeOf(err);
          throw err;
        },
      ),
    context,
  );
}
