/** The remote redirections a quoter knows how to write for the stream options. */
export interface QuoteFragments {
  /** `stdinDiscard`: read stdin from the null device remotely. */
  stdinDiscard: string;
  /** `stdoutDiscard`: discard stdout remotely. */
  stdoutDiscard: string;
  /** `stderrDiscard`: discard stderr remotely (empty when the shell cannot). */
  stderrDiscard: string;
  /** `stdoutDiscard` with `stderrDiscard` or `stderrToStdout`. */
  stdoutAndStderrDiscard: string;
  /** `stderrToStdout`: send stderr to stdout remotely (empty when the shell cannot). */
  stderrToStdout: string;
}

/** A remote shell's quoting rules. */
export interface Quoter {
  /** Canonical name (`POSIX`, ...). */
  readonly name: string;
  /** Quote one word so the remote shell passes it through byte for byte. */
  quote(word: string): string;
  /** Quote one word but leave glob characters (`* ? [ ] { } , : ! ^ ~`) live. */
  quoteGlob(word: string): string;
  /** Redirections appended remotely for the stream options ("extended quoting"). */
  readonly fragments: QuoteFragments;
}
