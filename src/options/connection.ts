import type { MasterConfig } from '../master/master.js';
import { HOST_KEY_POLICIES, type HostKeyPolicy } from '../auth/host-keys.js';
import type { LoginHandler } from '../auth/login-handler.js';
import { compilePrompt } from '../auth/prompt.js';
import { Secret } from '../auth/secret.js';
import type { LoginSettings } from '../auth/settings.js';
import type { Quoter } from '../quote/types.js';
import { getQuoter } from '../quote/registry.js';
import { nodeEngine, type Engine } from '../run/engine.js';
import { createMuxEngine } from '../mux/engine.js';
import { optMasterOutput, type MasterOutput } from '../master/output.js';
import { optArgumentEncoding, type ArgumentEncoding } from '../run/argument-encoding.js';
import { normalizeDefaultStreams, type DefaultInput, type DefaultOutput } from '../run/default-streams.js';
import { checkEncoding, optMaxBuffer, type CommandDefaults } from './command.js';
import { optVerbose, type VerboseLevel } from '../verbose/format.js';
import { parseTarget, splitTarget, type ParsedTarget } from './target.js';
import {
  badOption,
  checkKnownKeys,
  optBoolean,
  optEnum,
  optMs,
  optPort,
  optSignal,
  optString,
  optStringArray,
  quote,
} from './validate.js';

