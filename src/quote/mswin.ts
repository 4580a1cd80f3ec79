import { QuoteError } from '../errors/index.js';
import type { Quoter } from './types.js';
import { refuseNul } from './words.js';

/**
 * The longest command line CreateProcess accepts: 32767 UTF-16 code units with the final NUL.
 * A word whose quoted form is longer can never reach the program.
 */
export const MSWIN_MAX_COMMAND_LINE = 32766;

/** Characters that make the C runtime split or unquote: white space (and \n, \v as Net::OpenSSH) and `"`. */
const NEEDS_QUOTES = /[ \t\n\v"]/;

/**
 * The C runtime's (and CommandLineToArgvW's) quoting of `text`, without checks: unchanged when
 * it has no white space or `"`, otherwise in double quotes with `"` as `\"` and every run of
 * backslashes before a `"` or before the closing quote doubled. Empty text gives `empty`.
 */
export function msWinQuoted(text: string, empty = '""'): string {
  if (text === '') return empty;
  if (!NEEDS_QUOTES.test(text)) return text;
  return msWinWrapped(text);
}

/** `text` in double quotes for the C runtime, needed or not (see {@link msWinQuoted}). */
export function msWinWrapped(text: string): string {
  return `"${text.replace(/(\\+)(?="|$)/g, '$1$1').replace(/"/g, '\\"')}"`;
}

/** Refuse a quoted word that cannot fit in a command line of `max` characters. */
export function refuseTooLong(shell: string, quoted: string, max: number, what: string): string {
  if (quoted.length > max) {
    throw new QuoteError(shell, `cannot quote a word whose quoted form is ${quoted.length} characters long for ${shell}: ${what} holds at most ${max} characters`);
  }
  return quoted;
}

/**
 * Quote one argument for a Windows program, by the rules its C runtime (and
 * CommandLineToArgvW) uses to split the command line CreateProcess gives it: an argument
 * with white space or `"` goes in double quotes, `"` becomes `\"`, and backslashes are
 * doubled only where they precede a `"` or the closing quote. The empty argument is `""`.
 * Windows programs expand no wildcards, so glob quoting is the same.
 *
 * Refused (QuoteError): a NUL, and a word whose quoted form is longer than a CreateProcess
 * command line (32766 characters).
 */
export function quoteMsWin(word: string): string {
  refuseNul('MSWin', word);
  return refuseTooLong('MSWin', msWinQuoted(word), MSWIN_MAX_COMMAND_LINE, 'a CreateProcess command line');
}

/**
 * The quoter for a Windows program that receives its command line from CreateProcess with no
 * shell in between. Win32-OpenSSH always runs commands through its DefaultShell (cmd.exe
 * unless configured otherwise): for it use the chain `MSCmd,MSWin`. There is no shell to
 * redirect anything: the remote redirection options are QuoteErrors with MSWin alone.
 */
export const msWinQuoter: Quoter = Object.freeze({
  name: 'MSWin',
  quote: quoteMsWin,
  quoteGlob: quoteMsWin,
  fragments: Object.freeze({}),
});
