import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FleetReport } from '../fleet/results.js';
import type { HostOutcome } from './outcome.js';
import { colorsFor, formatDuration, type Screen } from './screen.js';

type Paint = ReturnType<typeof colorsFor>;

const WORD: Record<HostOutcome['status'], string> = { ok: 'ok', failed: 'FAILED', 'timed-out': 'TIMED OUT', aborted: 'ABORTED', skipped: 'SKIPPED' };

function withNewline(s: string): string {
  return s === '' || s.endsWith('\n') ? s : `${s}\n`;
}

/** A host's header line: label, status, exit status, duration. */
export function header(o: HostOutcome, paint: Paint): string {
  const status = o.status === 'ok' ? paint('green', WORD.ok) : paint('red', WORD[o.status]);
  const exit = o.exitCode !== null ? ` exit ${o.exitCode}` : o.signal !== null ? ` signal ${o.signal}` : '';
  return `${paint('bold', `== ${o.label}`)} ${status}${exit} ${paint('dim', formatDuration(o.durationMs))}\n`;
}

/** Grouped output: the header, then stdout, then stderr (marked), then the error if no output says it. */
export function grouped(o: HostOutcome, paint: Paint, withOutput: boolean): string {
  let s = header(o, paint);
  if (withOutput) {
    s += withNewline(o.stdout);
    if (o.stderr !== '') s += `${paint('dim', `-- ${o.label} stderr --`)}\n${withNewline(o.stderr)}`;
  }
  if (o.error !== null && !(o.errorCode === 'OSSH_SLAVE_CMD_FAILED' && withOutput && (o.stdout !== '' || o.stderr !== ''))) s += `${paint('red', `!! ${o.error}`)}\n`;
  return s;
}

/** One NDJSON line. */
export function jsonLine(o: HostOutcome): string {
  const { label, target, status, exitCode, signal, stdout, stderr, errorCode, error, durationMs } = o;
  return `${JSON.stringify({ label, target, status, exitCode, signal, stdout, stderr, errorCode, error, durationMs })}\n`;
}

/** `DIR/<label>.out` and `DIR/<label>.err`. */
export function writeOutDir(dir: string, o: HostOutcome): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${o.label}.out`), o.stdout);
  writeFileSync(join(dir, `${o.label}.err`), o.stderr);
}

/** The closing summary on stderr: counts, then every host that did not succeed and why. */
export function summaryText(report: FleetReport<unknown>, outcomes: readonly HostOutcome[], paint: Paint): string {
  const s = report.summary;
  const parts = [paint('green', `${s.ok} ok`), `${s.failed} failed`, `${s.timedOut} timed out`, `${s.aborted} aborted`, `${s.skipped} skipped`];
  let out = `${s.total} host${s.total === 1 ? '' : 's'}: ${parts.join(', ')} in ${formatDuration(report.durationMs)}\n`;
  const bad = outcomes.filter((o) => o.status !== 'ok');
  for (const o of bad) {
    const why = o.errorCode === 'OSSH_SLAVE_CMD_FAILED' ? `exit ${o.exitCode ?? o.signal}` : (o.error ?? o.status);
    out += `  ${paint('red', o.label)}: ${WORD[o.status].toLowerCase()}: ${why}${o.errorCode ? ` [${o.errorCode}]` : ''}\n`;
  }
  return out;
}

/** Write one finished host in the chosen mode. */
export function emit(screen: Screen, o: HostOutcome, mode: 'grouped' | 'stream' | 'json', outDir: string | undefined, paint: Paint, paintErr: Paint): void {
  if (outDir !== undefined) writeOutDir(outDir, o);
  if (mode === 'json') screen.out(jsonLine(o));
  else if (mode === 'grouped') screen.out(grouped(o, paint, outDir === undefined));
  else if (o.status !== 'ok') screen.err(`${paintErr('red', `${o.label}: ${WORD[o.status].toLowerCase()}`)}${o.error ? `: ${o.error}` : ''}\n`);
}
