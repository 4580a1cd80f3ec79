import { hostKeyArgs, type HostKeyPolicy } from '../auth/host-keys.js';
import { targetArgs, type ConnectionSpec } from './common.js';

/** Algorithm preferences and keepalive, each mapped to one `-o` (absent: ssh's own default). */
export interface MethodPreferences {
  /** `KexAlgorithms`: a comma-separated list, possibly starting with `+`, `-` or `^`. */
  kexAlgorithms?: string | undefined;
  /** `Ciphers`. */
  ciphers?: string | undefined;
  /** `MACs`. */
  macs?: string | undefined;
  /** `HostKeyAlgorithms`. */
  hostKeyAlgorithms?: string | undefined;
  /** `Compression=yes|no`. */
  compression?: boolean | undefined;
  /** `ServerAliveCountMax`: keepalives unanswered before ssh gives up. */
  serverAliveCountMax?: number | undefined;
}

/** Inputs of {@link buildMasterArgv}. */
export interface MasterArgvOptions extends ConnectionSpec, MethodPreferences {
  /** Caller's options, placed first so they win (ssh keeps the first value of each `-o`). */
  masterOpts?: readonly string[] | undefined;
  /** `-F file` in front of everything (a `-F` in masterOpts, coming later, wins). */
  sshConfig?: string | undefined;
  /** Seconds for `ServerAliveInterval`. */
  serverAliveInterval: number;
  /** Seconds for `ConnectTimeout` (TCP connect + banner), when a connect timeout is set. */
  connectTimeout?: number | undefined;
  /** `-o BatchMode=yes`: never prompt. */
  batchMode?: boolean | undefined;
  /** `StrictHostKeyChecking` from a policy; undefined: ssh's configuration decides. */
  hostKeyPolicy?: HostKeyPolicy | undefined;
  /** `UserKnownHostsFile`. */
  knownHostsFile?: string | undefined;
  /** `-i keyPath`; also restricts authentication to public keys (unless a password is given). */
  keyPath?: string | undefined;
  /**
   * What the login answers: `password` adds `NumberOfPasswordPrompts=1` and
   * `PreferredAuthentications=keyboard-interactive,password` (with `publickey` first when a
   * keyPath is given); `passphrase` adds `NumberOfPasswordPrompts=1`, `IdentityAgent=none`
   * (no agent answers instead of the key) and `publickey`.
   */
  secret?: 'password' | 'passphrase' | undefined;
  /** `-o ProxyCommand=...`. */
  proxyCommand?: string | undefined;
  /** `-o ProxyJump=hop1,hop2`: jump hosts, in order. */
  proxyJump?: readonly string[] | undefined;
  /** undefined: no flag; false: `-a`; true: `-A`. */
  forwardAgent?: boolean | undefined;
  /** false/undefined: `-x`; true: `-X`. */
  forwardX11?: boolean | undefined;
}

/** The preferred authentications for a login, or undefined to leave ssh's default. */
export function preferredAuthentications(o: Pick<MasterArgvOptions, 'secret' | 'keyPath'>): string | undefined {
  if (o.secret === 'passphrase') return 'publickey';
  if (o.secret === 'password') return o.keyPath !== undefined ? 'publickey,keyboard-interactive,password' : 'keyboard-interactive,password';
  return o.keyPath !== undefined ? 'publickey' : undefined;
}

/** The option words of the master (everything but the flags word and the target). */
function optionWords(o: MasterArgvOptions): { before: string[]; after: string[] } {
  const before: string[] = [];
  if (o.sshConfig !== undefined) before.push('-F', o.sshConfig);
  before.push(...(o.masterOpts ?? []));
  before.push('-o', `ServerAliveInterval=${o.serverAliveInterval}`);
  if (o.serverAliveCountMax !== undefined) before.push('-o', `ServerAliveCountMax=${o.serverAliveCountMax}`);
  before.push('-o', 'ControlPersist=no');
  // A master passes on only the variables its own SendEnv allows, whatever a slave sends: this
  // lets each slave's SendEnv (the call's `env`, ssh_config's) decide; the server's AcceptEnv
  // still has the last word.
  before.push('-o', 'SendEnv=*');
  if (o.connectTimeout !== undefined) before.push('-o', `ConnectTimeout=${o.connectTimeout}`);

  const after: string[] = [];
  if (o.batchMode) after.push('-o', 'BatchMode=yes');
  after.push(...hostKeyArgs(o.hostKeyPolicy, o.knownHostsFile));
  if (o.kexAlgorithms !== undefined) after.push('-o', `KexAlgorithms=${o.kexAlgorithms}`);
  if (o.hostKeyAlgorithms !== undefined) after.push('-o', `HostKeyAlgorithms=${o.hostKeyAlgorithms}`);
  if (o.ciphers !== undefined) after.push('-o', `Ciphers=${o.ciphers}`);
  if (o.macs !== undefined) after.push('-o', `MACs=${o.macs}`);
  if (o.compression !== undefined) after.push('-o', `Compression=${o.compression ? 'yes' : 'no'}`);
  if (o.keyPath !== undefined) after.push('-i', o.keyPath);
  if (o.secret !== undefined) after.push('-o', 'NumberOfPasswordPrompts=1');
  // An agent named in ssh_config (IdentityAgent) would answer instead of the key, as SSH_AUTH_SOCK would.
  if (o.secret === 'passphrase') after.push('-o', 'IdentityAgent=none');
  const preferred = preferredAuthentications(o);
  if (preferred !== undefined) after.push('-o', `PreferredAuthentications=${preferred}`);
  if (o.proxyCommand !== undefined) after.push('-o', `ProxyCommand=${o.proxyCommand}`);
  if (o.proxyJump !== undefined && o.proxyJump.length > 0) after.push('-o', `ProxyJump=${o.proxyJump.join(',')}`);
  return { before, after };
}

function forwardFlags(o: MasterArgvOptions): string {
  let flags = '';
  if (o.forwardAgent !== undefined) flags += o.forwardAgent ? 'A' : 'a';
  flags += o.forwardX11 ? 'X' : 'x';
  return flags;
}

/**
 * The master's argv, Net::OpenSSH's order (reference section 1.3), program first:
 * `ssh [-F cfg] <masterOpts> -o ServerAliveInterval=N -o ControlPersist=no -o SendEnv=* -MN -x ... -S ctl [-l u] [-p p] host --`.
 *
 * `-M` makes it the master; `-N` runs no command; there is no `-f`, so the master stays a
 * direct child whose pid is known. `ControlPersist=no` overrides any ssh_config setting.
 */
export function buildMasterArgv(o: MasterArgvOptions): string[] {
  const { before, after } = optionWords(o);
  return [o.sshCmd, ...before, `-MN${forwardFlags(o)}`, ...after, ...targetArgs(o), '--'];
}

/**
 * `ssh -G` with the options the master gets: prints the effective client configuration for
 * the target and exits (nothing is connected). No `-M`/`-N` and no ControlPath.
 */
export function buildConfigQueryArgv(o: MasterArgvOptions): string[] {
  const { before, after } = optionWords(o);
  const args = [o.sshCmd, ...before, `-G${forwardFlags(o)}`, ...after];
  if (o.user !== undefined) args.push('-l', o.user);
  if (o.port !== undefined) args.push('-p', String(o.port));
  args.push(o.host);
  return args;
}
