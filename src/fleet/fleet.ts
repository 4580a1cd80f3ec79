import { OpenSSH } from '../openssh.js';
import type { CommandOptions, NoRejectOptions, OutputFile } from '../options/command.js';
import { glob, isGlob, isRaw, raw } from '../quote/markers.js';
import { normalizeConnection, type OpenSSHOptions } from '../options/connection.js';
import type { Command } from '../quote/command.js';
import type { Result } from '../run/result.js';
import type { TransferOptions, TransferResult } from '../transfer/index.js';
import { protectVars } from '../expand/expand.js';
import { Variables, type VarValue } from '../expand/vars.js';
import { normalizeHosts, selectHosts, type HostEntry, type HostSpec, type Selector } from './hosts.js';
import { FleetJob, type FleetTask, type HostConnection } from './job.js';
import { ConnectionCache } from '../cache/cache.js';
import { describe as describeValue } from '../options/validate.js';
import type { FleetHost } from './hosts.js';
import { normalizeLimits, Semaphore } from './limits.js';
import { normalizeRun, type FleetRunOptions } from './options.js';
import { getQuoter } from '../quote/registry.js';
import { renderTemplate } from '../template/render.js';
import { withHelpers, type TemplateResult } from '../template/result.js';
import { checkTemplateOptions, templateTag } from '../template/tag.js';
import type { DollarOptions } from '../template/ssh.js';


/**
 * The engine of a fleet's connections when neither its `defaults` nor a host choose one:
 * `'mux'`, so that a command costs no local process (at concurrency 20, no 20 ssh slaves
 * beside the masters, each a fork of this process).
 */
const FLEET_ENGINE = 'mux';
/** The options of `fleet.$(options)`: `ssh.$`'s, plus `fleet` for the fleet's own run options. */
export type FleetDollarOptions = DollarOptions & { fleet?: FleetRunOptions };

/**
 * `fleet.$`: a tagged-template command on every host, each value quoted for that host's
 * `remoteShell`; returns the {@link FleetJob} of the hosts' Results (with `text()`,
 * `lines()`, `json()`). `fleet.$(options)` gives a template with options.
 */
export interface FleetDollar<T extends string | Buffer = string> {
  (strings: TemplateStringsArray, ...values: readonly unknown[]): FleetJob<TemplateResult<T>>;
  <O extends FleetDollarOptions>(options: O): FleetDollar<O extends { encoding: 'buffer' } ? Buffer : T>;
}

/** Options of `new Fleet(hosts, options)`. */
export interface FleetOptions {
  /** `OpenSSH` options shared by every host (a host's own options win). */
  defaults?: OpenSSHOptions;
  /** Live masters at once, fleet-wide (default 10, or `concurrency` when that is larger). */
  connections?: number;
  /** Tasks running at once, fleet-wide (default `connections`; never more than it). */
  concurrency?: number;
  /**
   * Expand `%HOST%`, `%USER%`, `%PORT%`, `%LABEL%`, `%NAME%` and `%%` in the shortcuts'
   * string arguments (commands, paths, file options). Default true.
   */
  expandVars?: boolean;
  /** Variables for every host (`%NAME%`); a host's own `vars` win. */
  vars?: Readonly<Record<string, VarValue>>;
  /**
   * Keep masters between runs (docs/fleet.md#reusing-masters-across-runs): `true` for a cache
   * of the fleet's own (maxSize `connections`, so live masters never exceed `connections`,
   * idle ones included; `fleet.close()` closes it), or a {@link ConnectionCache} to share
   * (its `maxSize` bounds the idle masters). Default: none, each host's master is closed as
   * soon as it is done.
   */
  cache?: boolean | ConnectionCache;
}

const KNOWN = new Set(['defaults', 'connections', 'concurrency', 'expandVars', 'vars', 'cache']);