/** Options of `new OpenSSH(target, options)` and `OpenSSH.connect()`. */
export interface OpenSSHOptions {
  /** Login user, when the target has none. A leading `-`, white space, control or bidi characters are a TypeError. */
  user?: string;
  /** Port, when the target has none: a number from 1 to 65535 (a string such as `'22'` is a TypeError). */
  port?: number;
  /**
   * Log in with this password (also accepted in the target, `user:password@host`). It is
   * typed once at ssh's prompt, on a pty (node-pty) or through a private askpass helper (see
   * `passwordRoute`), never put in an argv, environment variable, file or log, and dropped
   * once the login is over. A wrong password is never retried. See docs/authentication.md.
   */
  password?: string;
  /** Passphrase of the private key (`keyPath`, or ssh's default keys); the agent is bypassed. */
  passphrase?: string;
  /**
   * The password prompt to wait for: a string (matched literally anywhere in what ssh shows)
   * or a RegExp. Default `/[:?]/` (Net::OpenSSH's).
   */
  passwordPrompt?: string | RegExp;
  /**
   * How a password or passphrase reaches ssh: `'pty'` (the master on a node-pty terminal),
   * `'askpass'` (an `SSH_ASKPASS` helper fed through a private socket; OpenSSH >= 8.4), or
   * `'auto'` (default: the pty when node-pty loads, else askpass).
   */
  passwordRoute?: 'auto' | 'pty' | 'askpass';
  /**
   * Drive the login yourself: called with the master's terminal and a scratch state each
   * time ssh shows something (and every 100 ms) until it returns true. Needs node-pty.
   */
  loginHandler?: LoginHandler;
  /** Run the master on a pty even without a password, for diagnosis (`getMasterPtyLog()`). */
  masterPtyForce?: boolean;
  /** Private key file (`-i`); also restricts authentication to public keys (unless a password is given). */
  keyPath?: string;
  /**
   * `BatchMode=yes`: never prompt. Default true, except with a password, passphrase or
   * loginHandler (then off; true together with one of them is an error).
   */
  batchMode?: boolean;
  /**
   * Host-key policy: `'strict'` (StrictHostKeyChecking yes), `'ask'` (ask), `'tofu'`
   * (accept-new: trust on first use, then record), `'advisory'` (no). Default: nothing is
   * passed and your ssh configuration decides. See docs/host-keys.md.
   */
  hostKeyPolicy?: HostKeyPolicy;
  /** `UserKnownHostsFile`: the known_hosts file to check (and record new keys in). */
  knownHostsFile?: string;
  /** `KexAlgorithms`: a comma-separated string (`+`, `-`, `^` prefixes allowed) or a list. */
  kexAlgorithms?: string | readonly string[];
  /** `Ciphers`, like kexAlgorithms. */
  ciphers?: string | readonly string[];
  /** `MACs`, like kexAlgorithms. */
  macs?: string | readonly string[];
  /** `HostKeyAlgorithms`, like kexAlgorithms. */
  hostKeyAlgorithms?: string | readonly string[];
  /** `Compression=yes|no`. */
  compression?: boolean;
  /** `ServerAliveCountMax`: unanswered keepalives before the master gives up (ssh's default 3). */
  serverAliveCountMax?: number;
  /** `ProxyCommand` for the master. */
  proxyCommand?: string;
  /**
   * Jump hosts (`ProxyJump`): `'[user@]host[:port]'`, a comma-separated chain, or a list of
   * hops in order, each checked like the target's host and user. Each hop is configured by the ssh config file only (`sshConfig`, which ssh
   * passes on to the hops, or your own): `-o` options and keyPath apply to the target alone.
   */
  proxyJump?: string | readonly string[];
  /** An ssh_config file for the master (`-F`), instead of ~/.ssh/config and /etc/ssh/ssh_config. */
  sshConfig?: string;
  /** The ssh program (default `ssh` from PATH). */
  sshCmd?: string;
  /** Extra options for the master only, placed first so they win: `['-o', 'Compression=yes']`. */
  masterOpts?: readonly string[];
  /** Directory for the ControlPath socket (default `~/.openssh-mux`, created 0700). */
  ctlDir?: string;
  /** Exact ControlPath. Must not exist, unless `externalMaster`. */
  ctlPath?: string;
  /** Use a master someone else started on `ctlPath`; never kill it. */
  externalMaster?: boolean;
  /** Check that the ControlPath directory and its parents are private (default true). */
  strictMode?: boolean;
  /** Start connecting at once (default true); false defers it to the first command. */
  connect?: boolean;
  /** Bound on the whole login, in ms (default 30000; 0 or Infinity: none). */
  connectTimeout?: number;
  /** Discard the master's stdout instead of keeping it in its log (default false). */
  masterStdoutDiscard?: boolean;
  /** Discard the master's stderr; error messages then lose ssh's own words (default false). */
  masterStderrDiscard?: boolean;
  /**
   * Also send the master's stdout to this Writable or fd (Net::OpenSSH's `master_stdout_fh`);
   * it still goes to the master's log. Not with `masterStdoutDiscard`. See docs/connection.md.
   */
  masterStdout?: MasterOutput;
  /**
   * Also send the master's stderr (ssh's own messages, `-v` debug output) to this Writable or
   * fd (Net::OpenSSH's `master_stderr_fh`); it still goes to the log, so errors keep ssh's words.
   */
  masterStderr?: MasterOutput;
  /**
   * Agent forwarding (Net::OpenSSH's semantics): `true` lets the master forward (`-A`) and
   * a command ask for it with its own `forwardAgent: true`; `'always'` also makes every
   * command ask for it unless it says `forwardAgent: false`; `false` gives the master `-a`.
   * Cannot be combined with a passphrase.
   */
  forwardAgent?: boolean | 'always';
  /** X11 forwarding: sets the master's `-X`/`-x` and the slaves' default. */
  forwardX11?: boolean;
  /** `ServerAliveInterval` in seconds (default: derived from idleTimeout, else 30). */
  serverAliveInterval?: number;
  /** ssh options for every slave (replaced by a call's `sshOpts`). */
  defaultSshOpts?: readonly string[];
  /** Remote shell quoting for every command (default POSIX). */
  remoteShell?: string | Quoter;
  /** Default encoding of every command. */
  encoding?: BufferEncoding | 'buffer';
  /** Default `maxBuffer` of every command: bytes kept of each captured stream (default 100 MiB; Infinity: no limit). */
  maxBuffer?: number;
  /** Default idle timeout of every command, in ms. */
  idleTimeout?: number;
  /**
   * stdin of every command that names none (Net::OpenSSH's `default_stdin_fh` /
   * `default_stdin_file`): a Readable, an fd, or `{ file }` (opened once, on first use, closed
   * on `disconnect()`). Default: the null device. See docs/default-streams.md.
   */
  defaultStdin?: DefaultInput;
  /**
   * Where `system()` and the stream methods send stdout when the call names nowhere
   * (Net::OpenSSH's `default_stdout_fh` / `default_stdout_file`): a Writable, an fd, or
   * `{ file, append? }` (opened once, closed on `disconnect()`). run() and capture() still
   * capture it. See docs/default-streams.md.
   */
  defaultStdout?: DefaultOutput;
  /** Like `defaultStdout`, for stderr (Net::OpenSSH's `default_stderr_fh` / `default_stderr_file`). */
  defaultStderr?: DefaultOutput;
  /**
   * Default `argumentEncoding` of every command (Net::OpenSSH's `default_argument_encoding`):
   * `'utf8'` (default), `'latin1'` or `'ascii'`. See docs/quoting.md.
   */
  argumentEncoding?: ArgumentEncoding;
  /** Default deadline of every command, in ms. */
  timeout?: number;
  /** Cancels every command (and the login). */
  signal?: AbortSignal;
  /**
   * Print every command to stderr as it starts (`[host] $ command`), then its exit status and
   * duration; `'full'` also prints its captured output, prefixed. A call's own `verbose` wins.
   * Never prints a password, stdin data or the environment. See docs/observability.md.
   */
  verbose?: VerboseLevel | false;
  /**
   * How commands run: `'spawn'` (default: an `ssh -S` process per command), `'mux'` (channels
   * over the master's control socket in OpenSSH's mux proxy mode, no process per command; see
   * docs/engines.md), or an {@link Engine} object (advanced: the seam for other engines).
   */
  engine?: 'spawn' | 'mux' | Engine;
  /**
   * Expand `%HOST%`, `%USER%`, `%PORT%`, `%NAME%` (from `vars`/`setVar()`) and `%%` in
   * commands, file paths, ssh options and `shellQuote()` (Net::OpenSSH's `expand_vars`).
   * An undefined variable is a TypeError. Default false.
   */
  expandVars?: boolean;
  /** Initial variables for `expandVars`: `{ ID: 42 }`. */
  vars?: Readonly<Record<string, string | number>>;
  /**
   * Sessions (commands, streams, ptys, subsystems, transfers; not -W tunnels, which the
   * server does not count) open at once on this connection
   * (default 10, the default `MaxSessions` of OpenSSH's server): calls over it wait their
   * turn, first come first served, instead of being refused by the server. Set it to the
   * server's `MaxSessions`; `Infinity` turns the queue off. See docs/timeouts.md.
   */
  maxSessions?: number;
}

