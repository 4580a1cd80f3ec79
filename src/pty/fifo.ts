import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, SlaveError } from '../errors/index.js';
import { registerCleanup, unregisterCleanup, type Cleanup } from '../master/cleanup.js';

/**
 * A separate stderr for a process on a pty. node-pty makes the terminal the child's stdin,
 * stdout and stderr and has no way to hand it another fd, so the child is started through
 * `sh -c 'exec "$@" 2>"$0"' FIFO prog args...` and its stderr arrives through a named pipe in
 * a private temp directory (mode 0700, the FIFO 0600).
 *
 * We open the read end first (non-blocking, so the child's open for writing never waits), and
 * hold a write end of our own until the child has exited: without it the reader would see
 * end-of-file before the child has even opened the FIFO. The directory is removed by
 * {@link StderrChannel.dispose}, or when this process exits if it is still there.
 */
export interface StderrChannel {
  /** The FIFO the child opens for writing. */
  readonly path: string;
  /** Everything the child writes to its stderr. Ends once every writer has closed it. */
  readonly stream: Socket;
  /** The child has exited: drop our own write end so the stream can end. */
  release(): void;
  /** Destroy the stream (if it has not ended) and remove the FIFO and its directory. */
  dispose(): void;
}

/** Create the FIFO and open it. Throws a SlaveError (`OSSH_SLAVE_PIPE_FAILED`) on failure. */
export function openStderrChannel(): StderrChannel {
  let dir: string | undefined;
  const fds: number[] = [];
  let cleanup: Cleanup | undefined;
  try {
    dir = mkdtempSync(join(tmpdir(), 'openssh-mux-pty-'));
    const where = dir;
    cleanup = registerCleanup({ run: () => rmSync(where, { recursive: true, force: true }) });
    const path = join(dir, 'stderr');
    execFileSync('mkfifo', ['-m', '600', path], { stdio: ['ignore', 'ignore', 'pipe'] });
    const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    fds.push(readFd);
    let holdFd: number | undefined = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    fds.push(holdFd);
    const stream = new Socket({ fd: readFd, readable: true, writable: false });
    const release = () => {
      if (holdFd === undefined) return;
      closeSync(holdFd);
      holdFd = undefined;
    };
    return {
      path,
      stream,
      release,
      dispose: () => {
        release();
        if (!stream.destroyed) stream.destroy();
        rmSync(where, { recursive: true, force: true });
        unregisterCleanup(cleanup);
      },
    };
  } catch (err) {
    for (const fd of fds) closeSync(fd);
    if (dir) rmSync(dir, { recursive: true, force: true });
    unregisterCleanup(cleanup);
    const e = err as Error & { stderr?: Buffer };
    const why = e.stderr?.length ? e.stderr.toString('utf8').trim() : e.message;
    throw new SlaveError(ErrorCode.SLAVE_PIPE_FAILED, `unable to create a FIFO for the stderr of a pty process: ${why}`, { cause: err });
  }
}
