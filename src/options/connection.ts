import type { MasterConfig } from '../master/master.js';
import type { Quoter } from '../quote/types.js';
import { getQuoter } from '../quote/registry.js';
import { nodeEngine, type Engine } from '../run/engine.js';
import { checkEncoding, type CommandDefaults } from './command.js';
import { parseTarget, type ParsedTarget } from './target.js';
import {
  badOption,
  checkKnownKeys,
  optBoolean,
  optMs,
  optPort,
  optSignal,
  optString,
  optStringArray,
} from './validate.js';

/** Options of `new OpenSSH(target, options)` and `OpenSSH.connect()`. */
export interface OpenSSHOptions {
  /** Login user, when the target has none. */
  user?: string;
  /** Port, when the target has none. */
  port?: number;
  /**
   * Password login is not available yet (it needs a pty: planned). Giving one throws a
   * TypeError rather than silently trying something else.
   */
  password?: string;
  /** Private key file (`-i`); also restricts authentication to public keys. */
  keyPath?: string;
  /** `BatchMode=yes`: never prompt (default true, since nothing could answer a prompt). */
  batchMode?: boolean;
  /** `ProxyCommand` for the master. */
  proxyCommand?: string;
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
  /** Agent forwarding: sets the master's `-A`/`-a` and the slaves' default. */
  forwardAgent?: boolean;
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
  /** Default idle timeout of every command, in ms. */
  idleTimeout?: number;
  /** Default deadline of every command, in ms. */
  timeout?: number;
  /** Cancels every command (and the login). */
  signal?: AbortSignal;
  /** How processes are started (advanced: the seam for other execution engines). */
  engine?: Engine;
}

/** The constructor's options, validated, split into what the master and commands need. */
export interface NormalizedConnection {
  target: ParsedTarget;
  master: MasterConfig;
  defaults: CommandDefaults;
  connect: boolean;
}

const KNOWN = new Set([
  'user', 'port', 'password', 'keyPath', 'batchMode', 'proxyCommand', 'sshCmd', 'masterOpts',
  'ctlDir', 'ctlPath', 'externalMaster', 'strictMode', 'connect', 'connectTimeout',
  'masterStdoutDiscard', 'masterStderrDiscard', 'forwardAgent', 'forwardX11', 'serverAliveInterval',
  'defaultSshOpts', 'remoteShell', 'encoding', 'idleTimeout', 'timeout', 'signal', 'engine',
]);

const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

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
  if (target.password !== undefined) {
    throw new TypeError(
      "option 'password' (or a password in the target): password login needs a pty and is not available in this version; " +
        'log in with keys or an ssh-agent (keyPath, or your ssh config)',
    );
  }

  const idleTimeout = optMs('idleTimeout', o.idleTimeout);
  const alive = o.serverAliveInterval;
  if (alive !== undefined && (typeof alive !== 'number' || !Number.isInteger(alive) || alive < 1)) {
    badOption('serverAliveInterval', 'a whole number of seconds >= 1', alive);
  }
  const connectTimeout = o.connectTimeout === undefined ? DEFAULT_CONNECT_TIMEOUT_MS : optMs('connectTimeout', o.connectTimeout);
  const engine = (o.engine === undefined ? nodeEngine : o.engine) as Engine;
  if (typeof engine !== 'object' || engine === null || typeof engine.spawn !== 'function') badOption('engine', 'an object with a spawn() method', o.engine);
  const remoteShell = o.remoteShell as string | Quoter | undefined;
  if (remoteShell !== undefined) getQuoter(remoteShell as string | Quoter);
  const forwardAgent = optBoolean('forwardAgent', o.forwardAgent);
  const forwardX11 = optBoolean('forwardX11', o.forwardX11);

  return {
    target,
    connect: optBoolean('connect', o.connect) ?? true,
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
      signal: optSignal('signal', o.signal),
      masterArgv: {
        masterOpts: optStringArray('masterOpts', o.masterOpts),
        // Net::OpenSSH: int((timeout || 90) + 2) / 3), with its timeout in seconds.
        serverAliveInterval: (alive as number | undefined) ?? Math.max(1, Math.floor(((idleTimeout ?? 90_000) / 1000 + 2) / 3)),
        connectTimeout: connectTimeout === undefined ? undefined : Math.max(1, Math.ceil(connectTimeout / 1000)),
        batchMode: optBoolean('batchMode', o.batchMode) ?? true,
        keyPath: optString('keyPath', o.keyPath),
        proxyCommand: optString('proxyCommand', o.proxyCommand),
        forwardAgent,
        forwardX11,
      },
    },
    defaults: {
      defaultSshOpts: optStringArray('defaultSshOpts', o.defaultSshOpts),
      remoteShell,
      encoding: checkEncoding('encoding', o.encoding),
      idleTimeout,
      timeout: optMs('timeout', o.timeout),
      signal: optSignal('signal', o.signal),
      forwardAgent,
      forwardX11,
    },
  };
}
