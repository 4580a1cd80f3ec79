import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { registerCleanup, unregisterCleanup } from '../master/cleanup.js';

/**
 * The askpass route: ssh runs `SSH_ASKPASS` (forced by `SSH_ASKPASS_REQUIRE=force`, OpenSSH
 * >= 8.4) with the prompt as its argument and reads the answer from its stdout. Our helper is
 * a small Node script in a private directory (mode 0700) next to the ControlPath; it asks our
 * process for the answer over a Unix socket in the same directory. The secret travels only
 * through that socket and the helper's stdout pipe to ssh: never through a file, an argument
 * or an environment variable.
 */

/** One question from ssh, as the helper reports it. */
export interface AskpassRequest {
  /** The prompt ssh passed to the helper (`(user@host) Password: `, `Enter passphrase for key ...`). */
  prompt: string;
  /** The helper's parent: the ssh process that asks. */
  ppid: number;
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
export async function startAskpass(dir: string, answer: (request: AskpassRequest) => Buffer | undefined): Promise<Askpass> {
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
    writeFileSync(join(dir, 'askpass.cjs'), HELPER, { mode: 0o600 });
    const script = join(dir, 'askpass');
    writeFileSync(script, `#!/bin/sh\nunset NODE_OPTIONS\nexec ${shQuote(process.execPath)} ${shQuote(join(dir, 'askpass.cjs'))} "$@"\n`, { mode: 0o700 });
    const sockPath = join(dir, 'sock');
    server = createServer((conn) => serve(conn, answer));
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

/** Read one request line, answer it, close. */
function serve(conn: Socket, answer: (request: AskpassRequest) => Buffer | undefined): void {
  let text = '';
  let done = false;
  conn.setEncoding('utf8');
  conn.on('error', () => conn.destroy());
  const reply = () => {
    if (done) return;
    done = true;
    let request: AskpassRequest | undefined;
    try {
      const parsed = JSON.parse(text.split('\n')[0]!) as { prompt?: unknown; ppid?: unknown };
      if (typeof parsed.prompt === 'string' && typeof parsed.ppid === 'number') request = { prompt: parsed.prompt, ppid: parsed.ppid };
    } catch {
      // not ours: refuse
    }
    const secret = request ? answer(request) : undefined;
    if (!secret) {
      conn.end('0');
      return;
    }
    const out = Buffer.concat([Buffer.from('1'), secret]);
    secret.fill(0);
    conn.end(out, () => out.fill(0));
  };
  conn.on('data', (chunk: string) => {
    text += chunk;
    if (text.includes('\n')) reply();
  });
  conn.on('end', reply);
}
