import type { CommandOptions, OutputFile } from '../options/command.js';
import type { OpenSSHOptions } from '../options/connection.js';
import { parseTarget } from '../options/target.js';
import type { Command } from '../quote/command.js';
import type { CommandWord } from '../quote/markers.js';
import { glob, isGlob, isRaw, raw } from '../quote/markers.js';
import { expandVars, VAR_NAME } from './expand.js';

/** Names set from the connection itself, which `setVar()` refuses (as Net::OpenSSH's `set_var`). */
export const BUILTIN_VARS = ['HOST', 'USER', 'PORT'] as const;

/** A variable's value as given: strings and finite numbers (stored as their decimal text). */
export type VarValue = string | number;

function checkName(method: string, name: unknown): string {
  if (typeof name !== 'string' || !VAR_NAME.test(name)) {
    throw new TypeError(`${method} takes a variable name made of letters, digits and '_', received ${JSON.stringify(name) ?? String(name)}`);
  }
  return name;
}

function checkValue(method: string, name: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new TypeError(`${method}: the value of variable ${name} must be a string or a finite number, received ${value === null ? 'null' : typeof value}`);
}

/**
 * The variables of one connection (`HOST`, `USER`, `PORT` from the target, the rest from
 * `vars` and `setVar()`) and whether expansion is on. Expansion is applied where Net::OpenSSH
 * applies it: command words (before quoting), the `*File` stream options, `sshOpts`,
 * `masterOpts`, `defaultSshOpts`, `ctlPath`, `ctlDir`, scp/rsync paths and `shellQuote()`.
 */
export class Variables {
  /** Whether `%NAME%` is expanded (the `expandVars` option). */
  enabled: boolean;
  readonly #builtin = new Map<string, string>();
  readonly #user = new Map<string, string>();

  constructor(builtin: { host: string; user?: string | undefined; port?: number | undefined }, vars: unknown, enabled: unknown) {
    if (enabled !== undefined && typeof enabled !== 'boolean') {
      throw new TypeError(`option 'expandVars' must be a boolean, received ${JSON.stringify(enabled) ?? typeof enabled}`);
    }
    this.enabled = enabled ?? false;
    this.#builtin.set('HOST', builtin.host);
    if (builtin.user !== undefined) this.#builtin.set('USER', builtin.user);
    if (builtin.port !== undefined) this.#builtin.set('PORT', String(builtin.port));
    if (vars !== undefined) {
      if (typeof vars !== 'object' || vars === null || Array.isArray(vars)) {
        throw new TypeError(`option 'vars' must be an object of variable names to strings or numbers, e.g. { ID: 42 }, received ${Array.isArray(vars) ? 'an array' : JSON.stringify(vars) ?? typeof vars}`);
      }
      for (const [name, value] of Object.entries(vars)) this.set(name, value, "option 'vars'");
    }
  }

  /**
   * The variables for `new OpenSSH(target, options)`: the target parsed as the constructor
   * parses it (user and port options as defaults).
   */
  static forConnection(target: string | undefined, options: OpenSSHOptions): Variables {
    const o = (typeof options === 'object' && options !== null ? options : {}) as Record<string, unknown>;
    let host = '';
    let user: string | undefined;
    let port: number | undefined;
    if (typeof target === 'string') {
      try {
        const t = parseTarget(target, {
          user: typeof o.user === 'string' ? o.user : undefined,
          port: typeof o.port === 'number' ? o.port : undefined,
        });
        ({ host, user, port } = t);
      } catch {
        // The constructor's own validation reports a bad target or option.
      }
    }
    return new Variables({ host, user, port }, o.vars, o.expandVars);
  }

  /** `setVar(name, value)`: HOST, USER and PORT cannot be set. */
  set(name: unknown, value: unknown, method = 'setVar()'): void {
    const n = checkName(method, name);
    if ((BUILTIN_VARS as readonly string[]).includes(n)) {
      throw new TypeError(`${method} cannot set ${n}: HOST, USER and PORT come from the connection target`);
    }
    this.#user.set(n, checkValue(method, n, value));
  }

