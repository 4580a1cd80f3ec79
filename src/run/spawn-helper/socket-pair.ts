import { randomBytes } from 'node:crypto';
import net from 'node:net';

/**
 * Connected pairs of Unix stream sockets, made on the main thread without a native addon:
 * a listening socket in Linux's abstract namespace (no file to create or remove) and one
 * connection to it per pair. The abstract namespace is visible to every local user, so a
 * connection only becomes a pair when its first 16 bytes are the random token this side
 * wrote; anything else is dropped unread.
 *
 * These are the same kind of descriptor libuv gives a child for `stdio: 'pipe'` (a
 * socketpair), so a child started with `theirs` as its stdio behaves exactly as with Node's
 * own pipes.
 */

/** One connected pair: `mine` stays with the caller, `theirs` (paused, never read) is given to a child. */
export interface SocketPair {
  mine: net.Socket;
  theirs: net.Socket;
  /** `theirs`'s file descriptor, to pass to a child as a stdio slot. */
  fd: number;
}

const TOKEN_BYTES = 16;
const TOKEN_WAIT_MS = 5000;
/** A connection not accepted within this long is given up (the loop is stuck or out of fds). */
const ACCEPT_WAIT_MS = 10_000;

export class SocketPairFactory {
  readonly #address = `\0openssh-mux-spawn-${process.pid}-${randomBytes(8).toString('hex')}`;
  readonly #waiting = new Map<string, { resolve(mine: net.Socket): void; reject(e: Error): void }>();
  readonly #server = net.createServer((s) => this.#accept(s));
  readonly #listening: Promise<void>;

  constructor() {
    this.#server.unref();
    this.#listening = new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#address, () => {
        this.#server.off('error', reject);
        // accept() failing (EMFILE, ENFILE) fails the pairs waiting for it.
        this.#server.on('error', (e) => {
          for (const w of this.#waiting.values()) w.reject(e);
          this.#waiting.clear();
        });
        resolve();
      });
    });
  }

  /** The listening socket's abstract address (a leading NUL byte). */
  get address(): string {
    return this.#address;
  }

  /** A new connected pair; rejects with the system's error (EMFILE, ENFILE, ...). */
  async pair(): Promise<SocketPair> {
    await this.#listening;
    const token = randomBytes(TOKEN_BYTES);
    const key = token.toString('hex');
    const theirs = new net.Socket();
    // Never read on this thread: once the child has it, what arrives is the child's to read.
    theirs.pause();
    const accepted = new Promise<net.Socket>((resolve, reject) => this.#waiting.set(key, { resolve, reject }));
    accepted.catch(() => {});
    try {
      await new Promise<void>((resolve, reject) => {
        theirs.once('error', reject);
        theirs.connect({ path: this.#address }, () => {
          theirs.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      this.#waiting.delete(key);
      theirs.destroy();
      throw e;
    }
    theirs.on('error', () => {});
    theirs.write(token);
    // Out of fds, libuv accepts a pending connection and closes it at once without telling
    // the server (its EMFILE trick): watch for that end while waiting, so the pair fails
    // instead of waiting forever. Nothing else is sent to `theirs` before it is handed out.
    let dropped!: () => void;
    const gone = new Promise<never>((_, reject) => {
      dropped = () => reject(Object.assign(new Error('connect EMFILE: the connection was dropped before it was accepted (out of file descriptors)'), { code: 'EMFILE', errno: -24, syscall: 'accept' }));
    });
    gone.catch(() => {});
    theirs.once('end', dropped);
    theirs.once('close', dropped);
    theirs.resume();
    const stuck = setTimeout(dropped, ACCEPT_WAIT_MS);
    let mine: net.Socket;
    try {
      mine = await Promise.race([accepted, gone]);
    } catch (e) {
      this.#waiting.delete(key);
      theirs.destroy();
      throw e;
    } finally {
      clearTimeout(stuck);
      theirs.off('end', dropped);
      theirs.off('close', dropped);
    }
    theirs.pause();
    const fd = (theirs as unknown as { _handle?: { fd?: number } })._handle?.fd;
    if (typeof fd !== 'number' || fd < 0) {
      mine.destroy();
      theirs.destroy();
      throw new Error('could not read the file descriptor of a Unix socket (net.Socket internals changed)');
    }
    return { mine, theirs, fd };
  }

  /** Stop listening (the pairs already made stay connected). */
  close(): void {
    this.#server.close();
  }

  #accept(s: net.Socket): void {
    const ignore = () => {};
    // A connection that does not say its token at once is not ours.
    const stranger = setTimeout(() => s.destroy(), TOKEN_WAIT_MS).unref();
    // Read in paused mode ('readable' + read(n)), never pause(): a socket paused explicitly
    // would not start flowing when its user adds a 'data' listener, as a child's pipe does.
    const onReadable = () => {
      const token = s.read(TOKEN_BYTES) as Buffer | null;
      if (token === null) return;
      clearTimeout(stranger);
      s.off('readable', onReadable);
      s.off('error', ignore);
      const key = token.toString('hex');
      const waiter = this.#waiting.get(key);
      // Nothing but the token is written before the pair is handed out.
      if (!waiter || s.readableLength > 0) {
        s.destroy();
        return;
      }
      this.#waiting.delete(key);
      waiter.resolve(s);
    };
    s.on('error', ignore);
    s.on('readable', onReadable);
  }
}
