import type { ConnectionSpec } from '../argv/common.js';
import { SLAVE_SAFETY_OPTS } from '../argv/slave.js';
import type { NormalizedTransfer } from './options.js';
import { guardLocal, remotePrefix, remoteWord } from './paths.js';

/** Everything the argv builders need besides the options. */
export interface TransferSpec extends ConnectionSpec {
  /** Host as scp and rsync want it (IPv6 in brackets). */
  hostSquared: string;
  /** Sources as given (local ones already glob-expanded). */
  sources: readonly string[];
  /** Target as given (undefined: `.` locally, the home directory remotely). */
  target: string | undefined;
  /** rsync only: pass `--old-args` (local rsync >= 3.2.4). */
  oldArgs?: boolean;
}

/** The program: `command`, else `scp`/`rsync` beside an `ssh` given by path, else from PATH. */
export function toolProgram(tool: 'scp' | 'rsync', sshCmd: string, command: string | undefined): string {
  if (command !== undefined) return command;
  if (tool === 'scp' && /(^|\/)ssh$/.test(sshCmd)) return sshCmd.replace(/ssh$/, 'scp');
  return tool;
}

/**
 * A value for an ssh_config line given with `-o Key=value`: ssh splits it like a shell word
 * (quotes, backslashes, whitespace), so wrap it in double quotes. `%` tokens and `${VAR}` are
 * left alone on purpose: ssh expands `-S` paths the same way, so the same text names the
 * same socket.
 */
export function sshConfigValue(value: string): string {
  if (/^[A-Za-z0-9_./@:+,%-]+$/.test(value)) return value;
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * Quote one word for rsync's `-e` parser: it splits on whitespace and takes `'…'` and `"…"`
 * quoting, where a doubled quote inside stands for one.
 */
export function rsyncShellWord(word: string): string {
  if (/^[A-Za-z0-9_./@:=+,%-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, "''")}'`;
}

function verboseFlags(n: number): string[] {
  return n > 0 ? [`-${'v'.repeat(n)}`] : [];
}

/**
 * scp's argv, program first:
 * `scp [sshOpts] [-q] [-v] [-r] [-p] [-l kbit] [-O -T] -S ssh -o ControlPath=ctl
 * -o ControlMaster=no -o ProxyCommand=false [-P port] -- src... dst`.
 * Legacy mode gets `-T`: the remote names arrive quoted for the remote shell, so scp's own
 * check that they match the request would refuse them (Net::OpenSSH issue #33).
 */
export function buildScpArgv(spec: TransferSpec, o: NormalizedTransfer): string[] {
  const argv = [toolProgram('scp', spec.sshCmd, o.command), ...o.sshOpts];
  if (o.quiet && o.verbose === 0) argv.push('-q');
  argv.push(...verboseFlags(o.verbose));
  if (o.recursive) argv.push('-r');
  if (o.copyAttrs) argv.push('-p');
  if (o.bwlimit !== undefined) argv.push('-l', String(Math.max(1, Math.round(o.bwlimit))));
  if (o.scpMode === 'legacy') argv.push('-O', '-T');
  argv.push('-S', spec.sshCmd, '-o', `ControlPath=${sshConfigValue(spec.ctlPath)}`);
  for (let i = 0; i < SLAVE_SAFETY_OPTS.length; i += 2) argv.push('-o', SLAVE_SAFETY_OPTS[i + 1]!);
  if (spec.port !== undefined) argv.push('-P', String(spec.port));
  argv.push('--', ...paths(spec, o));
  return argv;
}

/**
 * rsync's argv, program first:
 * `rsync [--old-args] -e 'ssh [sshOpts] -o ControlMaster=no -o ProxyCommand=false -S ctl'
 * [-q] [-v] [-r] [-pt] [--bwlimit=KiB] [--info=name1,progress1] [extra...] -- src... dst`.
 * Remote paths are quoted for the remote shell, which `--old-args` makes rsync hand over
 * as they are (rsync >= 3.2.4 would otherwise backslash-escape them, wildcards excepted).
 */
export function buildRsyncArgv(spec: TransferSpec, o: NormalizedTransfer): string[] {
  const argv = [toolProgram('rsync', spec.sshCmd, o.command)];
  if (spec.oldArgs) argv.push('--old-args');
  const rsh = [spec.sshCmd, ...o.sshOpts, ...SLAVE_SAFETY_OPTS, '-S', spec.ctlPath];
  if (spec.port !== undefined) rsh.push('-p', String(spec.port));
  argv.push('-e', rsh.map(rsyncShellWord).join(' '));
  if (o.quiet && o.verbose === 0 && !o.progress && o.idleTimeout === undefined) argv.push('-q');
  argv.push(...verboseFlags(o.verbose));
  if (o.recursive) argv.push('-r');
  if (o.copyAttrs) argv.push('-pt');
  // rsync's --bwlimit is in units of 1024 bytes per second.
  if (o.bwlimit !== undefined) argv.push(`--bwlimit=${Math.max(1, Math.round((o.bwlimit * 1000) / 8 / 1024))}`);
  if (o.progress || o.idleTimeout !== undefined) argv.push('--info=name1,progress1');
  argv.push(...o.rsyncArgs, '--', ...paths(spec, o));
  return argv;
}

/** Sources then target, each remote one as `user@host:path` in the form its tool reads. */
function paths(spec: TransferSpec, o: NormalizedTransfer): string[] {
  const prefix = remotePrefix(spec.hostSquared, spec.user);
  const sftp = o.tool === 'scp' && o.scpMode === 'sftp';
  const shell = { mode: 'shell' as const, glob: o.glob, quoter: o.quoter };
  if (o.direction === 'get') {
    const how = sftp ? { mode: 'sftp-source' as const, glob: o.glob, quoter: o.quoter } : shell;
    return [...spec.sources.map((s) => remoteWord(prefix, s, how)), guardLocal(spec.target ?? '.')];
  }
  const how = sftp ? { mode: 'sftp-target' as const, glob: false, quoter: o.quoter } : { ...shell, glob: false };
  return [...spec.sources.map(guardLocal), remoteWord(prefix, spec.target ?? '', how)];
}
