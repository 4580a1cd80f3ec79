import { describe } from '../options/validate.js';
import { isGlob, isRaw, type CommandWord } from './markers.js';
import type { Quoter } from './types.js';

/** The remote command as given by the caller: a shell string, or words to quote. */
export type Command = string | readonly CommandWord[];

/** Stream options that produce remote redirections when quoting is active. */
export interface RedirectionFlags {
  stdinDiscard?: boolean | undefined;
  stdoutDiscard?: boolean | undefined;
  stderrDiscard?: boolean | undefined;
  stderrToStdout?: boolean | undefined;
}

export interface BuildCommandOptions extends RedirectionFlags {
  quoter: Quoter;
  /** `true`: quote even a string command; `false`: join array words unquoted. */
  quoteArgs?: boolean | undefined;
}

/**
 * Append the quoter's redirections for the stream options, in Net::OpenSSH's order:
 * stdout+stderr discard collapse into one fragment; otherwise stdin, stdout, stderr, 2>&1.
 */
function fragmentsFor(quoter: Quoter, flags: RedirectionFlags): string[] {
  const f = quoter.fragments;
  const out: string[] = [];
  if (flags.stdoutDiscard && (flags.stderrDiscard || flags.stderrToStdout)) {
    out.push(f.stdoutAndStderrDiscard);
    if (flags.stdinDiscard) out.push(f.stdinDiscard);
  } else {
    if (flags.stdinDiscard) out.push(f.stdinDiscard);
    if (flags.stdoutDiscard) out.push(f.stdoutDiscard);
    if (flags.stderrDiscard) out.push(f.stderrDiscard);
    if (flags.stderrToStdout) out.push(f.stderrToStdout);
  }
  return out.filter((s) => s !== '');
}

function wordText(word: CommandWord, index: number): string {
  if (typeof word === 'string') return word;
  if (typeof word === 'number' && Number.isFinite(word)) return String(word);
  throw new TypeError(`command word ${index} must be a string, a number, raw() or glob(), received ${describe(word)}`);
}

/**
 * Turn a command into the one string ssh sends to the remote shell.
 *
 * - A string is sent as is (the remote shell parses it) unless `quoteArgs: true`.
 * - An array is quoted word by word and joined with spaces; `raw()` words go in unquoted
 *   and `glob()` words keep their wildcards live. `quoteArgs: false` joins the words as they
 *   are, and then markers are refused.
 * - When quoting is active and no `raw()` word was used, the quoter's redirections for
 *   `stdinDiscard`, `stdoutDiscard`, `stderrDiscard` and `stderrToStdout` are appended.
 */
export function buildRemoteCommand(cmd: Command, options: BuildCommandOptions): string {
  const { quoter, quoteArgs } = options;
  let words: string[];
  let extended = true;
  if (typeof cmd === 'string') {
    if (quoteArgs !== true) return checkNul(cmd);
    words = [quoter.quote(cmd)];
  } else if (Array.isArray(cmd)) {
    if (quoteArgs === false) {
      return checkNul(cmd
        .map((w: CommandWord, i: number) => {
          if (isRaw(w) || isGlob(w)) {
            throw new TypeError(
              `command word ${i} is a ${isRaw(w) ? 'raw()' : 'glob()'} marker, but quoteArgs is false: markers only mean something when quoting is on`,
            );
          }
          return wordText(w, i);
        })
        .join(' '));
    }
    words = cmd.map((w: CommandWord, i: number) => {
      if (isRaw(w)) {
        extended = false;
        return w.value;
      }
      if (isGlob(w)) return quoter.quoteGlob(w.value);
      return quoter.quote(wordText(w, i));
    });
  } else {
    throw new TypeError(`command must be a string or an array of words, received ${describe(cmd)}`);
  }
  if (extended && words.length > 0) words.push(...fragmentsFor(quoter, options));
  return checkNul(words.join(' '));
}

/** ssh's argv cannot carry a NUL byte: refuse it at once rather than fail at spawn. */
function checkNul(command: string): string {
  const at = command.indexOf('\0');
  if (at >= 0) throw new TypeError(`the command contains a NUL character (at index ${at}), which no command line can carry`);
  return command;
}