/** The constructor's options, validated, split into what the master and commands need. */
export interface NormalizedConnection {
  target: ParsedTarget;
  master: MasterConfig;
  defaults: CommandDefaults;
  connect: boolean;
  /** Session slots of the connection (a positive integer, or Infinity). */
  maxSessions: number;
}

const KNOWN = new Set([
  'user', 'port', 'password', 'passphrase', 'passwordPrompt', 'passwordRoute', 'loginHandler', 'masterPtyForce',
  'hostKeyPolicy', 'knownHostsFile', 'kexAlgorithms', 'ciphers', 'macs', 'hostKeyAlgorithms', 'compression',
  'serverAliveCountMax', 'proxyJump', 'sshConfig',
  'keyPath', 'batchMode', 'proxyCommand', 'sshCmd', 'masterOpts',
  'ctlDir', 'ctlPath', 'externalMaster', 'strictMode', 'connect', 'connectTimeout',
  'masterStdoutDiscard', 'masterStderrDiscard', 'forwardAgent', 'forwardX11', 'serverAliveInterval',
  'defaultSshOpts', 'remoteShell', 'encoding', 'idleTimeout', 'timeout', 'signal', 'engine',
  'maxBuffer',
  'expandVars', 'vars',
  'maxSessions', 'verbose',
  'defaultStdin', 'defaultStdout', 'defaultStderr', 'masterStdout', 'masterStderr', 'argumentEncoding',
]);