/** The fleet's state shared by its selections: limits, and the hosts `abort-host` took out. */
interface Shared {
  defaults: OpenSSHOptions;
  vars: Readonly<Record<string, VarValue>>;
  expandVars: boolean;
  connections: Semaphore;
  concurrency: Semaphore;
  abortedHosts: Set<string>;
  /** Where masters come from and go back to, if anywhere. */
  cache: ConnectionCache | undefined;
  /** Whether `cache` is the fleet's own (closed by `fleet.close()`). */
  ownCache: boolean;
}

/**
 * The same work on many hosts at once, within limits (Net::OpenSSH::Parallel's job, with
 * promises). Each host gets its own master, opened when its turn comes and closed as soon as
 * it is done; `connections` bounds live masters, `concurrency` running tasks.
 *
 * ```ts
 * const fleet = new Fleet(['web1', 'web2', { label: 'db', target: 'admin@db1:2222' }], { connections: 20 });
 * const { results, summary } = await fleet.capture('uptime');
 * for (const r of results) console.log(r.label, r.ok ? r.value : r.error.message);
 * ```
 */
export class Fleet {
  readonly #hosts: readonly HostEntry[];
  readonly #shared: Shared;

  constructor(hosts: readonly HostSpec[], options: FleetOptions = {}, view?: unknown) {
    if (view instanceof View) {
      this.#hosts = view.hosts;
      this.#shared = view.shared;
      return;
    }
    if (view !== undefined) throw new TypeError('new Fleet() takes two arguments: hosts and options');
    if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new TypeError(`new Fleet() options must be an object, received ${JSON.stringify(options)}`);
    for (const k of Object.keys(options)) if (!KNOWN.has(k)) throw new TypeError(`unknown Fleet option '${k}' (known: ${[...KNOWN].join(', ')}; OpenSSH options go in 'defaults')`);
    const limits = normalizeLimits(options);
    if (options.expandVars !== undefined && typeof options.expandVars !== 'boolean') throw new TypeError(`option 'expandVars' must be a boolean, received ${JSON.stringify(options.expandVars)}`);
    const cacheOpt: unknown = options.cache;
    if (cacheOpt !== undefined && typeof cacheOpt !== 'boolean' && !(cacheOpt instanceof ConnectionCache)) {
      throw new TypeError(`option 'cache' must be true, false or a ConnectionCache, received ${describeValue(cacheOpt)}`);
    }
    this.#shared = {
      defaults: options.defaults ?? {},
      vars: options.vars ?? {},
      expandVars: options.expandVars ?? true,
      connections: new Semaphore(limits.connections),
      concurrency: new Semaphore(limits.concurrency),
      abortedHosts: new Set(),
      cache: cacheOpt === true ? new ConnectionCache({ maxSize: limits.connections }) : cacheOpt instanceof ConnectionCache ? cacheOpt : undefined,
      ownCache: cacheOpt === true,
    };
    this.#hosts = normalizeHosts(hosts);
    // Every host's options are checked now, so a typo fails here and not half-way through a run.
    for (const h of this.#hosts) {
      const o = this.#optionsFor(h);
      if (this.#shared.cache && o.connect === false) throw new TypeError(`host ${h.label}: option 'connect' cannot be false with the fleet's 'cache': the cache hands out connected objects`);
    }
  }

  /** The hosts' labels, in order. */
  get labels(): string[] {
    return this.#hosts.map((h) => h.label);
  }

  /** The hosts (label and target), in order. */
  get hosts(): Array<{ label: string; target: string }> {
    return this.#hosts.map((h) => ({ label: h.label, target: h.target }));
  }

