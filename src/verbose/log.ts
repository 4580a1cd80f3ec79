import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { commandLines, endLine, linePrefix, outputLine, type Ending, type VerboseLevel } from './format.js';

/** Longest partial line kept before it is printed anyway (memory stays bounded). */
const MAX_PARTIAL = 64 * 1024;

/** Where the lines go: this process's stderr. */
function write(text: string): void {
  process.stderr.write(text);
}

/**
 * The verbose log of one command: the command when it starts, its output in `full` mode,
 * how it ended. Nothing else is printed: not its stdin, environment, ssh options or argv,
 * and the library never has a password in a command.
 */
export class VerboseLog {
  readonly #prefix: string;
  readonly level: VerboseLevel;
  #ended = false;
  readonly #flushers: Array<() => void> = [];

  constructor(level: VerboseLevel, name: string, command: string) {
    this.level = level;
    this.#prefix = linePrefix(name);
    write(commandLines(this.#prefix, command));
  }

  /** `full`: print a stream's lines as they come (it must already flow: the caller reads it). */
  tap(stream: Readable | null, which: 'out' | 'err'): void {
    if (!stream || this.level !== 'full') return;
    const decoder = new StringDecoder('utf8');
    let partial = '';
    const emit = (text: string) => {
      partial += text;
      const lines = partial.split('\n');
      partial = lines.pop()!;
      if (partial.length > MAX_PARTIAL) {
        lines.push(partial);
        partial = '';
      }
      if (lines.length > 0) write(lines.map((l) => outputLine(this.#prefix, which, l)).join(''));
    };
    stream.on('data', (chunk: Buffer | string) => emit(typeof chunk === 'string' ? chunk : decoder.write(chunk)));
    this.#flushers.push(() => {
      emit(decoder.end());
      if (partial !== '') write(outputLine(this.#prefix, which, partial));
      partial = '';
    });
  }

  /** `full`: print output that was collected rather than streamed (a shell session command's), line by line. */
  output(which: 'out' | 'err', text: string | Buffer): void {
    if (this.level !== 'full' || text.length === 0) return;
    const lines = (typeof text === 'string' ? text : text.toString('utf8')).split('\n');
    if (lines.at(-1) === '') lines.pop();
    write(lines.map((l) => outputLine(this.#prefix, which, l)).join(''));
  }

  /** Print how the command ended (once). */
  end(e: Ending): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const flush of this.#flushers) flush();
    write(endLine(this.#prefix, e));
  }
}
