import { UsageError } from './usage.js';

/** Options the library sets itself: given by hand they would break the multiplexing. */
const MANAGED = new Set(['controlpath', 'controlmaster', 'controlpersist']);

/**
 * `-o KEY=VALUE` checked and turned into argv words `['-o', 'KEY=VALUE']`: the key a plain
 * option name, the value non-empty and on one line. Each option is one argv word after its
 * own `-o`, so nothing given here can become another ssh flag or a second option.
 */
export function sshOptionWords(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    const m = /^([A-Za-z][A-Za-z0-9]*)\s*=\s*(\S.*)$/.exec(v);
    if (!m || /[\r\n\0]/.test(v)) throw new UsageError(`-o takes KEY=VALUE with an ssh option name (e.g. -o ConnectTimeout=5), received ${JSON.stringify(v)}`);
    if (MANAGED.has(m[1]!.toLowerCase())) throw new UsageError(`-o ${m[1]} cannot be set: openssh-mux manages the control connection itself`);
    out.push('-o', `${m[1]}=${m[2]}`);
  }
  return out;
}