const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
/** OpenSSH's default `MaxSessions`. */
const DEFAULT_MAX_SESSIONS = 10;

/** Validate everything the constructor takes; throws TypeError naming the bad option. */
export function normalizeConnection(targetText: string | undefined, options: OpenSSHOptions = {}): NormalizedConnection {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) badOption('options', 'an object', options);
  const o = options as Record<string, unknown>;
  checkKnownKeys(o, KNOWN, 'new OpenSSH()');
  const externalMaster = optBoolean('externalMaster', o.externalMaster) ?? false;
  const ctlPath = optString('ctlPath', o.ctlPath);
  if (externalMaster && ctlPath === undefined) badOption('ctlPath', 'set when externalMaster is true', ctlPath);
  // An external master needs no real host: OpenSSH >= 6.5 would try to resolve a dummy name.
  const target = parseTarget(targetText ?? (externalMaster ? '0.0.0.0' : (undefined as unknown as string)), {
    user: optString('user', o.user),
    port: optPort('port', o.port),
    password: optString('password', o.password, { nonEmpty: false }),
  });
  const login = normalizeLogin(o, target.password, externalMaster);

  const idleTimeout = optMs('idleTimeout', o.idleTimeout);
  const alive = o.serverAliveInterval;
  if (alive !== undefined && (typeof alive !== 'number' || !Number.isInteger(alive) || alive < 1)) {
    badOption('serverAliveInterval', 'a whole number of seconds >= 1', alive);
  }
  const connectTimeout = o.connectTimeout === undefined ? DEFAULT_CONNECT_TIMEOUT_MS : optMs('connectTimeout', o.connectTimeout);
  const engine = (o.engine === undefined || o.engine === 'spawn' ? nodeEngine : o.engine === 'mux' ? createMuxEngine(nodeEngine) : o.engine) as Engine;
  if (typeof engine !== 'object' || engine === null || typeof engine.spawn !== 'function') badOption('engine', "'spawn', 'mux' or an object with a spawn() method", o.engine);
  const remoteShell = o.remoteShell as string | Quoter | undefined;
  if (remoteShell !== undefined) getQuoter(remoteShell as string | Quoter);
  const forwardAgentOpt = o.forwardAgent as boolean | 'always' | undefined;
  if (forwardAgentOpt !== undefined && forwardAgentOpt !== 'always' && typeof forwardAgentOpt !== 'boolean') {
    badOption('forwardAgent', "a boolean or 'always'", forwardAgentOpt);
  }
  const forwardAgent = forwardAgentOpt === undefined ? undefined : forwardAgentOpt !== false;
  if (forwardAgent && login.secret?.kind === 'passphrase') {
    throw new TypeError("options 'forwardAgent' and 'passphrase' cannot be used together: the agent is bypassed to make ssh use the key");
  }
  const proxyCommand = optString('proxyCommand', o.proxyCommand);
  const proxyJump = optProxyJump(o.proxyJump);
  if (proxyCommand !== undefined && proxyJump !== undefined) {
    throw new TypeError("options 'proxyCommand' and 'proxyJump' cannot be used together: ssh uses only one way to reach the host");
  }
  const batchMode = optBoolean('batchMode', o.batchMode);
  const interactive = login.secret !== undefined || login.handler !== undefined;
  if (batchMode === true && interactive) {
    throw new TypeError(
      `option 'batchMode' cannot be true together with '${login.secret ? (login.secret.kind === 'password' ? 'password' : 'passphrase') : 'loginHandler'}': batch mode forbids every prompt`,
    );
  }
  const countMax = o.serverAliveCountMax;
  if (countMax !== undefined && (typeof countMax !== 'number' || !Number.isInteger(countMax) || countMax < 1)) {
    badOption('serverAliveCountMax', 'a whole number >= 1', countMax);
  }
  const forwardX11 = optBoolean('forwardX11', o.forwardX11);

  return {
    // The password lives in login.secret only; the object keeps no plain copy of it.
    target: { ...target, password: undefined },
    connect: optBoolean('connect', o.connect) ?? true,
    maxSessions: optMaxSessions(o.maxSessions),
    master: {
      engine,
      sshCmd: optString('sshCmd', o.sshCmd) ?? 'ssh',
      host: target.host,
      user: target.user,
      port: target.port,
      ctlPath,
      ctlDir: optString('ctlDir', o.ctlDir),
      externalMaster,
      strictMode: optBoolean('strictMode', o.strictMode) ?? true,
      connectTimeout,
      masterStdoutDiscard: optBoolean('masterStdoutDiscard', o.masterStdoutDiscard) ?? false,
      masterStderrDiscard: optBoolean('masterStderrDiscard', o.masterStderrDiscard) ?? false,
      ...defined({
        masterStdout: optMasterOutput('masterStdout', o.masterStdout, o.masterStdoutDiscard === true),
        masterStderr: optMasterOutput('masterStderr', o.masterStderr, o.masterStderrDiscard === true),
      }),
      signal: optSignal('signal', o.signal),
      ...(login.secret || login.handler || login.ptyForce
        ? { login: { ...login, jumps: proxyJump ?? [] } }
        : {}),
      masterArgv: {
        masterOpts: optStringArray('masterOpts', o.masterOpts),
        // Net::OpenSSH: int((timeout || 90) + 2) / 3), with its timeout in seconds.
        serverAliveInterval: (alive as number | undefined) ?? Math.max(1, Math.floor(((idleTimeout ?? 90_000) / 1000 + 2) / 3)),
        connectTimeout: connectTimeout === undefined ? undefined : Math.max(1, Math.ceil(connectTimeout / 1000)),
        batchMode: batchMode ?? !interactive,
        keyPath: optString('keyPath', o.keyPath),
        proxyCommand,
        forwardAgent,
        forwardX11,
        ...defined({
          sshConfig: optString('sshConfig', o.sshConfig),
          hostKeyPolicy: optEnum('hostKeyPolicy', o.hostKeyPolicy, HOST_KEY_POLICIES),
          knownHostsFile: optKnownHostsFile(o.knownHostsFile),
          kexAlgorithms: optAlgorithms('kexAlgorithms', o.kexAlgorithms),
          ciphers: optAlgorithms('ciphers', o.ciphers),
          macs: optAlgorithms('macs', o.macs),
          hostKeyAlgorithms: optAlgorithms('hostKeyAlgorithms', o.hostKeyAlgorithms),
          compression: optBoolean('compression', o.compression),
          serverAliveCountMax: countMax as number | undefined,
          secret: login.secret?.kind,
          proxyJump,
        }),
      },
    },
    defaults: {
      defaultSshOpts: optStringArray('defaultSshOpts', o.defaultSshOpts),
      remoteShell,
      encoding: checkEncoding('encoding', o.encoding),
      maxBuffer: optMaxBuffer('maxBuffer', o.maxBuffer),
      idleTimeout,
      timeout: optMs('timeout', o.timeout),
      signal: optSignal('signal', o.signal),
      // Net::OpenSSH: only 'always' makes commands ask for the agent by default.
      forwardAgent: forwardAgentOpt === 'always' ? true : undefined,
      verbose: optVerbose(o.verbose),
      forwardX11,
      streams: normalizeDefaultStreams(o),
      argumentEncoding: optArgumentEncoding(o.argumentEncoding),
    },
  };
}

