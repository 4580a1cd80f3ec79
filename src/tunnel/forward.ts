import { lstatSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { forwardFlag, forwardSpec, type ForwardSpec, type ForwardType } from '../argv/control.js';
import { ErrorCode, ForwardError, MasterError, MuxProtocolError, TimeoutError, type ErrorDetails, type OpenSSHError } from '../errors/index.js';
import type { Master } from '../master/master.js';
import { abortError, masterReady, type ExecContext } from '../run/execute.js';
import { debug } from '../log.js';
import { forwardRequest, logSince, muxForward, requestFailed, type ControlOutcome } from './control.js';
import type { NormalizedForward } from './options.js';

/**
 * A port forwarding set up on the running master by `forward()`. It lives as long as the
 * master: `close()` (or `await using`, or the `signal` given to `forward()`) cancels it
 * (MUX_C_CLOSE_FWD over the master's socket); a disconnect takes it down with the master.
 */
export interface PortForward extends AsyncDisposable {
  readonly type: ForwardType;
  /** The forward as ssh's `-L`/`-R`/`-D` argument, e.g. `127.0.0.1:40123:db:5432` (for messages; the request carries the fields). */
  readonly spec: string;
  /** The address it listens on (remote: undefined means the server's default, loopback). */
  readonly bindAddress: string | undefined;
  /** The port it listens on: the one picked or allocated when 0 was asked. Undefined with `path`. */
  readonly port: number | undefined;
  /** The Unix socket it listens on, if any. */
  readonly path: string | undefined;
  /** Where connections go (local and remote forwards). */
  readonly targetHost: string | undefined;
  readonly targetPort: number | undefined;
  readonly targetPath: string | undefined;
  /** True once `close()` has been called (or the signal aborted). */
  readonly closed: boolean;
  /**
   * Cancel the forward (MUX_C_CLOSE_FWD, what `ssh -O cancel` sends) and remove its local Unix socket, if it listened on
   * one (ssh leaves it behind). Calling it again returns the same promise. Resolves
   * at once when the master is already gone (the forward went with it); rejects with a
   * ForwardError when the master no longer has it (cancelled behind this handle's back).
   */
  close(): Promise<void>;
}

/**
 * Forwards open per master process. ssh answers a second identical request with success and
 * keeps one forwarding, so the last handle to close is the one that cancels it.
 */
const open = new WeakMap<Master, Map<string, number>>();

/** The forwarding's identity on a master: its request fields (a spec string is ambiguous with ':' in paths). */
function keyOf(pid: number | undefined, f: ForwardSpec): string {
  return `${pid} ${JSON.stringify(muxForward(f))}`;
}

function hold(master: Master, key: string): void {
  let m = open.get(master);
  if (!m) open.set(master, (m = new Map()));
  m.set(key, (m.get(key) ?? 0) + 1);
}

/** Drop one hold; true when it was the last one. */
function release(master: Master, key: string): boolean {
  const m = open.get(master);
  const n = m?.get(key) ?? 0;
  if (n <= 1) {
    m?.delete(key);
    return true;
  }
  m!.set(key, n - 1);
  return false;
}

function held(master: Master, key: string): boolean {
  return (open.get(master)?.get(key) ?? 0) > 0;
}

/** What a forward request says in messages: `local forward -L 127.0.0.1:8080:db:5432`. */
function describeForward(f: ForwardSpec): string {
  return `${f.type} forward ${forwardFlag(f.type)} ${forwardSpec(f)}`;
}

/** A free TCP port on `host` (`*`: every address), found by binding port 0 and letting it go. */
function freePort(host: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: host === '*' ? undefined : host, port: 0, exclusive: true }, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Turn a failed request into the typed error (MasterError when the master is gone). */
async function requestError(ctx: ExecContext, command: 'forward' | 'cancel', f: ForwardSpec, r: ControlOutcome, masterLog: string): Promise<OpenSSHError> {
  const d: ErrorDetails = { host: ctx.host };
  if (r.stopped?.kind === 'abort') return abortError(r.stopped.reason, d, requestName(command, f));
  if (r.stopped?.kind === 'deadline') {
    return new TimeoutError('deadline', r.stopped.ms, `the ${command} request got no answer from the master within ${r.stopped.ms} ms (timeout) for the ${describeForward(f)}; the request was stopped`, d);
  }
  if (!(await ctx.master.alive())) {
    const m = ctx.master.error;
    return new MasterError(m?.reason ?? 'exited', `the master connection is gone: ${m?.message ?? 'master check failed'}`, { ...d, cause: m ?? r.error });
  }
  if (r.error) {
    const e = r.error;
    return new MuxProtocolError(e instanceof MuxProtocolError ? e.reason : 'closed', `the ${requestName(command, f)} failed: ${e.message}`, { ...d, cause: e });
  }
  const reason = r.refused!.reason || 'no reason given';
  const master = masterLog ? ` (master: ${masterLog.split('\n').map((l) => l.trim()).join('; ')})` : '';
  if (command === 'forward') {
    return new ForwardError(ErrorCode.FORWARD_FAILED, f.type, forwardSpec(f), `the master refused the ${describeForward(f)}: ${reason}${master}`, { ...d, cause: r.refused });
  }
  return new ForwardError(ErrorCode.FORWARD_CANCEL_FAILED, f.type, forwardSpec(f), `the master could not cancel the ${describeForward(f)}: ${reason}`, { ...d, cause: r.refused });
}

/** What an AbortError calls a request: `forward request for the local forward -L ...`. */
function requestName(command: 'forward' | 'cancel', f: ForwardSpec): string {
  return `${command} request for the ${describeForward(f)}`;
}

/** Attempts at a free local port before giving up (another process may take it first). */
const PICK_ATTEMPTS = 5;

/** `forward()`: set up a forwarding on the running master and return its handle. */
export async function openForward(ctx: ExecContext, n: NormalizedForward): Promise<PortForward> {
  await masterReady(ctx.master, n.signal, { host: ctx.host }, requestName('forward', n.spec));
  for (let attempt = 1; ; attempt++) {
    let f = n.spec;
    if (n.pickPort) {
      try {
        f = { ...f, port: await freePort(f.bindAddress) };
      } catch (err) {
        const msg = `unable to find a free port on ${f.bindAddress} for the ${f.type} forward: ${(err as Error).message}`;
        throw new ForwardError(ErrorCode.FORWARD_FAILED, f.type, forwardSpec(f), msg, { host: ctx.host, cause: err });
      }
    }
    const logBefore = ctx.master.readLog();
    const ctlPath = ctx.master.ctlPath!;
    const r = await forwardRequest(ctlPath, 'forward', f, n.timeoutMs, n.signal);
    const pid = ctx.master.pid;
    const key = keyOf(pid, f);
    if (!requestFailed(r)) {
      const port = f.type === 'remote' && f.path === undefined && f.port === 0 ? r.port : f.port;
      hold(ctx.master, key);
      debug('forward %s up on master %d, port %s', forwardSpec(f), pid, port);
      return new ForwardHandle(ctx, f, port, pid, key, n);
    }
    if (r.stopped) {
      // The master may still set it up after we stopped asking: take it down when it does
      // (unless a handle holds the same forwarding by then).
      void r.late!.then((ok) => {
        if (ok && !held(ctx.master, key)) void forwardRequest(ctlPath, 'cancel', f, n.timeoutMs);
      });
    }
    const error = await requestError(ctx, 'forward', f, r, logSince(logBefore, ctx.master.readLog()));
    if (n.pickPort && attempt < PICK_ATTEMPTS && error instanceof ForwardError) {
      debug('forward %s refused (%s), trying another port', forwardSpec(f), error.message);
      continue;
    }
    throw error;
  }
}

/** `cancelForward()`: cancel a forwarding set up some other way (e.g. `-L` in `masterOpts`). */
export async function cancelForward(ctx: ExecContext, n: NormalizedForward): Promise<void> {
  await masterReady(ctx.master, n.signal, { host: ctx.host }, requestName('cancel', n.spec));
  const r = await forwardRequest(ctx.master.ctlPath!, 'cancel', n.spec, n.timeoutMs, n.signal);
  if (requestFailed(r)) throw await requestError(ctx, 'cancel', n.spec, r, '');
}

class ForwardHandle implements PortForward {
  readonly type: ForwardType;
  readonly spec: string;
  readonly bindAddress: string | undefined;
  readonly port: number | undefined;
  readonly path: string | undefined;
  readonly targetHost: string | undefined;
  readonly targetPort: number | undefined;
  readonly targetPath: string | undefined;
  readonly #ctx: ExecContext;
  readonly #f: ForwardSpec;
  readonly #masterPid: number | undefined;
  readonly #key: string;
  readonly #timeoutMs: number;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort: () => void;
  #closing: Promise<void> | undefined;

  constructor(ctx: ExecContext, f: ForwardSpec, port: number | undefined, masterPid: number | undefined, key: string, n: NormalizedForward) {
    this.type = f.type;
    this.spec = forwardSpec(f);
    this.bindAddress = f.bindAddress;
    this.port = port;
    this.path = f.path;
    this.targetHost = f.targetHost;
    this.targetPort = f.targetPort;
    this.targetPath = f.targetPath;
    this.#ctx = ctx;
    this.#f = f;
    this.#masterPid = masterPid;
    this.#key = key;
    this.#timeoutMs = n.timeoutMs;
    this.#signal = n.signal;
    this.#onAbort = () => void this.close().catch(() => {});
    this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (this.#signal?.aborted) this.#onAbort();
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  close(): Promise<void> {
    return (this.#closing ??= this.#close());
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(): Promise<void> {
    this.#signal?.removeEventListener('abort', this.#onAbort);
    const master = this.#ctx.master;
    if (!release(master, this.#key)) return; // another handle still uses the same forwarding
    // The forwarding lived in the master process: if that is gone, so is the forwarding.
    if (master.error || master.state !== 'running' || master.pid !== this.#masterPid) return this.#removeSocket();
    const r = await forwardRequest(master.ctlPath!, 'cancel', this.#f, this.#timeoutMs);
    if (requestFailed(r)) {
      const error = await requestError(this.#ctx, 'cancel', this.#f, r, '');
      if (error instanceof MasterError) return;
      throw error;
    }
    debug('forward %s cancelled', this.spec);
    this.#removeSocket();
  }

  /** ssh leaves a local listening socket behind (and would refuse the path next time). */
  #removeSocket(): void {
    if (this.type === 'local' && this.path !== undefined && lstatSync(this.path, { throwIfNoEntry: false })?.isSocket()) {
      rmSync(this.path, { force: true });
    }
  }
}
