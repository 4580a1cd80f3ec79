import type { LoginHandler } from './login-handler.js';
import type { Secret } from './secret.js';

/** How a password or passphrase reaches ssh: see `passwordRoute` in docs/authentication.md. */
export type PasswordRoute = 'auto' | 'pty' | 'askpass';

/** The login settings of a master that needs a pty or an askpass helper, already validated. */
export interface LoginSettings {
  /** The password or passphrase, until the login uses it. */
  secret: Secret | undefined;
  /** The password prompt. */
  prompt: RegExp;
  route: PasswordRoute;
  handler: LoginHandler | undefined;
  /** Run the master on a pty even without a secret or handler. */
  ptyForce: boolean;
  /** ProxyJump hops: their prompts are never answered with the secret. */
  jumps: readonly string[];
}
