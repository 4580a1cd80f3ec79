import { startAskpass } from '../auth/askpass.js';
import { askedAgain, hostKeyProblem, isKeyPassphrasePrompt, lastLine } from '../auth/prompt.js';
import { PtyLogin } from '../auth/pty-login.js';
import type { LoginSettings } from '../auth/settings.js';
import { ASKPASS_REQUIRE_SINCE, atLeast, sshVersion } from '../auth/ssh-version.js';
import type { MasterFailureReason } from '../errors/index.js';
import { debug } from '../log.js';
import { createPtyEngine, type PtyProcess } from '../pty/engine.js';
import { loadPty } from '../pty/load.js';
import type { Engine, RunningProcess, StdioSlot } from '../run/engine.js';

/** A login that could not even start (no node-pty, an old ssh...): the master fails with it. */
export class LoginProblem extends Error {
  constructor(
    readonly reason: MasterFailureReason,
    message: string,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

/** A running login, as the master sees it. */
export interface Login {
  /** Which way the secret (if any) goes. */
  readonly route: 'pty' | 'askpass';
  /** The last 4 KiB of the master's terminal output ('' without a pty, or once the master is running). */
  readonly ptyLog: string;
  /** The master is running (`true`) or the login failed: drop the secret, stop serving. */
  end(success: boolean): void;
}

/** Inputs of {@link startLogin}. */
export interface LoginStart {
  login: LoginSettings;
  engine: Engine;
  sshCmd: string;
  ctlPath: string;
  /** The master's argv, program first. */
  argv: readonly string[];
  stdout: StdioSlot;
  stderr: StdioSlot;
  host: string;
  user: string | undefined;
  port: number | undefined;
  masterPid(): number | undefined;
  /** ssh's stderr so far. */
  readLog(): string;
  /** The secret was given (or the handler is done): the master now waits for the socket. */
  onAwaiting(): void;
  fail(reason: MasterFailureReason, message: string, cause?: unknown): void;
}

/** What {@link startLogin} started. */
export interface StartedLogin {
  child: RunningProcess;
  login: Login;
}

/** Which route a login takes: a handler or masterPtyForce needs the pty; a secret follows passwordRoute. */
export function chooseRoute(login: LoginSettings, ptyLoads: () => boolean): 'pty' | 'askpass' {
  if (login.handler || login.ptyForce || !login.secret) return 'pty';
  if (login.route === 'auto') return ptyLoads() ? 'pty' : 'askpass';
  return login.route;
}

/**
 * The master's environment for a login: no `SSH_ASKPASS`/`SSH_ASKPASS_REQUIRE` of the
 * caller's (on the pty route prompts must come to the terminal; on the askpass route ours
 * replace them), and no `SSH_AUTH_SOCK` with a passphrase (the agent would bypass the key).
 */
export function loginEnv(base: NodeJS.ProcessEnv, login: LoginSettings): NodeJS.ProcessEnv {
  const env = { ...base };
  delete env.SSH_ASKPASS;
  delete env.SSH_ASKPASS_REQUIRE;
  if (login.secret?.kind === 'passphrase') delete env.SSH_AUTH_SOCK;
  return env;
}

function ptyLoads(): boolean {
  try {
    loadPty();
    return true;
  } catch {
    return false;
  }
}

/** Spawn the master for a login on the chosen route and start driving it. */
export async function startLogin(o: LoginStart): Promise<StartedLogin> {
  const { login } = o;
  const route = chooseRoute(login, ptyLoads);
  const env = loginEnv(process.env, login);
  debug('master %s login through %s', o.host, route === 'pty' ? 'a pty' : 'askpass');
  return route === 'pty' ? startOnPty(o, env) : startWithAskpass(o, env);
}

function startOnPty(o: LoginStart, env: NodeJS.ProcessEnv): StartedLogin {
  const { login } = o;
  try {
    loadPty();
  } catch (err) {
    const hint = login.secret && !login.handler && !login.ptyForce ? "; or pass passwordRoute: 'askpass' (no native module needed)" : '';
    throw new LoginProblem('spawn', `${(err as Error).message}${hint}`, err);
  }
  const engine = createPtyEngine({ stderrOnPty: false });
  const child = engine.spawn({ file: o.argv[0]!, args: o.argv.slice(1), stdio: ['pipe', 'pipe', o.stderr], env });
  child.unref();
  endWhenAlone(child, o.host);
  const pty = new PtyLogin({
    terminal: child.terminal,
    secret: login.secret,
    prompt: login.prompt,
    handler: login.handler,
    jumps: login.jumps,
    host: o.host,
    user: o.user,
    port: o.port,
    stderr: o.readLog,
    onAwaiting: o.onAwaiting,
    fail: o.fail,
  });
  return {
    child,
    login: {
      route: 'pty',
      get ptyLog() {
        return pty.log;
      },
      end: (success) => (success ? pty.succeeded() : pty.stopped()),
    },
  };
}

/** How often a master on a pty checks whether it alone keeps this process alive. */
export const ALONE_CHECK_MS = 250;

/**
 * node-pty watches its child's exit from a native handle that cannot be unref'd, so a master
 * on a pty would keep Node running for as long as it lives (a plain master is unref'd, and
 * the process-exit cleanup stops it). To behave the same, an unref'd timer looks at what else
 * keeps the process alive; when nothing does (twice in a row), the program is done: the
 * master is stopped, as the exit cleanup would have done, and the process can end.
 */
function endWhenAlone(child: PtyProcess, host: string): void {
  if (typeof process.getActiveResourcesInfo !== 'function' || child.pid === undefined) return;
  let idle = 0;
  const timer = setInterval(() => {
    idle = nothingElseAlive() ? idle + 1 : 0;
    if (idle < 2) return;
    clearInterval(timer);
    debug('master %s: nothing but its pty keeps the process alive: stopping it', host);
    child.kill('SIGTERM');
  }, ALONE_CHECK_MS);
  timer.unref();
  void child.exited.then(() => clearInterval(timer));
}

/**
 * True when nothing that keeps the event loop alive is left but stdout and stderr (which Node
 * lists as ref'd handles when they are pipes, though an idle one holds nothing). A ref'd
 * timer, immediate, socket, server, child process, worker or stdin still in use counts.
 * Native handles of other addons cannot be seen: a program waiting only on one of those
 * would look done (documented).
 */
export function nothingElseAlive(
  resources: () => string[] = () => process.getActiveResourcesInfo(),
  handles: () => unknown[] = () => (process as unknown as { _getActiveHandles?: () => unknown[] })._getActiveHandles?.() ?? [],
): boolean {
  const info = resources();
  if (info.length === 0) return true;
  const stdio = handles().filter((h) => {
    const o = h as { fd?: unknown; _handle?: { fd?: unknown } } | null;
    const fd = o?.fd ?? o?._handle?.fd;
    return fd === 1 || fd === 2;
  }).length;
  return info.length <= stdio && info.every((r) => r === 'PipeWrap' || r === 'TTYWrap');
}

async function startWithAskpass(o: LoginStart, env: NodeJS.ProcessEnv): Promise<StartedLogin> {
  const secret = o.login.secret!;
  const version = await sshVersion(o.engine, o.sshCmd);
  if (version && !atLeast(version, ASKPASS_REQUIRE_SINCE)) {
    secret.drop();
    throw new LoginProblem(
      'spawn',
      `the askpass route needs OpenSSH ${ASKPASS_REQUIRE_SINCE.major}.${ASKPASS_REQUIRE_SINCE.minor} or later (SSH_ASKPASS_REQUIRE), ` +
        `but ${o.sshCmd} is ${version.text}; install the optional package node-pty for the pty route`,
    );
  }
  const kind = secret.kind;
  const askpass = await startAskpass(`${o.ctlPath}.askpass`, (req) => {
    const asked = lastLine(req.prompt);
    const master = o.masterPid();
    // A jump host's ssh (ProxyJump, ProxyCommand) is a process of its own: it is refused here.
    if (master === undefined || req.ppid !== master) {
      o.fail('auth', `a process other than the master ssh (pid ${req.ppid}, not pid ${master}) asked for the ${kind} through askpass ("${asked}"); it is only given to the master (a jump host? configure its login in your ssh config)`);
      return undefined;
    }
    const hk = hostKeyProblem(req.prompt);
    if (hk) {
      o.fail(hk.reason, `${hk.summary}: ${hk.line}`);
      return undefined;
    }
    // A key of keyPath wants its passphrase: refused without failing, ssh skips the key and
    // goes on to the password methods.
    if (kind === 'password' && isKeyPassphrasePrompt(req.prompt)) return undefined;
    if (!o.login.prompt.test(req.prompt)) {
      o.fail('auth', `ssh asked "${asked}", which does not match passwordPrompt ${String(o.login.prompt)}; nothing was answered`);
      return undefined;
    }
    if (!secret.available) {
      o.fail('auth', askedAgain(kind, asked, 'given'));
      return undefined;
    }
    const bytes = secret.reveal();
    secret.drop();
    o.onAwaiting();
    return bytes;
  }, {
    onIntruder: (what) => {
      secret.drop();
      o.fail('askpass-peer', `${what}; it was given nothing, and the login is abandoned (the ${kind} is dropped: create a new OpenSSH to try again)`);
    },
  });
  let child: RunningProcess;
  try {
    child = o.engine.spawn({
      file: o.argv[0]!,
      args: o.argv.slice(1),
      stdio: ['ignore', o.stdout, o.stderr],
      env: { ...env, ...askpass.env },
      detached: true,
    });
  } catch (err) {
    askpass.close();
    secret.drop();
    throw err;
  }
  return {
    child,
    login: {
      route: 'askpass',
      ptyLog: '',
      end: () => {
        askpass.close();
        secret.drop();
      },
    },
  };
}