  /** `getVar(name)`: the value, or undefined when not defined. */
  get(name: unknown): string | undefined {
    const n = checkName('getVar()', name);
    return this.#builtin.get(n) ?? this.#user.get(n);
  }

  /** Expand one string (always, whether enabled or not). */
  expand(text: string, where: string): string {
    return expandVars(text, (n) => this.#builtin.get(n) ?? this.#user.get(n), where);
  }

  #word(word: CommandWord, where: string): CommandWord {
    if (typeof word === 'string') return this.expand(word, where);
    if (isRaw(word)) return raw(this.expand(word.value, where));
    if (isGlob(word)) return glob(this.expand(word.value, where));
    return word;
  }

  /** A command with every word expanded (as is when expansion is off). */
  command(cmd: Command): Command {
    if (!this.enabled) return cmd;
    if (typeof cmd === 'string') return this.expand(cmd, 'the command');
    if (!Array.isArray(cmd)) return cmd;
    return (cmd as readonly CommandWord[]).map((w) => this.#word(w, 'the command'));
  }

  /** Words for `shellQuote()`. */
  words(words: readonly string[]): string[] {
    if (!this.enabled) return [...words];
    return words.map((w) => (typeof w === 'string' ? this.expand(w, 'shellQuote()') : w));
  }

  #list(list: unknown, where: string): unknown {
    return Array.isArray(list) ? list.map((w: unknown) => (typeof w === 'string' ? this.expand(w, where) : w)) : list;
  }

  #file(file: OutputFile | undefined, where: string): OutputFile | undefined {
    if (typeof file === 'string') return this.expand(file, where);
    if (typeof file === 'object' && file !== null && typeof file.path === 'string') return { ...file, path: this.expand(file.path, where) };
    return file;
  }

  /** A call's options with `stdinFile`, `stdoutFile`, `stderrFile` and `sshOpts` expanded. */
  callOptions<O extends CommandOptions | undefined>(options: O): O {
    if (!this.enabled || typeof options !== 'object' || options === null) return options;
    const o: Record<string, unknown> = { ...options };
    if (typeof o.stdinFile === 'string') o.stdinFile = this.expand(o.stdinFile, "option 'stdinFile'");
    if (o.stdoutFile !== undefined) o.stdoutFile = this.#file(o.stdoutFile as OutputFile, "option 'stdoutFile'");
    if (o.stderrFile !== undefined) o.stderrFile = this.#file(o.stderrFile as OutputFile, "option 'stderrFile'");
    if (o.sshOpts !== undefined) o.sshOpts = this.#list(o.sshOpts, "option 'sshOpts'");
    return o as O;
  }

  /** scp/rsync sources and target. */
  paths(sources: string | readonly string[], target: string | undefined): [string | readonly string[], string | undefined] {
    if (!this.enabled) return [sources, target];
    const src = typeof sources === 'string' ? this.expand(sources, 'a transfer source') : (this.#list(sources, 'a transfer source') as readonly string[]);
    return [src, typeof target === 'string' ? this.expand(target, 'the transfer target') : target];
  }

  /** The constructor's options with `masterOpts`, `defaultSshOpts`, `ctlPath` and `ctlDir` expanded. */
  connectionOptions(options: OpenSSHOptions): OpenSSHOptions {
    if (!this.enabled || typeof options !== 'object' || options === null) return options;
    const o: Record<string, unknown> = { ...options };
    for (const key of ['masterOpts', 'defaultSshOpts'] as const) if (o[key] !== undefined) o[key] = this.#list(o[key], `option '${key}'`);
    for (const key of ['ctlPath', 'ctlDir'] as const) if (typeof o[key] === 'string') o[key] = this.expand(o[key], `option '${key}'`);
    return o as OpenSSHOptions;
  }
}
