import type { ShellCommandOptions } from '../shell/options.js';
import { posixQuoter } from '../quote/posix.js';
import type { Result } from '../run/result.js';
import { renderTemplate } from './render.js';
import { withHelpers, type TemplateResult } from './result.js';
import { checkTemplateOptions, templateTag } from './tag.js';

/** `sh.$` of a shell session: like `ssh.$`, quoted for the session's POSIX shell. */
export interface ShellDollar<T extends string | Buffer = string> {
  (strings: TemplateStringsArray, ...values: readonly unknown[]): Promise<TemplateResult<T>>;
  <O extends ShellCommandOptions>(options: O): ShellDollar<O extends { encoding: 'buffer' } ? Buffer : T>;
}

/** What `sh.$` needs of its session. */
export interface ShellDollarHost {
  run(cmd: string, options?: ShellCommandOptions): Promise<Result<string | Buffer>>;
}

/** Make `sh.$` for a shell session (a session runs /bin/sh: the quoter is POSIX). */
export function shellTemplate(session: ShellDollarHost): ShellDollar {
  return templateTag<Promise<TemplateResult<string | Buffer>>, ShellCommandOptions>('sh.$', (strings, values, options) => {
    checkTemplateOptions('sh.$', options);
    const command = renderTemplate(strings, values, { quoter: posixQuoter, tag: 'sh.$' });
    return session.run(command, options).then(withHelpers);
  }) as unknown as ShellDollar;
}
