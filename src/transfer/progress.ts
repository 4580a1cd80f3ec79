import { readFileSync } from 'node:fs';

/** One progress report of a transfer. */
export interface TransferProgress {
  /**
   * The file being copied, as the tool names it (rsync: the path relative to the transfer's
   * top; scp: the source when there is only one, else undefined).
   */
  file: string | undefined;
  /** Bytes done: of `file` for rsync, of the whole transfer for scp. */
  bytes: number;
  /** Bytes in all (of `file` for rsync; for scpPut the local sources' total), when known. */
  totalBytes: number | undefined;
  /** `bytes / totalBytes` as 0-100, when known. */
  percent: number | undefined;
  /** Bytes per second (rsync: as it reports; scp: measured over the last interval). */
  rate: number | undefined;
  /** True on the last report of a file (rsync) or of the whole transfer. */
  done: boolean;
}

const UNITS: Record<string, number> = { B: 1, kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** `1.23MB/s` (rsync's units are powers of 1024) → bytes per second. */
function parseRate(text: string): number | undefined {
  const m = /^([\d.,]+)([kMGT]?B)\/s$/.exec(text);
  if (!m) return undefined;
  return Math.round(Number(m[1]!.replace(/,/g, '')) * (UNITS[m[2]!] ?? 1));
}

/** rsync writes unprintable bytes of names as `\#ooo`: undo that. */
export function unescapeRsyncName(name: string): string {
  if (!name.includes('\\#')) return name;
  const bytes: number[] = [];
  const raw = Buffer.from(name, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0x5c && raw[i + 1] === 0x23 && /^[0-7]{3}$/.test(raw.subarray(i + 2, i + 5).toString('latin1'))) {
      bytes.push(parseInt(raw.subarray(i + 2, i + 5).toString('latin1'), 8));
      i += 4;
    } else bytes.push(raw[i]!);
  }
  return Buffer.from(bytes).toString('utf8');
}

const PROGRESS_LINE = /^\s*([\d,]+)\s+(\d+)%\s+(\S+)\s+\d+:\d\d:\d\d(.*)$/;

/**
 * Reads rsync's `--info=name1,progress1` output (what `--progress` prints): a line with a
 * name, then `\r`-separated reports `  1,081,344  36%  1000.98kB/s  0:00:01`, the last with
 * `(xfr#N, to-chk=…)`. Feed it the raw stdout; it calls `emit` for every report.
 */
export class RsyncProgressParser {
  #buf = '';
  #file: string | undefined;
  constructor(private readonly emit: (p: TransferProgress) => void) {}

  push(chunk: string): void {
    this.#buf += chunk;
    let i: number;
    while ((i = this.#buf.search(/[\r\n]/)) >= 0) {
      const piece = this.#buf.slice(0, i);
      this.#buf = this.#buf.slice(i + 1);
      this.#line(piece);
    }
  }

  #line(text: string): void {
    if (text.trim() === '') return;
    const m = PROGRESS_LINE.exec(text);
    if (!m) {
      // A name line (or other verbose output: names are all rsync prints with name1).
      if (!/^(sending|receiving|sent|total size|created directory|deleting) /.test(text)) this.#file = unescapeRsyncName(text);
      return;
    }
    const bytes = Number(m[1]!.replace(/,/g, ''));
    const percent = Number(m[2]);
    const done = /xfr#\d+/.test(m[4]!);
    const totalBytes = done ? bytes : percent > 0 ? Math.round((bytes * 100) / percent) : undefined;
    this.emit({ file: this.#file, bytes, totalBytes: done ? bytes : totalBytes, percent, rate: parseRate(m[3]!), done });
  }
}

/** Bytes read and written by a process so far (Linux `/proc/<pid>/io`), or undefined. */
export function processIo(pid: number): { rchar: number; wchar: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/io`, 'latin1');
    const r = /rchar:\s*(\d+)/.exec(text);
    const w = /wchar:\s*(\d+)/.exec(text);
    if (!r || !w) return undefined;
    return { rchar: Number(r[1]), wchar: Number(w[1]) };
  } catch {
    return undefined;
  }
}

/**
 * Progress events as an async iterable, fed by the transfer. Keeps at most `limit` unread
 * events (the oldest are dropped: a slow reader sees the latest state, never a backlog).
 */
export class ProgressChannel implements AsyncIterable<TransferProgress> {
  #queue: TransferProgress[] = [];
  #waiters: Array<(r: IteratorResult<TransferProgress>) => void> = [];
  #closed = false;
  constructor(private readonly limit = 1000) {}

  push(p: TransferProgress): void {
    if (this.#closed) return;
    const w = this.#waiters.shift();
    if (w) return w({ value: p, done: false });
    this.#queue.push(p);
    if (this.#queue.length > this.limit) this.#queue.shift();
  }

  close(): void {
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<TransferProgress> {
    return {
      next: () => {
        const p = this.#queue.shift();
        if (p) return Promise.resolve({ value: p, done: false });
        if (this.#closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => this.#waiters.push(resolve));
      },
      return: () => Promise.resolve({ value: undefined, done: true }),
    };
  }
}
