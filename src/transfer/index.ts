/**
 * File transfer over the master: scp (SFTP or legacy mode) and rsync, with every remote name
 * reaching the remote file system byte for byte. See docs/transfer.md.
 */
import { normalizePaths, normalizeTransfer, type TransferDefaults, type TransferDirection, type TransferOptions, type TransferTool } from './options.js';
import { traceTransfer } from '../trace/transfer.js';
import { startTransfer, type Transfer, type TransferContext, type TransferResult } from './run.js';

export type { TransferOptions, TransferOutput, RsyncOptionValue, TransferDefaults } from './options.js';
export type { Transfer, TransferResult, TransferContext } from './run.js';
export type { TransferProgress } from './progress.js';
export { RSYNC_EXIT_CODES } from './exit-codes.js';
export { buildScpArgv, buildRsyncArgv, type TransferSpec } from './argv.js';

/**
 * Check everything at once (TypeErrors are thrown synchronously), then start the transfer.
 * Resolves with the running {@link Transfer} when `async`, else with the {@link TransferResult}.
 */
export function transfer(
  ctx: TransferContext,
  defaults: TransferDefaults,
  tool: TransferTool,
  direction: TransferDirection,
  sources: string | readonly string[],
  target: string | undefined,
  options: TransferOptions | undefined,
): Promise<Transfer | TransferResult> {
  const method = `${tool}${direction === 'get' ? 'Get' : 'Put'}`;
  const paths = normalizePaths(method, sources, target);
  const call = normalizeTransfer(tool, direction, options, defaults);
  const context = { host: ctx.host, tool, direction, sources: paths.sources, target: paths.target };
  const started = traceTransfer(context, () => startTransfer(ctx, { call, ...paths }));
  return call.async ? started : started.then((t) => t.result);
}
