// The floor of a Node.js SFTP client, for bench/sftp.mjs: the leanest download and upload
// loops Node can run over the same kind of channel as the library, so that the benchmark
// can tell the library's own cost (library / floor) from what any Node process pays on this
// machine (floor / OpenSSH's sftp).
//
// What it does, and nothing more: one `ssh -S <ctl> -s <host> sftp` process whose stdin and
// stdout are a Unix socket (the library's socketPair(), as the spawn engine uses), SFTP
// version 3 (requests made by the library's pure encoders; an upload's WRITE is written
// around its data in one buffer), no promises on the per-packet path, a fixed set of buffers used over and over,
// and the local file read and written with readSync/writeSync on the event loop. A download
// reads each DATA reply's data straight into its buffer (13-byte heads read on their own,
// the way the library reads them). It assumes what OpenSSH's sftp-server does: replies in the
// order of the requests, and a short read only at the end of the file. Anything else (an
// error status, a reply out of order) throws. Not for use outside the benchmark.

import { spawn } from 'node:child_process';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { FX, FXF, FXP } from '../dist/sftp/constants.js';
import { encodeInit, encodeOneString, encodeOpen, encodeRead } from '../dist/sftp/messages.js';
import { socketPair } from '../dist/sftp/socket.js';

/** uint32 length, byte type, uint32 id, uint32 data length. */
const DATA_HEAD = 13;

/**
 * Start the floor client's sftp session over the master at `ctlPath`.
 * Returns `{ get(src, dst), put(src, dst), close() }`; each call is one whole transfer.
 */
