import { badOption } from '../options/validate.js';

/**
 * The lines `verbose` prints (pure). One command looks like this:
 *
 * ```
 * [web1] $ ls -l '/srv/my dir'
 * [web1] out| total 0
 * [web1] exit 0 (12 ms)
 * ```
 *
 * The command is the remote command line exactly as sent (quoted for the remote shell), so
 * it can be pasted after `ssh web1`; its further lines start with `> ` as a shell's
 * continuation prompt. Control characters other than tab and newline are shown as `\xHH`, so
 * that a command cannot move the cursor or change the terminal.
 */

/** The two levels of `verbose`. */
export type VerboseLevel = 'short' | 'full';

/** Control characters a terminal would act on (tab and newline excepted). */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/** Show control characters as `\xHH`. */
export function visible(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** `[web1] `: the prefix of every line about one host. */
export function linePrefix(name: string): string {
  return `[${visible(name)}] `;
}

/** The lines announcing a command: `[web1] $ cmd`, continuation lines with `> `. */
export function commandLines(prefix: string, command: string): string {
  return visible(command)
    .split('\n')
    .map((line, i) => `${prefix}${i === 0 ? '$' : '>'} ${line}\n`)
    .join('');
}

/** How a command ended, as the verbose line shows it. */
export interface Ending {
  exitCode?: number | undefined;
  signal?: string | undefined;
  durationMs?: number | undefined;
  /** The error's code when it failed. */
  code?: string | undefined;
}

/**
 * `[web1] exit 0 (12 ms)`, `[web1] exit 1 (40 ms) OSSH_SLAVE_CMD_FAILED`, `[web1] killed by
 * SIGTERM (5003 ms) OSSH_TIMEOUT`, or `[web1] failed OSSH_MASTER_FAILED` when it never ran.
 */
export function endLine(prefix: string, e: Ending): string {
  const status = e.signal !== undefined ? `killed by ${e.signal}` : e.exitCode !== undefined ? `exit ${e.exitCode}` : 'failed';
  const time = e.durationMs === undefined ? '' : ` (${Math.round(e.durationMs)} ms)`;
  return `${prefix}${status}${time}${e.code ? ` ${e.code}` : ''}\n`;
}

/** A line of output in `full` mode: `[web1] out| text` or `[web1] err| text`. */
export function outputLine(prefix: string, stream: 'out' | 'err', line: string): string {
  return `${prefix}${stream}| ${visible(line)}\n`;
}

/** Check the `verbose` option: `'short'`, `'full'` or `false`/undefined (off). */
export function optVerbose(value: unknown): VerboseLevel | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === 'short' || value === 'full') return value;
  return badOption('verbose', "'short', 'full' or false", value);
}
