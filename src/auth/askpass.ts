import { chmodSync, mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { registerCleanup, unregisterCleanup } from '../master/cleanup.js';
import { debug } from '../log.js';
import { identifyPeer, type PeerIdentity, type PeerProcess } from './askpass-peer.js';

/**
 * The askpass route: ssh runs `SSH_ASKPASS` (forced by `SSH_ASKPASS_REQUIRE=force`, OpenSSH
 * >= 8.4) with the prompt as its argument and reads the answer from its stdout. Our helper is
 * a small Node script in a private directory (mode 0700) next to the ControlPath; it asks our
 * process for the answer over a Unix socket in the same directory. The secret travels only
 * through that socket and the helper's stdout pipe to ssh: never through a file, an argument
 * or an environment variable.
 *
 * Who asks is checked from kernel-reported identity where the platform allows (Linux, see
 * askpass-peer.ts): the process at the other end of the socket must be our helper (Node
 * running this directory's askpass.cjs), and the ppid given to `answer` is its real parent,
 * not what it claims. Any other peer gets nothing and `onIntruder` is told.
 */

/** One question from ssh, as the helper reports it. */
export interface AskpassRequest {
  /** The prompt ssh passed to the helper (`(user@host) Password: `, `Enter passphrase for key ...`). */
  prompt: string;
  /** The helper's parent: the ssh process that asks (kernel-reported when `verified`). */
  ppid: number;
  /** True when the peer was identified from the kernel as our helper; false where that cannot be done. */
  verified: boolean;
}

/** Options of {@link startAskpass}. */
export interface AskpassOptions {
  /** Something other than our helper connected (it was given nothing). */
  onIntruder?: ((message: string) => void) | undefined;
  /** How to identify a peer (tests); the kernel's answer by default. */
  identify?: ((conn: Socket, claimedParent: () => number | undefined) => Promise<PeerIdentity>) | undefined;
}

/** A running askpass channel. */
export interface Askpass {
  /** The private directory (removed by close()). */
  readonly dir: string;
  /** Environment for the master: `SSH_ASKPASS` and `SSH_ASKPASS_REQUIRE=force`. */
  readonly env: Readonly<Record<string, string>>;
  /** Stop serving and remove the directory. Idempotent. */
  close(): void;
}

/** The helper, run by `process.execPath`: ask over ./sock, print the answer, exit 1 when refused. */
const HELPER = `'use strict';
const net = require('net');
const path = require('path');
const chunks = [];
const sock = net.createConnection(path.join(__dirname, 'sock'));
sock.on('connect', () => sock.end(JSON.stringify({ prompt: process.argv[2] || '', ppid: process.ppid }) + '\\n'));
sock.on('data', (c) => chunks.push(c));
sock.on('error', () => process.exit(1));
sock.on('close', () => {
  const all = Buffer.concat(chunks);
  chunks.length = 0;
  if (all.length === 0 || all[0] !== 0x31) process.exit(1);
  process.stdout.write(all.subarray(1), () => {
    all.fill(0);
    process.exit(0);
  });
});
`;

/** Single-quote a word for sh. */
function shQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Create the private directory `dir` (must not exist), write the helper, and serve each
 * connection: `answer(request)` returns the bytes to give ssh (zeroed here once written) or
 * undefined to refuse (the helper then exits 1, which ssh takes as a cancelled prompt).
 */
export async function startAskpass(
  dir: string,
  answer: (request: AskpassRequest) => Buffer | undefined,
  options: AskpassOptions = {},
): Promise<Askpass> {
  mkdirSync(dir, { mode: 0o700 });
  chmodSync(dir, 0o700);
  let server: Server | undefined;
  let closed = false;
  // Also removed if this process ends during the login.
  const lastChance = registerCleanup({ run: () => rmSync(dir, { recursive: true, force: true }) });
  const close = () => {
    if (closed) return;
    closed = true;
    server?.close();
    rmSync(dir, { recursive: true, force: true });
    unregisterCleanup(lastChance);
  };
  try {
    const helper = join(dir, 'askpass.cjs');
    writeFileSync(helper, HELPER, { mode: 0o600 });
    const script = join(dir, 'askpass');
    writeFileSync(script, `#!/bin/sh\nunset NODE_OPTIONS\nexec ${shQuote(process.execPath)} ${shQuote(join(dir, 'askpass.cjs'))} "$@"\n`, { mode: 0o700 });
    const sockPath = join(dir, 'sock');
    const check: PeerCheck = {
      helper: realpathSync(helper),
      node: realpathSync(process.execPath),
      identify: options.identify ?? identifyPeer,
      onIntruder: options.onIntruder ?? (() => {}),
    };
    // allowHalfOpen: the helper ends its side after the request; the answer comes after the (async) peer check.
    server = createServer({ allowHalfOpen: true }, (conn) => serve(conn, answer, check));
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(sockPath, () => {
        server!.off('error', reject);
        resolve();
      });
    });
    chmodSync(sockPath, 0o600);
    return { dir, env: { SSH_ASKPASS: script, SSH_ASKPASS_REQUIRE: 'force' }, close };
  } catch (err) {
    close();
    throw err;
  }
}