export async function openFloorClient({ ctlPath, port, target, chunkSize, reads, writes }) {
  const pair = await socketPair();
  // ProxyCommand=false: if the master's socket failed, ssh would otherwise log in on its own and
  // the floor would measure another connection.
  const argv = ['-o', 'ControlMaster=no', '-o', 'ProxyCommand=false', '-S', ctlPath, '-p', String(port), '-s', target, 'sftp'];
  const child = spawn('ssh', argv, { stdio: [pair.fd, pair.fd, 'inherit'] });
  await new Promise((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  pair.theirs.destroy();
  const sock = pair.mine;
  let failure;
  child.once('exit', (code, signal) => (failure ??= new Error(`the floor client's ssh exited (${code ?? signal})`)));
  // What fails the wait under way (a reply, a transfer) when the socket closes.
  let abort = () => {};
  sock.on('close', () => abort(failure ?? new Error('the floor client lost its socket')));

  // Two ways of reading, switched by the transfer under way. Whole packets, copied (setup,
  // status replies): `onPacket` gets each payload. In place (a download): `place()` says where
  // the next read goes, `step(n)` takes the n bytes read there.
  let pending = Buffer.alloc(0);
  let onPacket;
  let place = () => undefined;
  let step;
  let expected;
  const copyIn = (chunk) => {
    pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk]);
    while (pending.length >= 4 && pending.length >= 4 + pending.readUInt32BE(0)) {
      const len = pending.readUInt32BE(0);
      const p = pending.subarray(4, 4 + len);
      pending = pending.subarray(4 + len);
      onPacket(p);
    }
  };
  pair.subscribe(
    (chunk) => {
      const inPlace = expected !== undefined && chunk.buffer === expected.buffer && chunk.byteOffset === expected.byteOffset;
      expected = undefined;
      if (step === undefined) copyIn(chunk);
      else if (inPlace) step(chunk.length);
      else {
        // Read before the switch to in-place reading: copied to where it belongs.
        for (let at = 0; at < chunk.length; ) {
          if (step === undefined) {
            copyIn(chunk.subarray(at));
            break;
          }
          const to = place();
          const n = Math.min(to.length, chunk.length - at);
          to.set(chunk.subarray(at, at + n));
          at += n;
          step(n);
        }
      }
    },
    () => (expected = place()),
  );
  const reply = () =>
    new Promise((resolve, reject) => {
      onPacket = resolve;
      abort = reject;
    });
  const status = (p, what) => {
    if (p[0] !== FXP.STATUS) throw new Error(`${what}: reply of type ${p[0]}`);
    const code = p.readUInt32BE(5);
    if (code !== 0) throw new Error(`${what}: status ${code}`);
  };

  sock.write(encodeInit());
  const version = await reply();
  if (version[0] !== FXP.VERSION) throw new Error(`INIT: reply of type ${version[0]}`);

  let id = 1;
  const open = async (path, pflags) => {
    sock.write(encodeOpen(id++, path, pflags));
    const p = await reply();
    if (p[0] !== FXP.HANDLE) status(p, `OPEN ${path}`);
    return Buffer.from(p.subarray(9, 9 + p.readUInt32BE(5)));
  };
  const close = async (handle) => {
    sock.write(encodeOneString(FXP.CLOSE, id++, handle));
    status(await reply(), 'CLOSE');
  };
  const readBuffers = Array.from({ length: reads }, () => Buffer.allocUnsafeSlow(chunkSize));

  /** Download `src` to `dst`: `reads` READs of `chunkSize` in flight. */
  const get = async (src, dst) => {
    const handle = await open(src, FXF.READ);
    const fd = openSync(dst, 'w');
    try {
      await new Promise((resolve, reject) => {
        abort = reject;
        const free = [...readBuffers];
        const queue = []; // in request order: { id, offset, buf }
        let offset = 0;
        let eof = false;
        const request = () => {
          const r = { id: id++, offset, buf: free.pop() };
          queue.push(r);
          sock.write(encodeRead(r.id, handle, offset, chunkSize));
          offset += chunkSize;
        };
        const head = Buffer.alloc(DATA_HEAD);
        let headAt = 0;
        let body; // where the rest of the current reply goes: a DATA's data, or a STATUS's message
        let bodyAt = 0;
        let statusCode; // the current reply's, if it is a STATUS
        const fail = (e) => {
          step = undefined;
          place = () => undefined;
          reject(e);
        };
        const finish = () => {
          const r = queue.shift();
          if (statusCode === undefined) {
            writeSync(fd, body, 0, body.length, r.offset);
            if (body.length < chunkSize) eof = true;
          } else if (statusCode === FX.EOF) eof = true;
          else return fail(new Error(`READ: status ${statusCode}`));
          body = undefined;
          free.push(r.buf);
          if (!eof) request();
          if (queue.length === 0) {
            step = undefined;
            place = () => undefined;
            resolve();
          }
        };
        place = () => (body !== undefined ? body.subarray(bodyAt) : head.subarray(headAt));
        step = (n) => {
          if (body !== undefined) {
            bodyAt += n;
            if (bodyAt === body.length) finish();
            return;
          }
          headAt += n;
          if (headAt < DATA_HEAD) return;
          headAt = 0;
          bodyAt = 0;
          const r = queue[0];
          if (head.readUInt32BE(5) !== r.id) return fail(new Error(`reply ${head.readUInt32BE(5)} out of order (expected ${r.id})`));
          // DATA: the data length ends the head. STATUS: its code does; its message follows.
          if (head[4] === FXP.DATA) [body, statusCode] = [r.buf.subarray(0, head.readUInt32BE(9)), undefined];
          else if (head[4] === FXP.STATUS) [body, statusCode] = [Buffer.alloc(head.readUInt32BE(0) + 4 - DATA_HEAD), head.readUInt32BE(9)];
          else return fail(new Error(`READ: reply of type ${head[4]}`));
          if (body.length === 0) finish();
        };
        for (let i = 0; i < reads; i++) request();
      });
    } finally {
      closeSync(fd);
      await close(handle);
    }
  };

  /** Upload `src` to `dst`: `writes` WRITEs of `chunkSize` in flight. */
  const put = async (src, dst) => {
    const handle = await open(dst, FXF.WRITE | FXF.CREAT | FXF.TRUNC);
    const fd = openSync(src, 'r');
    // length, type, id, the handle as a string, offset, the data's length: then the data, read in place.
    const prefix = 4 + 1 + 4 + 4 + handle.length + 8 + 4;
    const slots = Array.from({ length: writes }, () => Buffer.allocUnsafeSlow(prefix + chunkSize));
    try {
      await new Promise((resolve, reject) => {
        abort = reject;
        let offset = 0;
        let done = false;
        const inFlight = []; // the buffers of the WRITEs sent, in order: OpenSSH acknowledges in order
        const send = (buf) => {
          const n = readSync(fd, buf, prefix, chunkSize, offset);
          if (n === 0) {
            done = true;
            return;
          }
          buf.writeUInt32BE(prefix - 4 + n, 0);
          buf[4] = FXP.WRITE;
          buf.writeUInt32BE(id++, 5);
          buf.writeUInt32BE(handle.length, 9);
          handle.copy(buf, 13);
          buf.writeBigUInt64BE(BigInt(offset), 13 + handle.length);
          buf.writeUInt32BE(n, 21 + handle.length);
          sock.write(buf.subarray(0, prefix + n));
          offset += n;
          inFlight.push(buf);
        };
        onPacket = (p) => {
          try {
            status(p, 'WRITE');
          } catch (e) {
            return reject(e);
          }
          // The server has had the whole WRITE: its buffer is free again.
          const buf = inFlight.shift();
          if (!done) send(buf);
          if (inFlight.length === 0) resolve();
        };
        for (const buf of slots) if (!done) send(buf);
        if (inFlight.length === 0) resolve();
      });
    } finally {
      closeSync(fd);
      await close(handle);
    }
  };

  return {
    get,
    put,
    close() {
      sock.end();
      child.kill();
      return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
    },
  };
}
