import type { Duplex } from 'node:stream';
import type { MasterFailureReason } from '../errors/index.js';
import type { LoginContext, LoginHandler } from './login-handler.js';
import { askedAgain, endsWithPrompt, hostKeyProblem, isKeyPassphrasePrompt, lastLine, promptForJumpHost } from './prompt.js';
import type { Secret } from './secret.js';

/** How much terminal output `getMasterPtyLog()` keeps (Net::OpenSSH's 4096 bytes). */
export const PTY_LOG_BYTES = 4096;
/** A login handler is also called this often while nothing is shown. */
export const HANDLER_TICK_MS = 100;

/** What a {@link PtyLogin} drives. */
export interface PtyLoginOptions {
  terminal: Duplex;
  /** The password or passphrase to type at the first prompt (dropped once typed). */
  secret?: Secret | undefined;
  prompt: RegExp;
  handler?: LoginHandler | undefined;
  /** ProxyJump hops: a prompt naming one of them is never answered. */
  jumps: readonly string[];
  host: string;
  user: string | undefined;
  port: number | undefined;
  /** ssh's stderr so far (for the handler's `ctx.stderr`). */
  stderr(): string;
  /** Fail the login (tears the master down). Called at most once. */
  fail(reason: MasterFailureReason, message: string, cause?: unknown): void;
  /** The secret was typed or the handler is done. */
  onAwaiting?(): void;
}

/**
 * The login on the master's terminal, Net::OpenSSH's LOGIN and AWAITING_MUX pty rules
 * (reference section 1.4):
 *
 * - `login` (a secret or a handler to run): host-key questions fail at once; a key's
 *   passphrase prompt gets an empty answer when the secret is a password (ssh skips the
 *   key); otherwise the secret is typed at the first prompt seen anywhere in the output, or
 *   the handler is called until it reports done.
 * - `awaiting` (secret typed, handler done, or only `masterPtyForce`): a host-key question,
 *   or output that ends with a prompt, fails the login at once ("asked again").
 * - `done` once the master is running (the log is discarded) or the login failed.
 *
 * Output is kept (the last {@link PTY_LOG_BYTES}) for `getMasterPtyLog()`.
 */
export class PtyLogin {
  #o: PtyLoginOptions;
  #phase: 'login' | 'awaiting' | 'done';
  /** Output not yet acted on (cleared when the secret is typed or the handler is done). */
  #buffer = '';
  /** Everything shown, for the handler. */
  #output = '';
  #log = '';
  #busy = false;
  #tick: NodeJS.Timeout | undefined;
  #state: Record<string, unknown> = {};
  readonly #onData = (chunk: Buffer | string) => this.#feed(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));

