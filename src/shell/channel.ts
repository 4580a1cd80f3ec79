import { MarkerScanner } from './scanner.js';
import type { ShellTransport, TransportExit } from './transport.js';

/** How much of the shell's stderr before its first frame is kept (for a start failure). */
const STARTUP_STDERR_MAX = 8 * 1024;

/**
 * One running session shell: its transport, a marker scanner on each output stream, its
 * remote pid and session id once known, and whether it is gone.
 */
export class ShellChannel {
  readonly out = new MarkerScanner();
  readonly err = new MarkerScanner();
  /** The remote shell's pid (`$$`), once the first frame answered. */
  pid: number | undefined;
  /** The remote shell's parent pid (`$PPID`), once known. */
  ppid: number | undefined;
  /** The shell's private directory (stdinData files), once known. */
  dir: string | undefined;
  /** The remote session id of the shell (`ps -o sid=`), once known; '' if ps could not tell. */
  sid: string | undefined;
  /** How the channel ended, once it has. */
  exit: TransportExit | undefined;
  /** stderr received before the first frame's output (login noise, "not found" messages). */
  startupStderr: Buffer[] = [];
  #startupLength = 0;
  #dead = false;
  readonly #onDeath = new Set<() => void>();
  /** The frame running now, told first when the channel closes. */
  running: { died(): void } | undefined;

  constructor(readonly transport: ShellTransport) {
    const ignore = () => {};
    // EPIPE once the shell is gone: the death is reported through `closed`.
    transport.stdin.on('error', ignore);
    transport.stdout.on('error', ignore);
    transport.stderr.on('error', ignore);
    transport.stdout.on('data', (c: Buffer) => this.out.push(c));
    transport.stderr.on('data', (c: Buffer) => {
      if (this.pid === undefined && this.#startupLength < STARTUP_STDERR_MAX) {
        this.startupStderr.push(c);
        this.#startupLength += c.length;
      }
      this.err.push(c);
    });
    void transport.closed.then((exit) => {
      this.exit = exit;
      this.#dead = true;
      this.running?.died();
      for (const f of [...this.#onDeath]) f();
      this.#onDeath.clear();
    });
  }

  /** Whether the shell is gone (or being torn down). */
  get dead(): boolean {
    return this.#dead;
  }

  /** Call `f` once the channel has closed; returns the unsubscribe function. */
  onDeath(f: () => void): () => void {
    if (this.exit) {
      queueMicrotask(f);
      return () => {};
    }
    this.#onDeath.add(f);
    return () => this.#onDeath.delete(f);
  }

  /** Send a frame to the shell. */
  write(text: string): void {
    if (!this.transport.stdin.destroyed) this.transport.stdin.write(text);
  }

  /** Mark the channel unusable and tear it down. */
  kill(): void {
    this.#dead = true;
    this.transport.kill();
  }
}
