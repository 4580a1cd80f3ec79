export { sshfsImport, type SshfsImportContext } from './import.js';
export { sshfsExport, type SshfsExportContext } from './export.js';
export { SshfsMounts, type SshfsMount, type SshfsCloseOptions } from './mount.js';
export type { SshfsImportOptions, SshfsExportOptions, SshfsCommonOptions } from './options.js';