/** How {@link serve} checks who connected. */
interface PeerCheck {
  /** Real path of our helper script. */
  helper: string;
  /** Real path of the Node binary that runs it. */
  node: string;
  identify(conn: Socket, claimedParent: () => number | undefined): Promise<PeerIdentity>;
  onIntruder(message: string): void;
}

/** True when `p` is our helper: Node (this one) running our askpass.cjs. */
export function isOurHelper(p: PeerProcess, helper: string, node: string): boolean {
  const exe = p.exe.replace(/ \(deleted\)$/, '');
  if (exe !== node || p.argv.length < 2) return false;
  try {
    return realpathSync(p.argv[1]!) === helper;
  } catch {
    return false;
  }
}

function describeProcess(p: PeerProcess): string {
  return `pid ${p.pid}, parent ${p.ppid}, ${JSON.stringify(p.argv.slice(0, 4).join(' ').slice(0, 200))}`;
}

/** Read one request line, check the peer, answer it, close. */
function serve(conn: Socket, answer: (request: AskpassRequest) => Buffer | undefined, check: PeerCheck): void {
  let text = '';
  let done = false;
  conn.setEncoding('utf8');
  conn.on('error', () => conn.destroy());
  const refuse = () => conn.end('0');
  let claim: { prompt: string; ppid: number } | undefined;
  // Started at once, while the request is still on its way (ss takes a few ms).
  const t0 = performance.now();
  const identified = check.identify(conn, () => claim?.ppid).catch((err: unknown): PeerIdentity => ({ kind: 'unverifiable', why: String(err) }));
  const reply = async () => {
    if (done) return;
    done = true;
    try {
      const parsed = JSON.parse(text.split('\n')[0]!) as { prompt?: unknown; ppid?: unknown };
      if (typeof parsed.prompt === 'string' && typeof parsed.ppid === 'number') claim = { prompt: parsed.prompt, ppid: parsed.ppid };
    } catch {
      // not ours: refused below
    }
    const peer = await identified;
    debug('askpass: peer identified as %s in %d ms', peer.kind, Math.round(performance.now() - t0));
    let request: AskpassRequest | undefined;
    if (peer.kind === 'process') {
      if (!isOurHelper(peer.process, check.helper, check.node)) {
        check.onIntruder(`a process that is not the askpass helper connected to the askpass socket (${describeProcess(peer.process)})`);
        return refuse();
      }
      debug('askpass: the peer is our helper, pid %d, parent %d (kernel-reported)', peer.process.pid, peer.process.ppid);
      if (claim) request = { prompt: claim.prompt, ppid: peer.process.ppid, verified: true };
    } else if (peer.kind === 'unknown') {
      check.onIntruder(`a process that cannot be identified (another user's, or gone: peer socket inode ${peer.inode}) connected to the askpass socket`);
      return refuse();
    } else {
      debug('askpass: the peer cannot be verified (%s): trusting its claim', peer.why);
      if (claim) request = { ...claim, verified: false };
    }
    if (!request) {
      check.onIntruder('the askpass socket received a request that is not from the helper');
      return refuse();
    }
    const secret = answer(request);
    if (!secret) return refuse();
    const out = Buffer.concat([Buffer.from('1'), secret]);
    secret.fill(0);
    conn.end(out, () => out.fill(0));
  };
  conn.on('data', (chunk: string) => {
    text += chunk;
    if (text.includes('\n')) void reply();
  });
  conn.on('end', () => void reply());
}
