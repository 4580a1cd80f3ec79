import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  buildExportCommand,
  buildImportArgv,
  buildUnmountArgv,
  EXPORT_WRAPPER,
  fuseOptEscape,
  fuseOptEscapeOption,
  sshCommandOption,
  sshCommandWordProblem,
  sshCommandWords,
  sshfsSource,
} from '../../src/sshfs/argv.js';
import { lastLine, mountFailureReason, unmountFailureReason } from '../../src/sshfs/diagnose.js';
import { parseMountinfo, unescapeMountField } from '../../src/sshfs/mountinfo.js';
import { EXPORT_KNOWN, IMPORT_KNOWN, normalizeSshfsOptions } from '../../src/sshfs/options.js';
import { expectTypeError } from '../helpers/expect-throw.js';
import { mulberry32 } from '../helpers/prng.js';

/** libfuse's reading of one `-o` group (fuse_opt.c): split on unescaped commas, `\x` gives x. */
function fuseOptUnescape(group: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < group.length; i++) {
    const c = group[i]!;
    if (c === '\\' && i + 1 < group.length) cur += group[++i];
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** sshfs 3.7's split of ssh_command: on spaces not preceded by a backslash, which stays. */
function sshfsTokenize(cmd: string): string[] {
  const out: string[] = [];
  let pos = 0;
  while (pos < cmd.length) {
    while (cmd[pos] === ' ') pos++;
    if (pos >= cmd.length) break;
    const start = pos;
    while (pos < cmd.length && !(cmd[pos] === ' ' && cmd[pos - 1] !== '\\')) pos++;
    out.push(cmd.slice(start, pos));
    pos++;
  }
  return out;
}

const spec = { sshCmd: 'ssh', ctlPath: '/root/.openssh-mux/abc123', user: 'deploy', port: 2222 };

describe('sshfs argv (pure)', () => {
  it('sshCommandWords: the slave ssh with the safety options, the socket, user and port; no host', () => {
    expect(sshCommandWords(spec)).toEqual(['ssh', '-o', 'ControlMaster=no', '-o', 'ProxyCommand=false', '-S', '/root/.openssh-mux/abc123', '-l', 'deploy', '-p', '2222']);
    expect(sshCommandWords({ sshCmd: '/usr/bin/ssh', ctlPath: '/c', sshOpts: ['-o', 'ServerAliveInterval=5'] })).toEqual([
      '/usr/bin/ssh', '-o', 'ServerAliveInterval=5', '-o', 'ControlMaster=no', '-o', 'ProxyCommand=false', '-S', '/c',
    ]);
  });

  it('sshCommandOption: escaped for libfuse, read back by libfuse then sshfs as the same words', () => {
    const words = { sshCmd: 'ssh', ctlPath: '/tmp/a,b\\c/ctl', user: 'u,v' };
    const r = sshCommandOption(words);
    expect(r).toEqual({ option: 'ssh_command=ssh -o ControlMaster=no -o ProxyCommand=false -S /tmp/a\\,b\\\\c/ctl -l u\\,v' });
    const [value] = fuseOptUnescape((r as { option: string }).option);
    expect(sshfsTokenize(value!.slice('ssh_command='.length))).toEqual(sshCommandWords(words));
  });

  it('sshCommandOption: words sshfs cannot carry are reported, not mangled', () => {
    expect(sshCommandOption({ sshCmd: 'ssh', ctlPath: '/home/a b/ctl' })).toEqual({
      problem: `the word "/home/a b/ctl" of the ssh command cannot be passed in sshfs's ssh_command: it contains a space, and sshfs splits ssh_command on spaces`,
    });
    expect(sshCommandOption({ sshCmd: 'ssh', ctlPath: '/c', user: 'dom\\' })).toEqual({
      problem: `the word "dom\\\\" of the ssh command cannot be passed in sshfs's ssh_command: it ends with a backslash, which sshfs would take as escaping the space after it`,
    });
  });

  it('sshCommandWordProblem', () => {
    expect(sshCommandWordProblem('')).toBe('it is empty');
    expect(sshCommandWordProblem('a b')).toBe('it contains a space, and sshfs splits ssh_command on spaces');
    expect(sshCommandWordProblem('a\\')).toBe('it ends with a backslash, which sshfs would take as escaping the space after it');
    expect(sshCommandWordProblem('a\\b\tc,d')).toBeUndefined();
  });

  it('fuseOptEscape round-trips through libfuse reading (random strings)', () => {
    const rand = mulberry32(16);
    const alphabet = 'ab,\\= \t-é';
    for (let i = 0; i < 500; i++) {
      const len = Math.floor(rand() * 12);
      let s = '';
      for (let j = 0; j < len; j++) s += alphabet[Math.floor(rand() * alphabet.length)];
      expect(fuseOptUnescape(fuseOptEscape(s))).toEqual([s]);
    }
  });

  it('fuseOptEscapeOption escapes the value only', () => {
    expect(fuseOptEscapeOption('ro')).toBe('ro');
    expect(fuseOptEscapeOption('uidfile=/a,b')).toBe('uidfile=/a\\,b');
    expect(fuseOptEscapeOption('x=a=b\\')).toBe('x=a=b\\\\');
  });

  it('sshfsSource: host:dir, IPv6 in brackets (sshfs removes them), an empty dir for the home', () => {
    expect(sshfsSource('web1', '/srv/www')).toBe('web1:/srv/www');
    expect(sshfsSource('[::1]', '/srv')).toBe('[::1]:/srv');
    expect(sshfsSource('[fe80::1%eth0]', 'rel dir')).toBe('[fe80::1%eth0]:rel dir');
    expect(sshfsSource('h', '')).toBe('h:');
    expect(sshfsSource('h', '-x:y')).toBe('h:-x:y');
  });

  it('buildImportArgv', () => {
    expect(buildImportArgv({ sshfsCmd: 'sshfs', source: 'h:/d', mountpoint: '/mnt/x', sshCommand: 'ssh_command=ssh -S /c', sshfsOptions: ['ro', 'uidfile=/a,b'] })).toEqual([
      'sshfs', 'h:/d', '/mnt/x', '-f', '-o', 'ssh_command=ssh -S /c', '-o', 'ro', '-o', 'uidfile=/a\\,b',
    ]);
  });

  it('buildExportCommand: the wrapper, its arguments, sshfs -o slave', () => {
    expect(buildExportCommand({ sshfsCmd: 'sshfs', source: 'here:/srv/x', mountpoint: '/mnt/y', nonEmpty: false, sshfsOptions: ['ro'] })).toEqual([
      'sh', '-c', EXPORT_WRAPPER, 'sh', '0', '/mnt/y', 'sshfs', '-o', 'slave', 'here:/srv/x', '/mnt/y', '-o', 'ro',
    ]);
    expect(buildExportCommand({ sshfsCmd: '/opt/sshfs', source: 'h:/s', mountpoint: '-m', nonEmpty: true })).toEqual([
      'sh', '-c', EXPORT_WRAPPER, 'sh', '1', './-m', '/opt/sshfs', '-o', 'slave', 'h:/s', './-m',
    ]);
  });

  it('EXPORT_WRAPPER is one line of valid POSIX sh (dash -n)', () => {
    expect(EXPORT_WRAPPER).not.toContain('\n');
    expect(() => execFileSync('dash', ['-n', '-c', EXPORT_WRAPPER])).not.toThrow();
  });

  it('buildUnmountArgv', () => {
    expect(buildUnmountArgv('fusermount3', '/mnt/-x', false)).toEqual(['fusermount3', '-u', '--', '/mnt/-x']);
    expect(buildUnmountArgv('fusermount', '/m', true)).toEqual(['fusermount', '-u', '-z', '--', '/m']);
  });
});

describe('mountinfo (pure)', () => {
  it('parses lines, with optional fields and octal escapes', () => {
    const text = [
      '26 1 0:23 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
      '44 26 0:39 / /tmp/a\\040b\\011c\\012d\\134e rw,nosuid,nodev,relatime shared:5 master:2 - fuse.sshfs 127.0.0.1:/srv/x\\040y rw,user_id=0,group_id=0',
      'garbage',
      '',
    ].join('\n');
    expect(parseMountinfo(text)).toEqual([
      { mountpoint: '/', fstype: 'ext4', source: '/dev/sda1' },
      { mountpoint: '/tmp/a b\tc\nd\\e', fstype: 'fuse.sshfs', source: '127.0.0.1:/srv/x y' },
    ]);
  });

  it('unescapeMountField', () => {
    expect(unescapeMountField('a\\040b\\134')).toBe('a b\\');
    expect(unescapeMountField('plain')).toBe('plain');
  });
});

describe('diagnosing sshfs failures (pure)', () => {
  const cases: Array<[string, string]> = [
    ["fuse: device not found, try 'modprobe fuse' first\n", 'fuse-unavailable'],
    ['fuse: failed to open /dev/fuse: Permission denied\n', 'fuse-unavailable'],
    ['fusermount3: failed to open /dev/fuse: Operation not permitted\n', 'fuse-unavailable'],
    ['fusermount: mount failed: Operation not permitted\n', 'fuse-unavailable'],
    ["fuse: bad mount point `/mnt/x': No such file or directory\n", 'mountpoint-missing'],
    ["fuse: bad mount point `/mnt/x': Not a directory\n", 'mountpoint-missing'],
    ['127.0.0.1:/srv/nope: No such file or directory\n', 'source-missing'],
    ['host:/etc/passwd: Not a directory\n', 'source-missing'],
    ['sh: 1: sshfs: not found\n', 'not-installed'],
    ['bash: line 1: sshfs: command not found\n', 'not-installed'],
    ['openssh-mux-sshfs: not-installed\n', 'not-installed'],
    ['openssh-mux-sshfs: mountpoint-missing\n', 'mountpoint-missing'],
    ['openssh-mux-sshfs: mountpoint-not-empty\n', 'mountpoint-not-empty'],
    ['read: Connection reset by peer\n', 'exited'],
    ['', 'exited'],
  ];
  it.each(cases)('%j -> %s', (stderr, reason) => {
    expect(mountFailureReason(stderr)).toBe(reason);
  });

  it('unmount failures: busy or not', () => {
    expect(unmountFailureReason('fusermount3: failed to unmount /m: Device or resource busy\n')).toBe('busy');
    expect(unmountFailureReason('fusermount3: entry for /m not found in /etc/mtab\n')).toBe('unmount');
  });

  it('lastLine skips blank lines and the wrapper verdicts', () => {
    expect(lastLine('a\n\nb \n\n')).toBe('b');
    expect(lastLine('x\nopenssh-mux-sshfs: not-installed\n')).toBe('x');
    expect(lastLine('')).toBe('');
  });
});

describe('sshfs options', () => {
  it('the known option lists', () => {
    expect([...IMPORT_KNOWN].sort().join(', ')).toBe('fusermountCmd, nonEmpty, signal, sshOpts, sshfsCmd, sshfsOptions, timeout');
    expect([...EXPORT_KNOWN].sort().join(', ')).toBe('fusermountCmd, nonEmpty, sftpServerCmd, signal, sshOpts, sshfsCmd, sshfsOptions, timeout');
  });

  it('defaults', () => {
    expect(normalizeSshfsOptions('import')).toEqual({
      sshfsOptions: [], sshOpts: [], nonEmpty: false, timeout: 30_000, signal: undefined, sshfsCmd: 'sshfs', fusermountCmd: undefined, sftpServerCmd: '/usr/lib/openssh/sftp-server',
    });
    expect(normalizeSshfsOptions('export', { timeout: 0 }).timeout).toBeUndefined();
  });

  it('bad values are TypeErrors naming the option, the expected form and the value', () => {
    expectTypeError(() => normalizeSshfsOptions('import', 'ro'), 'option \'options of sshfsImport()\' must be an object, received string "ro"');
    expectTypeError(() => normalizeSshfsOptions('export', { sshfsOptions: ['fsname=x'] }), `option 'sshfsOptions' must be an array of sshfs options, one 'name' or 'name=value' per element, received string "fsname=x": fsname is set by the library or would bypass the master`);
    expectTypeError(() => normalizeSshfsOptions('export', { sshfsOptions: ['ro\nrw'] }), `option 'sshfsOptions' must be an array of sshfs options, one 'name' or 'name=value' per element, received string "ro\\nrw": it contains a line break`);
    expectTypeError(() => normalizeSshfsOptions('import', { sshfsOptions: ['ro,rw'] }), `option 'sshfsOptions' must be an array of sshfs options, one 'name' or 'name=value' per element, received string "ro,rw": "ro,rw" is not an option name (pass one option per element, without '-o')`);
    expectTypeError(() => normalizeSshfsOptions('import', { sshOpts: ['-l', 'a\\'] }), `option 'sshOpts' must be an array of ssh argv words that sshfs's ssh_command can carry, received string "a\\\\": it ends with a backslash, which sshfs would take as escaping the space after it`);
    // The export's slave is an ordinary slave: its sshOpts are not split by anyone.
    expect(normalizeSshfsOptions('export', { sshOpts: ['-o', 'SetEnv=A=b c'] }).sshOpts).toEqual(['-o', 'SetEnv=A=b c']);
    expectTypeError(() => normalizeSshfsOptions('import', { fusermountCmd: '-u' }), `option 'fusermountCmd' must be a program name or path (not starting with "-"), received string "-u"`);
    expectTypeError(() => normalizeSshfsOptions('import', { signal: {} }), "option 'signal' must be an AbortSignal, received an object (Object)");
  });
});
