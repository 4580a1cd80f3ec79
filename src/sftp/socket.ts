import { randomBytes } from 'node:crypto';
import net from 'node:net';

/**
 * The SFTP channel's own socket pair, for the spawn engine: `theirs` becomes the ssh
 * process's stdin and stdout, and this side reads `mine` with `net`'s `onread`: into one
 * buffer used for every read, or where the session says the next bytes belong (a download's
 * data straight into its target buffer, see PacketReceiver.place). A stream's reads would
 * each allocate fresh memory, and touching it cost more than everything else the client does
 * with the bytes (docs/sftp.md, Performance).
 *
 * Made as the spawn helper makes its pairs (src/run/spawn-helper/socket-pair.ts), the
 * other way round: a listening socket in Linux's abstract namespace, this side connects and
 * says a random token first, and only the connection that says it is accepted. Linux only:
 * elsewhere there is no pair and the session uses the process's pipes.
 */

const TOKEN_BYTES = 16;
/** Bounds the connect + accept: both are local and immediate unless the loop is stuck or out of fds. */
const PAIR_TIMEOUT_MS = 10_000;
/** Bytes read at most per read of the socket (the buffer used over and over). */
export const READ_BUFFER_BYTES = 256 * 1024;

/** One connected pair; `fd` is `theirs`'s, to hand to the process, after which `theirs` is closed. */
export interface SftpSocketPair {
  mine: net.Socket;
  theirs: net.Socket;
  fd: number;
  /**
   * Set where the bytes read from `mine` go (each a view only valid during the call; earlier
   * bytes are kept until then), and where each read should put them (`place`, see SftpTransport).
   */
  subscribe(receive: (chunk: Buffer) => void, place?: () => Uint8Array | undefined): void;
}

/** Whether this platform has the abstract namespace the pair needs. */
export const canPair = process.platform === 'linux';

/** A connected pair, or the system's error (EMFILE...). */
export async function socketPair(): Promise<SftpSocketPair> {
  const address = `\0openssh-mux-sftp-${process.pid}-${randomBytes(8).toString('hex')}`;
  const token = randomBytes(TOKEN_BYTES);
  let receive: ((chunk: Buffer) => void) | undefined;
  let place: (() => Uint8Array | undefined) | undefined;
  let early: Buffer[] = [];
  const scratch = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  const onread = (n: number, buf: Uint8Array): boolean => {
    const view = Buffer.from(buf.buffer, buf.byteOffset, n);
    if (receive) receive(view);
    else early.push(Buffer.from(view));
    return true;
  };
  // Asked after every read, for the next one (an empty place would read nothing: not that).
  const next = (): Uint8Array => {
    const p = place?.();
    return p !== undefined && p.length > 0 ? p : scratch;
  };
  const server = net.createServer({ pauseOnConnect: true });
  let mine: net.Socket | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(address, () => resolve());
    });
    const theirs = await new Promise<net.Socket>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`the SFTP socket pair was not connected within ${PAIR_TIMEOUT_MS} ms`)), PAIR_TIMEOUT_MS);
      server.on('error', reject);
      server.on('connection', (s: net.Socket) => {
        // A connection that does not say the token at once is not ours.
        s.on('error', () => {});
        const onReadable = () => {
          const said = s.read(TOKEN_BYTES) as Buffer | null;
          if (said === null) return;
          s.off('readable', onReadable);
          if (said.equals(token) && s.readableLength === 0) resolve(s);
          else s.destroy();
        };
        s.on('readable', onReadable);
      });
      mine = net.connect({ path: address, onread: { buffer: next, callback: onread } });
      mine.once('error', reject);
      mine.write(token);
    });
    mine!.removeAllListeners('error');
    // Failures reach the session through its own listeners; none may crash the process meanwhile.
    mine!.on('error', () => {});
    theirs.pause();
    const fd = (theirs as unknown as { _handle?: { fd?: number } })._handle?.fd;
    if (typeof fd !== 'number' || fd < 0) {
      theirs.destroy();
      throw new Error('could not read the file descriptor of a Unix socket (net.Socket internals changed)');
    }
    return {
      mine: mine!,
      theirs,
      fd,
      subscribe(fn, where) {
        receive = fn;
        place = where;
        for (const c of early) fn(c);
        early = [];
      },
    };
  } catch (e) {
    mine?.destroy();
    throw e;
  } finally {
    clearTimeout(timer);
    server.close();
  }
}
