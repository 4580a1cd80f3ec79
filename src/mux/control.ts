import type { Socket } from 'node:net';
import { MuxProtocolError } from '../errors/index.js';
import { encodeForwardRequest, encodeSimpleRequest, MuxType, type MuxForward, type MuxReply } from './control-messages.js';
import { muxHandshake, nextReply } from './connection.js';

/**
 * Control operations over the mux protocol, in-process (what `ssh -O check|exit|stop|forward|
 * cancel` do, without a process): each opens its own short connection to the ControlPath,
 * says hello, sends one request and reads the reply.
 */

/** Time allowed for one control operation. */
export const CONTROL_TIMEOUT_MS = 5_000;

/** A control request the master answered with MUX_S_FAILURE or MUX_S_PERMISSION_DENIED. */
export class MuxRequestRefused extends Error {
  constructor(
    readonly reply: 'failure' | 'permission-denied',
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'MuxRequestRefused';
  }
}

async function request(ctlPath: string, packet: Buffer, what: string, timeoutMs: number, onSocket?: (s: Socket) => void): Promise<MuxReply> {
  const { socket, split, frames } = await muxHandshake(ctlPath, timeoutMs, (s) => {
    onSocket?.(s);
    s.write(packet);
  });
  try {
    const reply = await nextReply(socket, split, frames, timeoutMs, what);
    if ('requestId' in reply && reply.requestId !== 2) throw new MuxProtocolError('violation', `the master answered ${what} with request id ${reply.requestId}`);
    if (reply.type === 'failure' || reply.type === 'permission-denied') throw new MuxRequestRefused(reply.type, reply.reason);
    return reply;
  } finally {
    socket.destroy();
  }
}

function expect<T extends MuxReply['type']>(reply: MuxReply, type: T, what: string): Extract<MuxReply, { type: T }> {
  if (reply.type !== type) throw new MuxProtocolError('violation', `the master answered ${what} with ${reply.type}`);
  return reply as Extract<MuxReply, { type: T }>;
}

/** `MUX_C_ALIVE_CHECK`: resolves with the master's pid; rejects (MuxProtocolError) when it cannot be reached. */
export async function muxAliveCheck(ctlPath: string, timeoutMs = CONTROL_TIMEOUT_MS): Promise<number> {
  const what = 'the alive check';
  return expect(await request(ctlPath, encodeSimpleRequest(MuxType.C_ALIVE_CHECK, 2), what, timeoutMs), 'alive', what).pid;
}

/** `MUX_C_TERMINATE`: ask the master to exit. */
export async function muxTerminate(ctlPath: string, timeoutMs = CONTROL_TIMEOUT_MS): Promise<void> {
  const what = 'the terminate request';
  try {
    expect(await request(ctlPath, encodeSimpleRequest(MuxType.C_TERMINATE, 2), what, timeoutMs), 'ok', what);
  } catch (err) {
    // The master may exit before its reply is flushed: a close after the request is success (as for `ssh -O exit`).
    if (err instanceof MuxProtocolError && err.reason === 'closed' && !/within/.test(err.message)) return;
    throw err;
  }
}

/** `MUX_C_STOP_LISTENING`: the master removes its socket and accepts no new mux clients. */
export async function muxStopListening(ctlPath: string, timeoutMs = CONTROL_TIMEOUT_MS): Promise<void> {
  const what = 'the stop-listening request';
  expect(await request(ctlPath, encodeSimpleRequest(MuxType.C_STOP_LISTENING, 2), what, timeoutMs), 'ok', what);
}

/**
 * `MUX_C_OPEN_FWD`: set up a forwarding; resolves with the allocated port of a remote forward
 * on port 0. `onSocket` gets the control connection (to unref it, say).
 */
export async function muxOpenForward(ctlPath: string, f: MuxForward, timeoutMs = CONTROL_TIMEOUT_MS, onSocket?: (s: Socket) => void): Promise<number | undefined> {
  const reply = await request(ctlPath, encodeForwardRequest(MuxType.C_OPEN_FWD, 2, f), 'the forward request', timeoutMs, onSocket);
  if (reply.type === 'remote-port') return reply.port;
  expect(reply, 'ok', 'the forward request');
  return undefined;
}

/** `MUX_C_CLOSE_FWD`: cancel a forwarding. `onSocket` as for {@link muxOpenForward}. */
export async function muxCloseForward(ctlPath: string, f: MuxForward, timeoutMs = CONTROL_TIMEOUT_MS, onSocket?: (s: Socket) => void): Promise<void> {
  expect(await request(ctlPath, encodeForwardRequest(MuxType.C_CLOSE_FWD, 2, f), 'the forward cancel request', timeoutMs, onSocket), 'ok', 'the forward cancel request');
}