  /** Labels taken out by the `abort-host` policy: later runs skip them. */
  get abortedHosts(): string[] {
    return [...this.#shared.abortedHosts];
  }

  /** The cache the fleet takes masters from and returns them to, if any (the `cache` option). */
  get cache(): ConnectionCache | undefined {
    return this.#shared.cache;
  }

  /**
   * Close the fleet's own cache (`cache: true`; shared with its selections), disconnecting
   * the masters it keeps. A cache passed in is left alone. Without a cache, nothing to do.
   */
  async close(): Promise<void> {
    if (this.#shared.ownCache) await this.#shared.cache!.close();
  }

  /** `await using fleet = new Fleet(...)` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Bring back the hosts `abort-host` took out. */
  reset(): void {
    this.#shared.abortedHosts.clear();
  }

  /**
   * The hosts a selector picks (`'web*'`, `'db1,db2'`, `'web*,!web3'`, an array or a
   * predicate), as a fleet sharing this one's limits.
   */
  select(selector: Selector): Fleet {
    return new Fleet([], {}, new View(selectHosts(this.#hosts, selector), this.#shared));
  }

  #optionsFor(h: HostEntry): OpenSSHOptions {
    const s = this.#shared;
    const d = s.defaults;
    const vars = { ...s.vars, ...d.vars, ...h.options.vars, LABEL: h.label };
    // The mux engine unless the defaults or the host say otherwise: a fleet's commands are
    // channels of its masters, with no local process each (see docs/fleet.md, "Engine").
    const o: OpenSSHOptions = { ...d, ...h.options, vars };
    o.engine ??= FLEET_ENGINE;
    normalizeConnection(h.target, o);
    Variables.forConnection(h.target, o);
    return o;
  }

  /** The variables of one host for the shortcuts (always enabled). */
  #varsFor(h: HostEntry): Variables {
    const o = this.#optionsFor(h);
    return Variables.forConnection(h.target, { ...o, expandVars: true });
  }

  #connect(h: HostEntry, signal: AbortSignal): HostConnection {
    const o = this.#optionsFor(h);
    const cache = this.#shared.cache;
    if (cache) {
      // The run's signal only cancels the wait: as an option it would make every run's key differ.
      const lease = cache.acquire(h.target, o, { signal });
      lease.catch(() => {});
      return {
        ready: lease.then((l) => l.ssh),
        close: async (clean) => {
          const l = await lease.catch(() => undefined);
          if (l && clean) l.release();
          else await l?.discard();
        },
      };
    }
    const ssh = new OpenSSH(h.target, { ...o, signal: o.signal ? AbortSignal.any([o.signal, signal]) : signal });
    return {
      ready: ssh.waitForMaster({ signal }).then(
        (up) => (up ? ssh : Promise.reject(ssh.error)),
        () => Promise.reject(ssh.error),
      ),
      close: () => ssh.disconnect(),
    };
  }

  /**
   * A shortcut's options with the host's signal: a cached master has no run signal of its
   * own, so its commands get it per call (without a cache the constructor's covers them).
   */
  #callSignal<O extends { signal?: AbortSignal } | undefined>(o: O, host: FleetHost): O {
    if (!this.#shared.cache) return o;
    return { ...o, signal: o?.signal ? AbortSignal.any([o.signal, host.signal]) : host.signal } as O;
  }

  /**
   * Run `task(ssh, host)` on every host (or `options.hosts`), each with its connected
   * `OpenSSH`. Returns at once a {@link FleetJob}: `await` it for the report (one result
   * per host, in order; it never rejects for host failures unless `reject: true`), or
   * iterate it for results as hosts finish.
   *
   * Also `run(command, commandOptions?, runOptions?)`: the command's {@link Result} per host.
   */
  run<T>(task: FleetTask<T>, options?: FleetRunOptions): FleetJob<T>;
  run(command: Command, commandOptions?: CommandOptions, options?: FleetRunOptions): FleetJob<Result>;
  run<T>(taskOrCommand: FleetTask<T> | Command, a?: FleetRunOptions | CommandOptions, b?: FleetRunOptions): FleetJob<T> | FleetJob<Result> {
    if (typeof taskOrCommand === 'function') return this.#start(taskOrCommand, a as FleetRunOptions | undefined);
    return this.#command(taskOrCommand, a as CommandOptions | undefined, b, (ssh, cmd, o) => ssh.run(cmd, o) as Promise<Result>);
  }

  /** `ssh.capture(command)` on every host: each value is the command's stdout. */
  capture(command: Command, commandOptions?: NoRejectOptions, options?: FleetRunOptions): FleetJob<string> {
    return this.#command(command, commandOptions, options, (ssh, cmd, o) => ssh.capture(cmd, o as NoRejectOptions) as Promise<string>);
  }

  /**
   * Run a command written as a tagged template on every host (see `ssh.$`): each value is
   * quoted for that host's `remoteShell`; `%HOST%`, `%LABEL%`... are expanded in the literal
   * parts only, never in a value. Fleet run options go in `fleet`:
   * `` fleet.$({ timeout: 5000, fleet: { hosts: 'web*' } })`systemctl restart ${unit}` ``.
   */
  get $(): FleetDollar {
    return templateTag<FleetJob<TemplateResult<string | Buffer>>, FleetDollarOptions>('fleet.$', (strings, values, options) => this.#template(strings, values, options)) as unknown as FleetDollar;
  }

  /** `ssh.scpPut()` on every host; `%HOST%`, `%LABEL%`... expanded in the paths. */
  scpPut(sources: string | readonly string[], target?: string, transferOptions?: TransferOptions, options?: FleetRunOptions): FleetJob<TransferResult> {
    return this.#transfer('scpPut', sources, target, transferOptions, options);
  }

  /** `ssh.scpGet()` on every host; give each host its own local target with `%LABEL%`. */
  scpGet(sources: string | readonly string[], target?: string, transferOptions?: TransferOptions, options?: FleetRunOptions): FleetJob<TransferResult> {
    return this.#transfer('scpGet', sources, target, transferOptions, options);
  }

  /** `ssh.rsyncPut()` on every host, paths expanded. */
  rsyncPut(sources: string | readonly string[], target?: string, transferOptions?: TransferOptions, options?: FleetRunOptions): FleetJob<TransferResult> {
    return this.#transfer('rsyncPut', sources, target, transferOptions, options);
  }

  /** `ssh.rsyncGet()` on every host, paths expanded. */
  rsyncGet(sources: string | readonly string[], target?: string, transferOptions?: TransferOptions, options?: FleetRunOptions): FleetJob<TransferResult> {
    return this.#transfer('rsyncGet', sources, target, transferOptions, options);
  }

  #selected(n: ReturnType<typeof normalizeRun>): readonly HostEntry[] {
    return n.hosts === undefined ? this.#hosts : selectHosts(this.#hosts, n.hosts);
  }

  #start<T>(task: FleetTask<T>, options: FleetRunOptions | undefined, hosts?: readonly HostEntry[]): FleetJob<T> {
    const n = normalizeRun(options);
    const s = this.#shared;
    const ctx = {
      hosts: hosts ?? this.#selected(n),
      connect: (h: HostEntry, signal: AbortSignal) => this.#connect(h, signal),
      connections: s.connections,
      concurrency: s.concurrency,
      abortedHosts: s.abortedHosts,
    };
    return new FleetJob(ctx, task, n);
  }

  /**
   * Expand a shortcut's arguments for every host now (an undefined variable throws here,
   * before anything starts), then run them. When the host's OpenSSH expands too
   * (`defaults.expandVars`), the expanded text is protected from a second expansion.
   */
  #prepared<A>(options: FleetRunOptions | undefined, expand: (v: Variables, h: HostEntry) => A): [readonly HostEntry[], Map<string, A>] {
    const hosts = this.#selected(normalizeRun(options));
    const per = new Map<string, A>();
    for (const h of hosts) {
      const v = this.#varsFor(h);
      v.enabled = this.#shared.expandVars;
      per.set(h.label, expand(v, h));
    }
    return [hosts, per];
  }

