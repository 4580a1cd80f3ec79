import { QuoteError } from '../errors/index.js';
import { msWinQuoted, msWinWrapped, refuseTooLong } from './mswin.js';
import type { Quoter } from './types.js';
import { refuseNul } from './words.js';

/** cmd.exe refuses a command line longer than this ("The command line is too long."). */
export const MSCMD_MAX_COMMAND_LINE = 8191;

/** Characters cmd.exe gives a meaning outside double quotes; each gets a `^`. */
const SPECIAL = /[()%!^"<>&|]/;

function refuseLineEnd(shell: string, word: string): void {
  const at = word.search(/[\r\n]/);
  if (at >= 0) {
    throw new QuoteError(shell, `cannot quote a ${word[at] === '\n' ? 'newline' : 'carriage return'} (at index ${at}) for cmd.exe: its command line ends there`);
  }
}

/** Escape `text` for cmd.exe (see {@link quoteMsCmd}); no checks. */
function msCmdEscaped(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    // A `^` on every special character, and on the character after a `%`, so that the text
    // between two `%`s never starts with a character a variable name can (see quoteMsCmd).
    if (SPECIAL.test(c) || (i > 0 && text[i - 1] === '%')) out += '^';
    out += c;
  }
  return out;
}

/**
 * Quote one word for cmd.exe so that it reaches the command literally: each of
 * `( ) % ! ^ " < > & |` gets a `^`, and so does the character after each `%`.
 * The word is not protected from splitting at white space: a program started by cmd.exe
 * splits its own command line (use the chain `MSCmd,MSWin` for that). The empty word stays
 * empty (cmd.exe has no empty word).
 *
 * `%`: cmd.exe expands `%NAME%` (and `%NAME:~1,2%`, `%NAME:a=b%`) before it removes the
 * carets, and leaves the text alone when NAME is undefined. A `^` after each `%` makes every
 * such NAME start with `^`, which no variable does. (Net::OpenSSH writes `^%PATH^%`, whose name
 * `PATH^` is undefined too, but `^%PATH:a=b^%` still substitutes in the defined PATH.)
 * Wine's cmd.exe removes the carets first and expands a defined NAME anyway: there, nothing
 * written for cmd.exe alone can keep `%NAME%` literal (the chain `MSCmd,MSWin` can).
 * This assumes delayed expansion is off, cmd.exe's default: with `/V:ON` or the DelayedExpansion
 * registry value, `!NAME!` expands after the carets are gone. cmd.exe also drops an `@` that
 * starts a command, escaped or not (under Wine): don't start a command with one.
 *
 * Refused (QuoteError): NUL, carriage return and newline (cmd.exe's command line ends there),
 * and a word whose quoted form is longer than cmd.exe's 8191-character command line.
 */
export function quoteMsCmd(word: string): string {
  refuseNul('MSCmd', word);
  refuseLineEnd('MSCmd', word);
  return refuseTooLong('MSCmd', msCmdEscaped(word), MSCMD_MAX_COMMAND_LINE, 'a cmd.exe command line');
}

const CMD_FRAGMENTS = Object.freeze({
  stdinDiscard: '<NUL:',
  stdoutDiscard: '>NUL:',
  stderrDiscard: '2>NUL:',
  stdoutAndStderrDiscard: '>NUL: 2>&1',
  stderrToStdout: '2>&1',
});

/** The cmd.exe quoter, for cmd.exe builtins and for commands written for cmd.exe. */
export const msCmdQuoter: Quoter = Object.freeze({
  name: 'MSCmd',
  quote: quoteMsCmd,
  quoteGlob: quoteMsCmd,
  fragments: CMD_FRAGMENTS,
});

/**
 * Quote one argument for a program that cmd.exe starts (`cmd.exe /c prog <args>`, how
 * Win32-OpenSSH runs a command with its default shell): the C runtime's quoting (MSWin), then
 * cmd.exe's (MSCmd), so the program's argv gets the word back exactly. The same as
 * `quoteMsCmd(quoteMsWin(word))`, Net::OpenSSH's chain, except for two kinds of word:
 *
 * - With a `%`: cmd.exe expands `%NAME%` wherever it is, and Wine's cmd.exe (unlike Windows')
 *   does so after removing carets, so no `^` can stop it there. The C runtime, though, drops
 *   double quotes that cmd.exe keeps: the word is quoted in pieces split at each `%`, and a
 *   `%` is always followed by a double quote (the next piece's opening quote, or an empty
 *   `""`). cmd.exe then sees `%"…%`, a name no variable has, and the program sees the `%`
 *   alone: `%PATH%` becomes `^%^"^"PATH^%^"^"`, which the program receives as `%PATH%`.
 * - Starting with `@`: cmd.exe drops an `@` that starts a command (Wine's even as `^@`), so
 *   the word goes in quotes: `@x` becomes `^"@x^"`.
 *
 * Refused like {@link quoteMsCmd}: NUL, carriage return, newline, and a quoted form longer
 * than 8191 characters.
 */
export function quoteMsCmdMsWin(word: string): string {
  const shell = 'MSCmd,MSWin';
  refuseNul(shell, word);
  refuseLineEnd(shell, word);
  // Quoted for the C runtime in pieces split at each `%`; an empty piece is nothing, unless
  // it is the whole word. A leading `@` is cmd.exe's echo-off marker, which Wine's cmd.exe
  // drops even when escaped (`^@`): a word starting with `@` is put in quotes, so that the
  // command starts with a `"` instead.
  const pieces = word.split('%');
  const quoted = pieces.map((piece, i) =>
    i === 0 && piece.startsWith('@') ? msWinWrapped(piece) : msWinQuoted(piece, pieces.length === 1 ? '""' : ''),
  );
  // After each `%` comes a `"`: the next piece's opening quote, or an empty pair.
  const forProgram = quoted.reduce((out, piece) => out + (piece.startsWith('"') ? `%${piece}` : `%""${piece}`));
  return refuseTooLong(shell, msCmdEscaped(forProgram), MSCMD_MAX_COMMAND_LINE, 'a cmd.exe command line');
}

/**
 * The chain `MSCmd,MSWin` (what `remoteShell: 'MSCmd,MSWin'` gives): quoting for a program
 * started by cmd.exe, with cmd.exe's redirections.
 */
export const msCmdMsWinQuoter: Quoter = Object.freeze({
  name: 'MSCmd,MSWin',
  quote: quoteMsCmdMsWin,
  quoteGlob: quoteMsCmdMsWin,
  fragments: CMD_FRAGMENTS,
});
