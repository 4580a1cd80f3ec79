import { UsageError } from './usage.js';

/** A host from the command line or a hosts file. */
export interface CliHost {
  label: string;
  target: string;
}

/** `label=target` or `target` (then the label is the target). */
export function parseHostWord(word: string, where: string): CliHost {
  const w = word.trim();
  const eq = w.indexOf('=');
  const [label, target] = eq >= 0 ? [w.slice(0, eq).trim(), w.slice(eq + 1).trim()] : [w, w];
  if (label === '' || target === '') throw new UsageError(`${where}: expected target or label=target, received ${JSON.stringify(word)}`);
  return { label, target };
}

/**
 * A hosts file: one target per line, `label=target` allowed; blank lines and `#` comments
 * (whole lines, or after white space) are ignored.
 */
export function parseHostsFile(text: string, name: string): CliHost[] {
  const out: CliHost[] = [];
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    const bare = line.replace(/(^|\s)#.*$/, '').trim();
    if (bare === '') continue;
    if (/\s/.test(bare)) throw new UsageError(`${name}:${i + 1}: one host per line, received ${JSON.stringify(line.trim())}`);
    out.push(parseHostWord(bare, `${name}:${i + 1}`));
  }
  return out;
}