  #command<T>(command: Command, commandOptions: CommandOptions | undefined, options: FleetRunOptions | undefined, call: (ssh: OpenSSH, cmd: Command, o: CommandOptions | undefined) => Promise<T>): FleetJob<T> {
    const [hosts, per] = this.#prepared(options, (v) => ({ cmd: v.command(command), o: v.callOptions(commandOptions) }));
    return this.#start(
      (ssh, host) => {
        const { cmd, o } = per.get(host.label)!;
        return ssh.expandVars ? call(ssh, protectCommand(cmd), this.#callSignal(protectOptions(o), host)) : call(ssh, cmd, this.#callSignal(o, host));
      },
      options,
      hosts,
    );
  }

  /** `fleet.$`: render the template per host (its quoter, its variables), then run it. */
  #template(strings: readonly (string | undefined)[], values: readonly unknown[], options: FleetDollarOptions | undefined): FleetJob<TemplateResult<string | Buffer>> {
    const { fleet: runOptions, ...commandOptions } = options ?? {};
    checkTemplateOptions('fleet.$', commandOptions);
    const [hosts, per] = this.#prepared(runOptions, (v, h) => {
      const quoter = getQuoter(commandOptions.remoteShell ?? this.#optionsFor(h).remoteShell ?? 'POSIX');
      const literal = v.enabled ? (text: string) => v.expand(text, 'the fleet.$ template') : undefined;
      return { cmd: renderTemplate(strings, values, { quoter, literal, tag: 'fleet.$' }), o: v.callOptions(commandOptions as CommandOptions) };
    });
    return this.#start(
      (ssh, host) => {
        const { cmd, o } = per.get(host.label)!;
        const run = ssh.expandVars ? ssh.run(protectVars(cmd), this.#callSignal(protectOptions(o), host)) : ssh.run(cmd, this.#callSignal(o, host));
        return (run as Promise<Result<string | Buffer>>).then(withHelpers);
      },
      runOptions,
      hosts,
    );
  }

  #transfer(method: 'scpPut' | 'scpGet' | 'rsyncPut' | 'rsyncGet', sources: string | readonly string[], target: string | undefined, transferOptions: TransferOptions | undefined, options: FleetRunOptions | undefined): FleetJob<TransferResult> {
    const [hosts, per] = this.#prepared(options, (v) => v.paths(sources, target));
    return this.#start(
      (ssh, host) => {
        let [src, dst] = per.get(host.label)!;
        if (ssh.expandVars) {
          src = typeof src === 'string' ? protectVars(src) : src.map(protectVars);
          dst = dst === undefined ? dst : protectVars(dst);
        }
        return ssh[method](src, dst, this.#callSignal(transferOptions, host)) as Promise<TransferResult>;
      },
      options,
      hosts,
    );
  }
}

/** What `select()` hands the constructor: the picked hosts and the shared state. */
class View {
  constructor(
    readonly hosts: readonly HostEntry[],
    readonly shared: Shared,
  ) {}
}

function protectCommand(cmd: Command): Command {
  if (typeof cmd === 'string') return protectVars(cmd);
  return cmd.map((w) => (typeof w === 'string' ? protectVars(w) : isRaw(w) ? raw(protectVars(w.value)) : isGlob(w) ? glob(protectVars(w.value)) : w));
}

function protectFile(f: OutputFile | undefined): OutputFile | undefined {
  return typeof f === 'string' ? protectVars(f) : f === undefined ? f : { ...f, path: protectVars(f.path) };
}

function protectOptions(o: CommandOptions | undefined): CommandOptions | undefined {
  if (o === undefined) return o;
  const r: CommandOptions = { ...o };
  if (typeof r.stdinFile === 'string') r.stdinFile = protectVars(r.stdinFile);
  if (r.stdoutFile !== undefined) r.stdoutFile = protectFile(r.stdoutFile);
  if (r.stderrFile !== undefined) r.stderrFile = protectFile(r.stderrFile);
  if (r.sshOpts) r.sshOpts = r.sshOpts.map(protectVars);
  return r;
}
