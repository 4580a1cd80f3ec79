/**
 * openssh-mux: drive the system OpenSSH client through connection multiplexing.
 * Public exports only.
 */
export { OpenSSH, type WaitForMasterOptions, type StreamOptions, type Open2, type Open3 } from './openssh.js';
export type { OpenSSHOptions } from './options/connection.js';
export type { LoginContext, LoginHandler } from './auth/login-handler.js';
export type { HostKeyPolicy } from './auth/host-keys.js';
export type { PasswordRoute } from './auth/settings.js';
export type { SshConfiguration } from './auth/ssh-config.js';
export type { CommandOptions, NoRejectOptions, OutputFile, OutputOption, StdinOption, StreamPipes } from './options/command.js';
export type { ParsedTarget, TargetDefaults } from './options/target.js';
export type { Result } from './run/result.js';
export type { SshProcess } from './run/execute.js';
export type { RemoteStream, RemoteWritable, RemoteReadable, RemoteDuplex, RemoteDuplex3 } from './run/streams.js';
export type { DefaultInput, DefaultOutput } from './run/default-streams.js';
export type { MasterOutput } from './master/output.js';
export type { ArgumentEncoding } from './run/argument-encoding.js';
export type { Engine, SpawnRequest, RunningProcess, ProcessExit, StdioSlot } from './run/engine.js';
export { nodeEngine } from './run/engine.js';
export type { PtyOptions, PtySession, Pty3Session } from './pty/session.js';
export type { PtyStream } from './pty/terminal.js';
export { ptyAvailable } from './pty/load.js';
export type { MasterState } from './master/master.js';
export { maxCtlPathLength } from './master/control-dir.js';
export {
  AbortError,
  CommandError,
  EncodingError,
  ErrorCode,
  MasterError,
  MaxBufferError,
  OpenSSHError,
  OutputFileError,
  QuoteError,
  SlaveError,
  TimeoutError,
  TransferError,
  SftpError,
  type SftpErrorCode,
  type SftpErrorDetails,
  ShellSessionError,
  type ErrorCodeValue,
  type ErrorDetails,
  type MasterFailureReason,
  type TimeoutKind,
  type OutputStreamName,
} from './errors/index.js';
export { raw, glob, type CommandWord, type RawWord, type GlobWord } from './quote/markers.js';
export type { Command } from './quote/command.js';
export type { Quoter, QuoteFragments } from './quote/types.js';
export { quotePosix, quoteGlobPosix, posixQuoter } from './quote/posix.js';
export { quoteCsh, quoteGlobCsh, cshQuoter } from './quote/csh.js';
export { quoteFish, quoteGlobFish, fishQuoter } from './quote/fish.js';
export { quoteMsWin, msWinQuoter, MSWIN_MAX_COMMAND_LINE } from './quote/mswin.js';
export { quoteMsCmd, msCmdQuoter, quoteMsCmdMsWin, msCmdMsWinQuoter, MSCMD_MAX_COMMAND_LINE } from './quote/mscmd.js';
export { chainQuoters } from './quote/chain.js';
export { getQuoter, remoteShellNames } from './quote/registry.js';
export { shellQuote, shellQuoteGlob } from './quote/shell-quote.js';
export { buildRemoteCommand, type BuildCommandOptions, type RedirectionFlags } from './quote/command.js';
export { buildMasterArgv, buildConfigQueryArgv, type MasterArgvOptions, type MethodPreferences } from './argv/master.js';
export { buildSlaveArgv, stdioForwardSpec, type SlaveArgvOptions } from './argv/slave.js';
export { buildControlArgv, buildForwardArgv, forwardSpec, forwardFlag, type ControlCommand, type ForwardSpec, type ForwardType } from './argv/control.js';
export { ForwardError } from './errors/index.js';
export { SshfsError, type SshfsFailureReason, type SshfsErrorDetails } from './errors/index.js';
export type { SshfsMount, SshfsCloseOptions, SshfsImportOptions, SshfsExportOptions, SshfsCommonOptions } from './sshfs/index.js';
export { MuxProtocolError, type MuxProtocolReason } from './errors/index.js';
export type { ForwardOptions } from './tunnel/options.js';
export type { PortForward } from './tunnel/forward.js';
export type { TunnelOptions, CaptureTunnelOptions } from './tunnel/tunnel.js';
export type { ConnectionSpec } from './argv/common.js';
export {
  RSYNC_EXIT_CODES,
  type Transfer,
  type TransferOptions,
  type TransferOutput,
  type TransferProgress,
  type TransferResult,
  type RsyncOptionValue,
} from './transfer/index.js';
export { Sftp, type ReaddirOptions, type NameEncoding, type SftpClientSettings } from './sftp/client.js';
export { SftpFileHandle, type RequestOptions as SftpRequestOptions } from './sftp/file-handle.js';
export { SftpStats, SftpDirent, type SftpStatVfs } from './sftp/stats.js';
export { sftpOverTransport, type SftpOptions } from './sftp/open.js';
export type { SftpTransport } from './sftp/session.js';
export type { SftpPath } from './sftp/paths.js';
export type { SftpLimits } from './sftp/extensions.js';
export type { Attributes as SftpAttributes } from './sftp/attrs.js';
export type { ReadFileOptions, WriteFileOptions } from './sftp/contents.js';
export type { ReadStreamOptions, WriteStreamOptions } from './sftp/streams.js';
export type { FastTransferOptions, DirTransferOptions } from './sftp/bulk.js';
export {
  Fleet,
  FleetJob,
  FleetError,
  isRetryable,
  backoffDelay,
  type FleetOptions,
  type FleetTask,
  type FleetHost,
  type FleetHostOptions,
  type HostSpec,
  type Selector,
  type FleetRunOptions,
  type ErrorPolicy,
  type ErrorPolicyOption,
  type FleetReport,
  type FleetSummary,
  type HostResult,
  type HostSuccess,
  type HostFailure,
  type HostStatus,
  type SkipReason,
  type FleetCounts,
  type HostState,
  type ProgressEvent,
} from './fleet/index.js';
export { expandVars, type VarLookup } from './expand/expand.js';
export type { VarValue } from './expand/vars.js';
export { ShellSession, ShellPool, type ShellOptions, type ShellPoolOptions, type ShellCommandOptions, type ShellEngine, type ShellTransport, type TransportExit } from './shell/index.js';
export { renderTemplate, type Dollar, type DollarOptions, type TemplateResult, type TemplateValue, type TemplateWord, type ShellDollar } from './template/index.js';
export type { FleetDollar, FleetDollarOptions } from './fleet/fleet.js';
export type { CommandTraceContext, MasterTraceContext, TransferTraceContext } from './trace/channels.js';
export type { VerboseLevel } from './verbose/format.js';
export { ConnectionCache, defaultConnectionCache, type CacheLease, type ConnectionCacheOptions, type CacheGetOptions } from './cache/index.js';
export { ConnectionCacheError } from './errors/index.js';
