import type { HostResult } from '../fleet/results.js';

/** What the CLI reports about one host, whatever the output mode. */
export interface HostOutcome {
  label: string;
  target: string;
  status: HostResult<unknown>['status'];
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** The library's error code (OSSH_*), null on success. */
  errorCode: string | null;
  /** The error message, null on success. */
  error: string | null;
  durationMs: number;
}

interface OutputLike {
  exitCode?: number | undefined;
  signal?: string | undefined;
  stdout?: unknown;
  stderr?: unknown;
  code?: string;
  cause?: unknown;
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : '';
}

/** Flatten a host result (a command Result, a TransferResult or an error) for output. */
export function outcomeOf(r: HostResult<unknown>): HostOutcome {
  const src = (r.ok ? r.value : r.error) as OutputLike | undefined;
  // A timeout wraps the interrupted command's error: its partial output is there.
  const inner = !r.ok && r.error.cause && typeof r.error.cause === 'object' ? (r.error.cause as OutputLike) : undefined;
  const pick = <K extends keyof OutputLike>(k: K) => (src?.[k] !== undefined && src?.[k] !== '' ? src?.[k] : inner?.[k]);
  return {
    label: r.label,
    target: r.target,
    status: r.status,
    exitCode: (pick('exitCode') as number | undefined) ?? null,
    signal: (pick('signal') as string | undefined) ?? null,
    stdout: text(pick('stdout')),
    stderr: text(pick('stderr')),
    errorCode: r.ok ? null : ((r.error as OutputLike).code ?? r.error.name),
    error: r.ok ? null : r.error.message,
    durationMs: Math.round(r.durationMs),
  };
}