/** The login part of the options, checked. The password moves out of the target into a Secret. */
function normalizeLogin(o: Record<string, unknown>, targetPassword: string | undefined, externalMaster: boolean): Omit<LoginSettings, 'jumps'> {
  const password = targetPassword;
  const passphrase = optString('passphrase', o.passphrase, { nonEmpty: false });
  const handler = o.loginHandler;
  if (handler !== undefined && typeof handler !== 'function') badOption('loginHandler', 'a function (ctx) => boolean | Promise<boolean>', handler);
  const prompt = o.passwordPrompt;
  if (prompt !== undefined && !(prompt instanceof RegExp) && (typeof prompt !== 'string' || prompt === '')) {
    badOption('passwordPrompt', 'a non-empty string or a RegExp', prompt);
  }
  const route = optEnum('passwordRoute', o.passwordRoute, ['auto', 'pty', 'askpass'] as const) ?? 'auto';
  const ptyForce = optBoolean('masterPtyForce', o.masterPtyForce) ?? false;
  if (password !== undefined && passphrase !== undefined) {
    throw new TypeError("options 'password' and 'passphrase' cannot be used together: give the password for a password login, the passphrase for a key");
  }
  const secretName = password !== undefined ? 'password' : passphrase !== undefined ? 'passphrase' : undefined;
  if (handler !== undefined && secretName !== undefined) {
    throw new TypeError(`options 'loginHandler' and '${secretName}' cannot be used together: a login handler answers every prompt itself`);
  }
  if (route === 'askpass' && (handler !== undefined || ptyForce)) {
    throw new TypeError(
      `options 'passwordRoute: "askpass"' and '${handler !== undefined ? 'loginHandler' : 'masterPtyForce'}' cannot be used together: ` +
        'that option runs the master on a pty',
    );
  }
  if (externalMaster && (secretName !== undefined || handler !== undefined || ptyForce)) {
    throw new TypeError(`option '${secretName ?? (handler !== undefined ? 'loginHandler' : 'masterPtyForce')}' cannot be used with externalMaster: that master is already logged in`);
  }
  return {
    secret: password !== undefined ? new Secret('password', password) : passphrase !== undefined ? new Secret('passphrase', passphrase) : undefined,
    prompt: compilePrompt(prompt as string | RegExp | undefined),
    route,
    handler: handler as LoginHandler | undefined,
    ptyForce,
  };
}