  constructor(o: PtyLoginOptions) {
    this.#o = o;
    this.#phase = o.secret || o.handler ? 'login' : 'awaiting';
    o.terminal.on('data', this.#onData);
    if (o.handler) {
      this.#tick = setInterval(() => this.#step(), HANDLER_TICK_MS);
      this.#tick.unref();
      // A first call at once, but not in a microtask: one that fails the login must come after
      // the master has recorded its child (in the microtasks that follow the spawn), or the
      // child would be left running.
      setImmediate(() => this.#step()).unref();
    }
  }

  /** The last 4 KiB of terminal output ('' once discarded). */
  get log(): string {
    return this.#log;
  }

  /** The master is running: stop watching, discard the log (output is still drained). */
  succeeded(): void {
    this.#stop();
    this.#log = '';
    this.#o.secret?.drop();
  }

  /** The login is over without success: stop watching, keep the log. */
  stopped(): void {
    this.#stop();
    this.#o.secret?.drop();
  }

  #stop(): void {
    this.#phase = 'done';
    clearInterval(this.#tick);
    this.#tick = undefined;
    this.#buffer = '';
    this.#output = '';
    this.#state = {};
    // Keep draining the terminal (ssh must never block on it); the data is dropped.
    this.#o.terminal.off('data', this.#onData);
    this.#o.terminal.on('data', () => {});
  }

  #feed(text: string): void {
    if (this.#phase === 'done') return;
    this.#log = (this.#log + text).slice(-PTY_LOG_BYTES);
    this.#buffer += text;
    if (this.#o.handler && this.#phase === 'login') this.#output += text;
    this.#step();
  }

  #fail(reason: MasterFailureReason, message: string, cause?: unknown): void {
    this.stopped();
    this.#o.fail(reason, message, cause);
  }

  #step(): void {
    if (this.#phase === 'done') return;
    const o = this.#o;
    if (this.#phase === 'login' && o.handler) {
      this.#runHandler(o.handler);
      return;
    }
    const hk = hostKeyProblem(this.#buffer);
    if (hk) return this.#fail(hk.reason, `${hk.summary}: ${hk.line}`);
    if (this.#phase === 'login' && o.secret?.kind === 'password' && isKeyPassphrasePrompt(this.#buffer)) {
      // A key of keyPath wants its passphrase: an empty answer makes ssh skip the key and go
      // on to the password methods (PreferredAuthentications).
      o.terminal.write('\n');
      this.#buffer = '';
      return;
    }
    if (this.#phase === 'login' && o.secret && o.prompt.test(this.#buffer)) {
      const asked = lastLine(this.#buffer);
      if (promptForJumpHost(asked, o.host, o.jumps)) {
        return this.#fail('auth', `a jump host asked for a ${o.secret.kind} ("${asked}"); it is only ever given to ${o.host}: configure the jump host's login in your ssh config`);
      }
      const bytes = o.secret.reveal('\n');
      o.terminal.write(bytes);
      bytes.fill(0);
      o.secret.drop();
      this.#buffer = '';
      this.#phase = 'awaiting';
      o.onAwaiting?.();
      return;
    }
    if (this.#phase === 'awaiting' && endsWithPrompt(this.#buffer, o.prompt)) {
      const asked = lastLine(this.#buffer);
      const message = o.secret
        ? askedAgain(o.secret.kind, asked, 'typed')
        : o.handler
          ? `the login handler reported done, but ssh asks again ("${asked}")`
          : `ssh is waiting for an answer on the terminal ("${asked}") and nothing answers it`;
      this.#fail('auth', message);
    }
  }

  #runHandler(handler: LoginHandler): void {
    if (this.#busy) return;
    const o = this.#o;
    const self = this;
    const ctx: LoginContext = {
      pty: o.terminal,
      get output() {
        return self.#output;
      },
      get stderr() {
        return o.stderr();
      },
      state: this.#state,
      host: o.host,
      user: o.user,
      port: o.port,
      write: (text) => {
        if (self.#phase !== 'done') o.terminal.write(text);
      },
    };
    let result: boolean | Promise<boolean>;
    try {
      result = handler(ctx);
    } catch (err) {
      return this.#handlerFailed(err);
    }
    if (typeof (result as Promise<boolean>)?.then !== 'function') return this.#handlerResult(result as boolean);
    this.#busy = true;
    (result as Promise<boolean>).then(
      (done) => {
        this.#busy = false;
        this.#handlerResult(done);
      },
      (err: unknown) => {
        this.#busy = false;
        this.#handlerFailed(err);
      },
    );
  }

  #handlerResult(done: boolean): void {
    if (!done || this.#phase !== 'login') return;
    clearInterval(this.#tick);
    this.#tick = undefined;
    this.#buffer = '';
    this.#output = '';
    this.#phase = 'awaiting';
    this.#o.onAwaiting?.();
  }

  #handlerFailed(err: unknown): void {
    if (this.#phase === 'done') return;
    const why = err instanceof Error ? err.message : String(err);
    this.#fail('login-handler', `custom login handler failed: ${why}`, err);
  }
}
