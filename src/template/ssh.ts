import { expandVars, protectVars } from '../expand/expand.js';
import type { CommandOptions } from '../options/command.js';
import { getQuoter } from '../quote/registry.js';
import type { Quoter } from '../quote/types.js';
import type { Result } from '../run/result.js';
import { renderTemplate } from './render.js';
import { withHelpers, type TemplateResult } from './result.js';
import { checkTemplateOptions, templateTag } from './tag.js';

type Out<O> = O extends { encoding: 'buffer' } ? Buffer : string;

/**
 * `ssh.$`: run a command written as a tagged template, each interpolated value quoted for the
 * object's `remoteShell`. Resolves with the {@link Result} `run()` gives, plus `text()`,
 * `lines()` and `json()`; rejects like `run()` (unless `reject: false`). Call it with options
 * first for a template with those options: `` ssh.$({ timeout: 5000 })`uptime` ``.
 */
export interface Dollar<T extends string | Buffer = string> {
  (strings: TemplateStringsArray, ...values: readonly unknown[]): Promise<TemplateResult<T>>;
  <O extends DollarOptions>(options: O): Dollar<O extends { encoding: 'buffer' } ? Buffer : T>;
}

/** The options of `ssh.$(options)`: `run()`'s, but for `quoteArgs`, `glob`, `tunnel` and `subsystem`. */
export type DollarOptions = Omit<CommandOptions, 'quoteArgs' | 'glob' | 'tunnel' | 'subsystem'>;

/** What `ssh.$` needs of its OpenSSH object: all public but the default remote shell. */
export interface DollarHost {
  run<O extends CommandOptions | undefined>(cmd: string, options?: O): Promise<Result<Out<O>>>;
  getVar(name: string): string | undefined;
  readonly expandVars: boolean;
}

/**
 * Make `ssh.$` for an OpenSSH object. With `expandVars` on, `%NAME%` is expanded in the
 * literal parts only (a value containing `%HOST%` reaches the remote shell as it is).
 */
export function sshTemplate(ssh: DollarHost, remoteShell: string | Quoter | undefined): Dollar {
  return templateTag<Promise<TemplateResult<string | Buffer>>, DollarOptions>('ssh.$', (strings, values, options) => {
    checkTemplateOptions('ssh.$', options);
    const quoter = getQuoter(options?.remoteShell ?? remoteShell ?? 'POSIX');
    const expanding = ssh.expandVars;
    const literal = expanding ? (text: string) => expandVars(text, (n) => ssh.getVar(n), 'the ssh.$ template') : undefined;
    const command = renderTemplate(strings, values, { quoter, literal, tag: 'ssh.$' });
    // run() expands the whole string when expandVars is on: the result is protected from it.
    return ssh.run(expanding ? protectVars(command) : command, options).then(withHelpers);
  }) as unknown as Dollar;
}
