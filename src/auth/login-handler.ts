import type { Duplex } from 'node:stream';

/**
 * What a `loginHandler` gets each time it is called. The handler reads `output` (everything
 * ssh has shown on the master's terminal so far) and `stderr` (what ssh printed on its
 * stderr: banners, warnings), answers with `write()`, and keeps whatever it needs between
 * calls in `state`.
 */
export interface LoginContext {
  /** The master's terminal. Prefer `write()` and `output` to reading it yourself. */
  readonly pty: Duplex;
  /** Everything ssh has shown on the terminal since it started (prompts, questions). */
  readonly output: string;
  /** What ssh has printed on its stderr so far (the server's banner, warnings, errors). */
  readonly stderr: string;
  /** A scratch object of your own, the same one on every call (Net::OpenSSH's `$data`). */
  readonly state: Record<string, unknown>;
  /** The target, as ssh got it. */
  readonly host: string;
  readonly user: string | undefined;
  readonly port: number | undefined;
  /** Type `text` on the terminal (add the `\n` yourself). */
  write(text: string | Buffer): void;
}

/**
 * A custom login: called after each piece of terminal output and every 100 ms until it
 * returns (or resolves) `true`; it is never called again while a returned promise is
 * pending. Throwing (or rejecting) fails the login with a MasterError (reason
 * `login-handler`) whose `cause` is what was thrown. After it reports done, a password
 * prompt at the end of the terminal output fails the login (the server asked again).
 */
export type LoginHandler = (ctx: LoginContext) => boolean | Promise<boolean>;
