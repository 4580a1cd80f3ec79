/** The fan-out layer: a {@link Fleet} of hosts, its runs, results, policies and progress. */
export { Fleet, type FleetOptions } from './fleet.js';
export { FleetJob, type FleetTask } from './job.js';
export type { FleetHost, FleetHostOptions, HostSpec, Selector } from './hosts.js';
export type { FleetRunOptions } from './options.js';
export { isRetryable, backoffDelay, type ErrorPolicy, type ErrorPolicyOption } from './policy.js';
export { FleetError, type FleetReport, type FleetSummary, type HostResult, type HostSuccess, type HostFailure, type HostStatus, type SkipReason } from './results.js';
export type { FleetCounts, HostState, ProgressEvent } from './progress.js';
