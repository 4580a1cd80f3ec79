import { QuoteError } from '../errors/index.js';
import { describe } from '../options/validate.js';
import { isGlob, isRaw, type CommandWord } from './markers.js';
import type { QuoteFragments, Quoter } from './types.js';

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
  /** Quote every plain word with `quoteGlob` (wildcards live), as if each were `glob()`. */
  glob?: boolean | undefined;
  /**
   * The flags are the method's defaults (test() discarding output), not the caller's
   * options: a redirection the shell cannot express is then left out instead of refused.
   */
  bestEffort?: boolean | undefined;
}

const OPTION_OF: Record<keyof QuoteFragments, string> = {
  stdinDiscard: 'stdinDiscard',
  stdoutDiscard: 'stdoutDiscard',
  stderrDiscard: 'stderrDiscard',
  stdoutAndStderrDiscard: 'stdoutDiscard with stderrDiscard or stderrToStdout',
  stderrToStdout: 'stderrToStdout',
};

/**
 * The quoter's redirections for the stream options, in Net::OpenSSH's order: stdout+stderr
 * discard collapse into one fragment; otherwise stdin, stdout, stderr, 2>&1. A redirection
 * the shell cannot express is a QuoteError (or skipped, for `bestEffort` defaults).
 */
function fragmentsFor(quoter: Quoter, o: BuildCommandOptions): string[] {
  const wanted: Array<keyof QuoteFragments> = [];
  if (o.stdoutDiscard && (o.stderrDiscard || o.stderrToStdout)) {
    wanted.push('stdoutAndStderrDiscard');
    if (o.stdinDiscard) wanted.push('stdinDiscard');
  } else {
    if (o.stdinDiscard) wanted.push('stdinDiscard');
    if (o.stdoutDiscard) wanted.push('stdoutDiscard');
    if (o.stderrDiscard) wanted.push('stderrDiscard');
    if (o.stderrToStdout) wanted.push('stderrToStdout');
  }
  const out: string[] = [];
  for (const key of wanted) {
    const fragment = quoter.fragments[key];
    if (fragment !== undefined && fragment !== '') out.push(fragment);
    else if (!o.bestEffort) {
      throw new QuoteError(
        quoter.name,
        `the remote shell ${quoter.name} has no redirection for ${OPTION_OF[key]}: use a string command and write the redirection yourself, add a raw() word, or handle the stream locally`,
      );
    }
  }
  return out;
}

function wordText(word: CommandWord, index: number): string {
  if (typeof word === 'string') return word;
  if (typeof word === 'number' && Number.isFinite(word)) return String(word);
  throw new TypeError(`command word ${index} must be a string, a number, raw() or glob(), received ${describe(word)}`);
}

/** ssh's argv cannot carry a NUL byte: refuse it at once rather than fail at spawn. */
function checkNul(shell: string, command: string): string {
  const at = command.indexOf('\0');
  if (at >= 0) throw new QuoteError(shell, `the command contains a NUL character (at index ${at}), which no command line can carry`);
  return command;
}

/**
 * Turn a command into the one string ssh sends to the remote shell.
 *
 * - A string is sent as is (the remote shell parses it) unless `quoteArgs: true`.
 * - An array is quoted word by word and joined with spaces; `raw()` words go in unquoted
 *   and `glob()` words (every word, with `glob: true`) keep their wildcards live.
 *   `quoteArgs: false` joins the words as they are, and then markers are refused.
 * - When quoting is active and no `raw()` word was used, the quoter's redirections for
 *   `stdinDiscard`, `stdoutDiscard`, `stderrDiscard` and `stderrToStdout` are appended.
 */
export function buildRemoteCommand(cmd: Command, options: BuildCommandOptions): string {
  const { quoter, quoteArgs } = options;
  const quoteWord = options.glob ? (w: string) => quoter.quoteGlob(w) : (w: string) => quoter.quote(w);
  let words: string[];
  let extended = true;
  if (typeof cmd === 'string') {
    if (quoteArgs !== true) return checkNul(quoter.name, cmd);
    words = [quoteWord(cmd)];
  } else if (Array.isArray(cmd)) {
    if (quoteArgs === false) {
      const joined = cmd.map((w: CommandWord, i: number) => {
        if (isRaw(w) || isGlob(w)) {
          throw new TypeError(
            `command word ${i} is a ${isRaw(w) ? 'raw()' : 'glob()'} marker, but quoteArgs is false: markers only mean something when quoting is on`,
          );
        }
        return wordText(w, i);
      });
      return checkNul(quoter.name, joined.join(' '));
    }
    words = cmd.map((w: CommandWord, i: number) => {
      if (isRaw(w)) {
        extended = false;
        return checkNul(quoter.name, w.value);
      }
      if (isGlob(w)) return quoter.quoteGlob(w.value);
      return quoteWord(wordText(w, i));
    });
  } else {
    throw new TypeError(`command must be a string or an array of words, received ${describe(cmd)}`);
  }
  if (extended && words.length > 0) words.push(...fragmentsFor(quoter, options));
  return words.join(' ');
}
