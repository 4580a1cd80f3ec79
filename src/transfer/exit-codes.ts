/** rsync's exit codes (rsync(1), EXIT VALUES) and what they mean. */
export const RSYNC_EXIT_CODES: Readonly<Record<number, string>> = Object.freeze({
  1: 'syntax or usage error',
  2: 'protocol incompatibility',
  3: 'errors selecting input/output files, dirs',
  4: 'requested action not supported',
  5: 'error starting client-server protocol',
  6: 'daemon unable to append to log-file',
  10: 'error in socket I/O',
  11: 'error in file I/O',
  12: 'error in rsync protocol data stream',
  13: 'errors with program diagnostics',
  14: 'error in IPC code',
  20: 'received SIGUSR1 or SIGINT',
  21: 'some error returned by waitpid()',
  22: 'error allocating core memory buffers',
  23: 'partial transfer due to error',
  24: 'partial transfer due to vanished source files',
  25: 'the --max-delete limit stopped deletions',
  30: 'timeout in data send/receive',
  35: 'timeout waiting for daemon connection',
  255: 'the ssh transport failed',
});

/** What a tool's exit code means. scp exits 1 for every failure (255 when ssh itself failed). */
export function exitMeaning(tool: 'scp' | 'rsync', code: number): string {
  if (tool === 'rsync') return RSYNC_EXIT_CODES[code] ?? 'unknown rsync error';
  if (code === 1) return 'scp failed (see its error output)';
  if (code === 255) return 'scp stopped on a fatal error, or its ssh failed (see its error output)';
  return 'unknown scp error';
}
