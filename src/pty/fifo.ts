import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, SlaveError } from '../errors/index.js';
import { registerCleanup, unregisterCleanup, type Cleanup } from '../master/cleanup.js';

/**
 * Output channels for a process on a pty that are not the terminal. node-pty makes the
 * terminal the child's stdin, stdout and stderr and cannot hand it another fd, so the child
 * is started through a `sh -c 'exec "$@" >"$o" 2>"$e"'` wrapper and its stdout and/or stderr
 * arrive through named pipes in a private temp directory (mode 0700, each FIFO 0600).
 *
 * We open each read end first (non-blocking, so the child's open for writing never waits),
 * and hold a write end of our own until the child has exited: without it a reader would see
 * end-of-file before the child has even opened its FIFO. The directory is removed by
 * {@link FifoSet.dispose}, or when this process exits if it is still there.
 */
export interface Fifo {
  /** The FIFO the child opens for writing. */
  readonly path: string;
  /** Everything the child writes to it. Ends once every writer has closed it. */
  readonly stream: Socket;
}

/** FIFOs in one private directory. */
export interface FifoSet {
  readonly fifos: readonly Fifo[];
  /** The child has exited: drop our own write ends so the streams can end. */
  release(): void;
  /** Destroy the streams that have not ended and remove the FIFOs and their directory. */
  dispose(): void;
}

/** Create `names.length` FIFOs and open them. Throws a SlaveError (`OSSH_SLAVE_PIPE_FAILED`) on failure. */
export function openFifos(names: readonly string[]): FifoSet {
  let dir: string | undefined;
  const holds: number[] = [];
  const fifos: Fifo[] = [];
  let cleanup: Cleanup | undefined;
  const release = () => {
    for (const fd of holds.splice(0)) closeSync(fd);
  };
  try {
    dir = mkdtempSync(join(tmpdir(), 'openssh-mux-pty-'));
    const where = dir;
    cleanup = registerCleanup({ run: () => rmSync(where, { recursive: true, force: true }) });
    for (const name of names) {
      const path = join(dir, name);
      execFileSync('mkfifo', ['-m', '600', path], { stdio: ['ignore', 'ignore', 'pipe'] });
      const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
      let stream: Socket;
      try {
        stream = new Socket({ fd: readFd, readable: true, writable: false });
      } catch (err) {
        closeSync(readFd);
        throw err;
      }
      fifos.push({ path, stream });
      holds.push(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
    }
    return {
      fifos,
      release,
      dispose: () => {
        release();
        for (const f of fifos) if (!f.stream.destroyed) f.stream.destroy();
        rmSync(where, { recursive: true, force: true });
        unregisterCleanup(cleanup);
      },
    };
  } catch (err) {
    release();
    for (const f of fifos) f.stream.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
    unregisterCleanup(cleanup);
    const e = err as Error & { stderr?: Buffer };
    const why = e.stderr?.length ? e.stderr.toString('utf8').trim() : e.message;
    throw new SlaveError(ErrorCode.SLAVE_PIPE_FAILED, `unable to create a FIFO for the output of a pty process: ${why}`, { cause: err });
  }
}