/** `maxSessions`: a whole number >= 1, or Infinity (no queue). */
function optMaxSessions(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_SESSIONS;
  if (value !== Number.POSITIVE_INFINITY && (typeof value !== 'number' || !Number.isInteger(value) || value < 1)) {
    badOption('maxSessions', 'a whole number >= 1 (the server\'s MaxSessions) or Infinity (no limit)', value);
  }
  return value as number;
}

/** `proxyJump`: a list of hops (a string may hold several, comma-separated), each checked like the target. */
function optProxyJump(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const expected = "a jump host '[user@]host[:port]' (no spaces), a comma-separated chain of them, or a non-empty array of them";
  const hops = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? [...(value as unknown[])] : undefined;
  if (!hops || hops.length === 0 || !hops.every((h) => typeof h === 'string' && /^[^\s,\0]+$/.test(h))) {
    badOption('proxyJump', expected, value);
  }
  for (const hop of hops as string[]) {
    // ssh reads `ssh://[user@]host[:port]` too; a hop never carries a password.
    const parts = splitTarget(hop.startsWith('ssh://') ? hop.slice(6) : hop, { password: false });
    if (typeof parts === 'string') badOption('proxyJump', expected, value, `hop ${quote(hop)}: ${parts}`);
  }
  return hops as string[];
}

/** An algorithm list: a string without white space, or an array of names joined with commas. */
function optAlgorithms(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && /^[^\s\0]+$/.test(value)) return value;
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' && /^[^\s,\0]+$/.test(v))) return value.join(',');
  badOption(name, "a comma-separated list of algorithm names (optionally starting with '+', '-' or '^') or a non-empty array of names", value);
}

function optKnownHostsFile(value: unknown): string | undefined {
  const path = optString('knownHostsFile', value);
  if (path !== undefined && /[\s"']/.test(path)) badOption('knownHostsFile', 'a path without white space or quotes (ssh splits this value on white space)', value);
  return path;
}

/** The entries of `o` whose value is not undefined (so absent options leave no keys behind). */
function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
