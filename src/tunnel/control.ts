import type { ForwardSpec } from '../argv/control.js';
import { PORT_STREAMLOCAL, type MuxForward } from '../mux/control-messages.js';
import { muxCloseForward, muxOpenForward, MuxRequestRefused } from '../mux/control.js';
import type { Socket } from 'node:net';
import { debug } from '../log.js';

/**
 * Forwarding requests to the master, in-process over its control socket (MUX_C_OPEN_FWD /
 * MUX_C_CLOSE_FWD, PROTOCOL.mux), on both engines: no `ssh -O forward|cancel` process.
 */

/** How a forward or cancel request ended. Exactly one of `stopped`, `refused`, `error` is set when it failed. */
export interface ControlOutcome {
  /** The port the server allocated for a remote forward on port 0 (MUX_S_REMOTE_PORT). */
  port: number | undefined;
  /** The master answered MUX_S_FAILURE or MUX_S_PERMISSION_DENIED, with its reason. */
  refused: MuxRequestRefused | undefined;
  /** The request was stopped: it ran past `timeoutMs`, or `signal` aborted. */
  stopped: { kind: 'deadline'; ms: number } | { kind: 'abort'; reason: unknown } | undefined;
  /** The master could not be asked (no socket, connection closed, protocol error). */
  error: Error | undefined;
  /**
   * For a stopped request: settles with the master's late answer (or undefined when none came
   * within a grace period), so that a forwarding set up after we gave up can be taken down.
   */
  late: Promise<{ port: number | undefined } | undefined> | undefined;
}

/** How long a stopped request still listens for the master's late answer. */
export const LATE_REPLY_MS = 10_000;

/**
 * A forwarding as MUX_C_OPEN_FWD/MUX_C_CLOSE_FWD carry it: what `ssh -O forward` sends for the
 * same `-L`/`-R`/`-D` argument (no bind address: `''`; Unix socket: the path, port -2; a
 * dynamic forward connects to `socks`, port 0, as ssh's parser sets it: the master refuses an
 * empty host with "No forward host name").
 */
export function muxForward(f: ForwardSpec): MuxForward {
  const dynamic = f.type === 'dynamic';
  return {
    type: f.type,
    listenHost: f.path ?? f.bindAddress ?? '',
    listenPort: f.path !== undefined ? PORT_STREAMLOCAL : (f.port ?? 0),
    connectHost: dynamic ? 'socks' : (f.targetPath ?? f.targetHost ?? ''),
    connectPort: dynamic ? 0 : f.targetPath !== undefined ? PORT_STREAMLOCAL : (f.targetPort ?? 0),
  };
}

/**
 * Send one forwarding request to the master whose socket is `ctlPath`. Bounded by
 * `timeoutMs`; `signal` stops it. Never rejects.
 */
export async function forwardRequest(ctlPath: string, command: 'forward' | 'cancel', f: ForwardSpec, timeoutMs: number, signal?: AbortSignal): Promise<ControlOutcome> {
  const mf = muxForward(f);
  debug('mux %s request %j', command, mf);
  // The request keeps its socket past our own limit (the late answer), bounded all the same.
  const limit = timeoutMs + LATE_REPLY_MS;
  let socket: Socket | undefined;
  let stoppedEarly = false;
  const onSocket = (s: Socket) => {
    socket = s;
    if (stoppedEarly) s.unref();
  };
  const work = command === 'forward' ? muxOpenForward(ctlPath, mf, limit, onSocket) : muxCloseForward(ctlPath, mf, limit, onSocket).then(() => undefined);
  const answered = work.then(
    (port) => ({ port }),
    (err: Error) => ({ err }),
  );
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<NonNullable<ControlOutcome['stopped']>>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'deadline', ms: timeoutMs }), timeoutMs);
    onAbort = () => resolve({ kind: 'abort', reason: signal!.reason });
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
  });
  const first = await Promise.race([answered, stop.then((stopped) => ({ stopped }))]);
  clearTimeout(timer);
  signal?.removeEventListener('abort', onAbort!);
  const none = { port: undefined, refused: undefined, stopped: undefined, error: undefined, late: undefined };
  if ('stopped' in first) {
    // Waiting for the late answer must not keep the process alive.
    stoppedEarly = true;
    socket?.unref();
    debug('mux %s request stopped (%s)', command, first.stopped.kind);
    return { ...none, stopped: first.stopped, late: answered.then((a) => ('port' in a ? a : undefined)) };
  }
  if ('port' in first) return { ...none, port: first.port };
  debug('mux %s request failed: %s', command, first.err.message);
  return first.err instanceof MuxRequestRefused ? { ...none, refused: first.err } : { ...none, error: first.err };
}

/** Whether the request failed. */
export function requestFailed(r: ControlOutcome): boolean {
  return r.stopped !== undefined || r.refused !== undefined || r.error !== undefined;
}

/** The lines the master logged between two reads of its log tail (`before` then `after`). */
export function logSince(before: string, after: string): string {
  if (before === '') return after.trim();
  const anchor = before.slice(-200);
  const at = after.lastIndexOf(anchor);
  return at === -1 ? '' : after.slice(at + anchor.length).trim();
}
