import { QuoteError } from '../errors/index.js';
import type { Quoter } from './types.js';
import { refuseNul } from './words.js';

/**
 * Quote one word for cmd.exe: each of `( ) % ! ^ " < > & |` gets a `^`. cmd.exe cannot carry
 * a newline or carriage return in a command line: those are QuoteErrors. Combine with MSWin
 * (`MSCmd,MSWin`) when cmd.exe runs a program that parses its own command line.
 */
export function quoteMsCmd(word: string): string {
  refuseNul('MSCmd', word);
  const at = word.search(/[\r\n]/);
  if (at >= 0) {
    throw new QuoteError('MSCmd', `cannot quote a ${word[at] === '\n' ? 'newline' : 'carriage return'} (at index ${at}) for cmd.exe: its command line ends there`);
  }
  return word.replace(/[()%!^"<>&|]/g, '^$&');
}

/** The cmd.exe quoter. */
export const msCmdQuoter: Quoter = Object.freeze({
  name: 'MSCmd',
  quote: quoteMsCmd,
  quoteGlob: quoteMsCmd,
  fragments: Object.freeze({
    stdinDiscard: '<NUL:',
    stdoutDiscard: '>NUL:',
    stderrDiscard: '2>NUL:',
    stdoutAndStderrDiscard: '>NUL: 2>&1',
    stderrToStdout: '2>&1',
  }),
});
