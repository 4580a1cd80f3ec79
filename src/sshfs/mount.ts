import { SshfsError } from '../errors/index.js';
import { registerCleanup, unregisterCleanup, type Cleanup } from '../master/cleanup.js';

/** Options of {@link SshfsMount.close}. */
export interface SshfsCloseOptions {
  /**
   * Detach the file system even when it is in use (`fusermount -u -z`): it disappears from
   * the mount point at once and goes away when the last file is closed. Default false: a busy
   * file system is left mounted and close() rejects with an SshfsError (`busy`).
   */
  lazy?: boolean;
}

/** A mounted sshfs file system, as `sshfsImport()` and `sshfsExport()` resolve with it. */
export interface SshfsMount extends AsyncDisposable {
  /** `import` (a remote directory mounted here) or `export` (a local one mounted there). */
  readonly kind: 'import' | 'export';
  /** Where it is mounted: the absolute local path (import) or the remote path as given (export). */
  readonly mountpoint: string;
  /** What is mounted: `host:dir` (import) or the absolute local directory (export). */
  readonly source: string;
  /** pid of the local process that keeps it: sshfs (import) or the slave ssh (export). */
  readonly pid: number | undefined;
  /** True once close() has been called (or the disconnect closed it). */
  readonly closed: boolean;
  /**
   * Settles when the file system's process has exited: resolves after close(); rejects with
   * an SshfsError (`exited`) when sshfs ended by itself (the connection was lost, someone
   * unmounted it). Never an unhandled rejection when nobody listens.
   */
  readonly done: Promise<void>;
  /**
   * Unmount (`fusermount3 -u`, locally or remotely) and wait for sshfs to exit (stopping it
   * if it has not after 5 s). Rejects with an SshfsError `busy` when the file system is in use
   * (the handle stays open: close again, or pass `lazy: true`). With `lazy: true` a file
   * system still in use is detached at once and its sshfs ends when the last open file is
   * closed (`done` settles then). Calling it again while it runs returns the same promise;
   * once it has succeeded, it resolves at once.
   */
  close(options?: SshfsCloseOptions): Promise<void>;
}

/** What a mount of either kind provides to its handle. */
export interface MountImpl {
  kind: 'import' | 'export';
  mountpoint: string;
  source: string;
  pid: number | undefined;
  /** Settles when the process keeping the mount has exited (never rejects). */
  exited: Promise<unknown>;
  /** Unmount; resolves with the error when it failed (and the file system is still there). */
  unmount(lazy: boolean): Promise<SshfsError | undefined>;
  /** Stop the process (SIGTERM, SIGKILL later). */
  kill(): void;
  /** Synchronous last-chance cleanup at process exit (a lazy unmount, a kill). */
  cleanupSync(): void;
  /** The error for `done` when the process exited without close(). */
  exitError(): SshfsError;
}

/** How long close() waits for sshfs to exit after a successful unmount before stopping it. */
const EXIT_WAIT_MS = 5000;
/** After a lazy unmount: an idle file system's sshfs exits at once, a busy one's not before its files are closed. */
const LAZY_EXIT_WAIT_MS = 1000;

/** The mounts of one OpenSSH object: closed (lazily) before its disconnect. */
export class SshfsMounts {
  readonly #open = new Set<MountHandle>();

  add(m: MountHandle): void {
    this.#open.add(m);
  }

  delete(m: MountHandle): void {
    this.#open.delete(m);
  }

  /** How many are open. */
  get size(): number {
    return this.#open.size;
  }

  /** Close every mount, lazily (a busy one is detached); never rejects. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#open].map((m) => m.closeForDisconnect()));
  }
}

/** The {@link SshfsMount} of a mounted file system. */
export class MountHandle implements SshfsMount {
  readonly kind: 'import' | 'export';
  readonly mountpoint: string;
  readonly source: string;
  readonly pid: number | undefined;
  readonly done: Promise<void>;
  readonly #impl: MountImpl;
  readonly #mounts: SshfsMounts;
  readonly #cleanup: Cleanup;
  #closing: Promise<void> | undefined;
  #closeAsked = false;
  #exited = false;

  constructor(impl: MountImpl, mounts: SshfsMounts) {
    this.kind = impl.kind;
    this.mountpoint = impl.mountpoint;
    this.source = impl.source;
    this.pid = impl.pid;
    this.#impl = impl;
    this.#mounts = mounts;
    this.#cleanup = registerCleanup({ run: () => impl.cleanupSync() });
    mounts.add(this);
    this.done = impl.exited.then(() => {
      this.#exited = true;
      this.#forget();
      if (!this.#closeAsked) throw impl.exitError();
    });
    this.done.catch(() => {});
  }

  get closed(): boolean {
    return this.#closeAsked;
  }

  #forget(): void {
    unregisterCleanup(this.#cleanup);
    this.#mounts.delete(this);
  }

  close(options: SshfsCloseOptions = {}): Promise<void> {
    if (options === null || typeof options !== 'object') throw new TypeError(`close() options must be an object, received ${options === null ? 'null' : typeof options}`);
    const lazy = options.lazy ?? false;
    if (typeof lazy !== 'boolean') throw new TypeError(`option 'lazy' of close() must be a boolean, received ${typeof lazy}`);
    return this.#closeWith(lazy, false);
  }

  #closeWith(lazy: boolean, force: boolean): Promise<void> {
    this.#closing ??= this.#close(lazy, force).catch((err: unknown) => {
      this.#closing = undefined;
      throw err;
    });
    return this.#closing;
  }

  /**
   * Unmount, then wait (bounded) for the process to exit. After a lazy unmount a file system
   * still in use keeps serving its open files, so its process is left to end with the last
   * of them, unless `force` (the connection is going away): then it is stopped.
   */
  async #close(lazy: boolean, force: boolean): Promise<void> {
    if (this.#exited) {
      this.#closeAsked = true;
      return;
    }
    // Set before unmounting: sshfs may exit before fusermount does.
    this.#closeAsked = true;
    const failed = await this.#impl.unmount(lazy);
    if (failed && !this.#exited) {
      this.#closeAsked = false;
      throw failed;
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, lazy && !force ? LAZY_EXIT_WAIT_MS : EXIT_WAIT_MS)));
    await Promise.race([this.#impl.exited, late]);
    clearTimeout(timer);
    if (this.#exited) return this.done;
    if (lazy && !force) return;
    this.#impl.kill();
    await this.#impl.exited;
    return this.done;
  }

  /** Close for a disconnect: lazily, and stop the process if it does not end by itself. */
  async closeForDisconnect(): Promise<void> {
    try {
      await this.#closeWith(true, true);
    } catch {
      this.#closeAsked = true;
      this.#impl.kill();
      await this.#impl.exited;
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
