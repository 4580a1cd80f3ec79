/**
 * The effective client configuration, as `ssh -G` prints it: one `keyword value` line per
 * setting, keywords in lower case.
 */
export type SshConfiguration = Record<string, string | string[]>;

/** Keywords ssh prints once per value (`identityfile a`, `identityfile b`): always arrays. */
const REPEATED = new Set([
  'identityfile',
  'certificatefile',
  'localforward',
  'remoteforward',
  'dynamicforward',
  'sendenv',
  'setenv',
  'permitremoteopen',
  'channeltimeout',
]);

/** Keywords whose one value is a white-space separated list of files: arrays. */
const FILE_LISTS = new Set(['userknownhostsfile', 'globalknownhostsfile']);

/**
 * Parse `ssh -G` output. Keys are lower-cased (ssh prints a few in mixed case); the values
 * of {@link REPEATED} keywords, of the known-hosts file lists and of any keyword that appears
 * more than once are arrays; every other value is the rest of its line as printed.
 */
export function parseSshG(output: string): SshConfiguration {
  const out: SshConfiguration = {};
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const sp = line.search(/\s/);
    const key = (sp < 0 ? line : line.slice(0, sp)).toLowerCase();
    const value = sp < 0 ? '' : line.slice(sp + 1).trim();
    if (FILE_LISTS.has(key)) {
      out[key] = value.split(/\s+/).filter((v) => v !== '');
      continue;
    }
    const prev = out[key];
    if (Array.isArray(prev)) prev.push(value);
    else if (prev !== undefined) out[key] = [prev, value];
    else out[key] = REPEATED.has(key) ? [value] : value;
  }
  return out;
}
