/**
 * The remote redirections a quoter knows how to write for the stream options. A missing
 * entry means the shell cannot express it: asking for it is a QuoteError, never a silent drop.
 */
export interface QuoteFragments {
  /** `stdinDiscard`: read stdin from the null device remotely. */
  stdinDiscard?: string;
  /** `stdoutDiscard`: discard stdout remotely. */
  stdoutDiscard?: string;
  /** `stderrDiscard`: discard stderr remotely. */
  stderrDiscard?: string;
  /** `stdoutDiscard` with `stderrDiscard` or `stderrToStdout`. */
  stdoutAndStderrDiscard?: string;
  /** `stderrToStdout`: send stderr to stdout remotely. */
  stderrToStdout?: string;
}

/** A remote shell's quoting rules. */
export interface Quoter {
  /** Canonical name (`POSIX`, `csh`, `fish`, `MSWin`, `MSCmd`, or `A,B` for a chain). */
  readonly name: string;
  /**
   * Quote one word so the remote shell passes it through byte for byte. Throws a QuoteError
   * for a word the shell cannot carry.
   */
  quote(word: string): string;
  /**
   * Quote one word but leave the wildcards `* ? [ ] { }` live (where the shell has them) and
   * everything else literal. A backslash before a wildcard or a backslash escapes it.
   */
  quoteGlob(word: string): string;
  /** Redirections appended remotely for the stream options ("extended quoting"). */
  readonly fragments: QuoteFragments;
}
