import type { NormalizedCall } from '../options/command.js';
import { nodeEngine, type Engine, type RemoteOperation } from '../run/engine.js';
import { createMuxEngine } from './engine.js';

/**
 * Planning: which engine runs a call. A call goes to the mux engine when the chosen engine can
 * run a remote side without a process (`spawnRemote`) and the call needs nothing only a local
 * `ssh` process gives; otherwise it spawns. Decided before anything runs, never retried on
 * the other engine after a failure. The table is in docs/engines.md.
 */

/** Why a call cannot run on the mux engine, or undefined when it can. */
export function muxUnsupported(call: NormalizedCall): string | undefined {
  if (call.dpipe) return 'stdinoutDpipe joins a local program';
  if (call.sshOpts.length > 0) return 'sshOpts are options of a local ssh process';
  if (call.forwardAgent) return 'agent forwarding is not available to proxy-mode clients';
  if (call.forwardX11) return 'X11 forwarding is not available to proxy-mode clients';
  if (call.stdin.kind === 'inherit') return "stdin 'inherit' hands this process's terminal to ssh";
  return undefined;
}

const shared = new WeakMap<Engine, Engine>();

/**
 * Whether a call is a tunnel to a remote Unix socket (`command` is its path). `ssh -W /path`
 * needs OpenSSH >= 9.4 on this side, so such a tunnel always runs as a
 * `direct-streamlocal@openssh.com` channel, whatever the engine (docs/engines.md).
 */
export function isSocketTunnel(call: NormalizedCall, command: string): boolean {
  return call.tunnel && command.startsWith('/');
}

/** The engine with `spawnRemote` for a call, or undefined when the call spawns. */
export function remoteEngineFor(engine: Engine, call: NormalizedCall & { engine?: 'spawn' | 'mux' | undefined }, command = ''): Engine | undefined {
  const socket = isSocketTunnel(call, command);
  if (!socket && (call.engine === 'spawn' || muxUnsupported(call))) return undefined;
  if (engine.spawnRemote) return engine;
  if (call.engine !== 'mux' && !socket) return undefined;
  // A per-call 'mux' on a spawning object: one mux engine per base engine, kept with it.
  let mux = shared.get(engine);
  if (!mux) shared.set(engine, (mux = createMuxEngine(engine ?? nodeEngine)));
  return mux;
}

/** Split a `-W` spec (`host:port`, `[v6]:port`) back into its parts. */
function splitForward(spec: string): { host: string; port: number } {
  const m = /^(?:\[(.*)\]|(.*)):(\d+)$/.exec(spec)!;
  return { host: m[1] ?? m[2]!, port: Number(m[3]) };
}

/** The remote operation of a call, for the mux engine. */
export function remoteOperation(ctlPath: string, command: string, call: NormalizedCall): RemoteOperation {
  if (isSocketTunnel(call, command)) return { ctlPath, kind: 'socket', command, socketPath: command };
  if (call.tunnel) return { ctlPath, kind: 'tunnel', command, tunnel: splitForward(command) };
  return { ctlPath, kind: call.subsystem ? 'subsystem' : 'exec', command, tty: call.tty === true, env: call.env };
}
