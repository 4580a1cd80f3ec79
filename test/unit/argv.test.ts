import { describe, expect, it } from 'vitest';
import { targetArgs } from '../../src/argv/common.js';
import { buildControlArgv } from '../../src/argv/control.js';
import { buildMasterArgv } from '../../src/argv/master.js';
import { buildSlaveArgv, SLAVE_SAFETY_OPTS } from '../../src/argv/slave.js';

const spec = { sshCmd: 'ssh', ctlPath: '/tmp/ctl/abc', host: 'example.org' };
const fullSpec = { ...spec, user: 'alice', port: 2222 };

describe('targetArgs', () => {
  it('gives -S ctl host without user or port', () => {
    expect(targetArgs(spec)).toEqual(['-S', '/tmp/ctl/abc', 'example.org']);
  });

  it('adds -l user and -p port (as a string)', () => {
    expect(targetArgs(fullSpec)).toEqual(['-S', '/tmp/ctl/abc', '-l', 'alice', '-p', '2222', 'example.org']);
  });
});

describe('buildMasterArgv', () => {
  it('builds the minimal master argv', () => {
    expect(buildMasterArgv({ ...spec, serverAliveInterval: 30 })).toEqual([
      'ssh',
      '-o', 'ServerAliveInterval=30',
      '-o', 'ControlPersist=no', '-o', 'SendEnv=*',
      '-MNx',
      '-S', '/tmp/ctl/abc',
      'example.org',
      '--',
    ]);
  });

  it('puts user masterOpts first and every option in order', () => {
    expect(
      buildMasterArgv({
        ...fullSpec,
        sshCmd: '/usr/local/bin/ssh',
        masterOpts: ['-o', 'Compression=yes', '-v'],
        serverAliveInterval: 4,
        connectTimeout: 12,
        batchMode: true,
        keyPath: '/home/alice/.ssh/id_ed25519',
        proxyCommand: 'nc -X connect -x proxy:3128 %h %p',
        forwardAgent: true,
        forwardX11: true,
      }),
    ).toEqual([
      '/usr/local/bin/ssh',
      '-o', 'Compression=yes', '-v',
      '-o', 'ServerAliveInterval=4',
      '-o', 'ControlPersist=no', '-o', 'SendEnv=*',
      '-o', 'ConnectTimeout=12',
      '-MNAX',
      '-o', 'BatchMode=yes',
      '-i', '/home/alice/.ssh/id_ed25519', '-o', 'PreferredAuthentications=publickey',
      '-o', 'ProxyCommand=nc -X connect -x proxy:3128 %h %p',
      '-S', '/tmp/ctl/abc',
      '-l', 'alice',
      '-p', '2222',
      'example.org',
      '--',
    ]);
  });

  it('adds ConnectTimeout only when given', () => {
    const without = buildMasterArgv({ ...spec, serverAliveInterval: 30 });
    expect(without.some((a) => a.startsWith('ConnectTimeout'))).toBe(false);
    expect(buildMasterArgv({ ...spec, serverAliveInterval: 30, connectTimeout: 1 })).toEqual([
      'ssh', '-o', 'ServerAliveInterval=30', '-o', 'ControlPersist=no', '-o', 'SendEnv=*', '-o', 'ConnectTimeout=1', '-MNx',
      '-S', '/tmp/ctl/abc', 'example.org', '--',
    ]);
  });

  it.each([
    [undefined, undefined, '-MNx'],
    [undefined, false, '-MNx'],
    [undefined, true, '-MNX'],
    [false, undefined, '-MNax'],
    [false, true, '-MNaX'],
    [true, undefined, '-MNAx'],
    [true, false, '-MNAx'],
    [true, true, '-MNAX'],
  ] as const)('forwardAgent %s, forwardX11 %s give %s', (forwardAgent, forwardX11, flags) => {
    const argv = buildMasterArgv({ ...spec, serverAliveInterval: 30, forwardAgent, forwardX11 });
    expect(argv).toEqual([
      'ssh', '-o', 'ServerAliveInterval=30', '-o', 'ControlPersist=no', '-o', 'SendEnv=*', flags, '-S', '/tmp/ctl/abc', 'example.org', '--',
    ]);
  });

  it('adds BatchMode only when true', () => {
    expect(buildMasterArgv({ ...spec, serverAliveInterval: 30, batchMode: false })).not.toContain('BatchMode=yes');
    expect(buildMasterArgv({ ...spec, serverAliveInterval: 30, batchMode: true })).toEqual([
      'ssh', '-o', 'ServerAliveInterval=30', '-o', 'ControlPersist=no', '-o', 'SendEnv=*', '-MNx', '-o', 'BatchMode=yes',
      '-S', '/tmp/ctl/abc', 'example.org', '--',
    ]);
  });

  it('adds -i key with PreferredAuthentications=publickey', () => {
    expect(buildMasterArgv({ ...spec, serverAliveInterval: 30, keyPath: 'k' })).toEqual([
      'ssh', '-o', 'ServerAliveInterval=30', '-o', 'ControlPersist=no', '-o', 'SendEnv=*', '-MNx',
      '-i', 'k', '-o', 'PreferredAuthentications=publickey',
      '-S', '/tmp/ctl/abc', 'example.org', '--',
    ]);
  });

  it('adds ProxyCommand as one word', () => {
    expect(buildMasterArgv({ ...spec, serverAliveInterval: 30, proxyCommand: 'ssh -W %h:%p jump' })).toEqual([
      'ssh', '-o', 'ServerAliveInterval=30', '-o', 'ControlPersist=no', '-o', 'SendEnv=*', '-MNx',
      '-o', 'ProxyCommand=ssh -W %h:%p jump',
      '-S', '/tmp/ctl/abc', 'example.org', '--',
    ]);
  });

  it('passes a bare IPv6 host through', () => {
    const argv = buildMasterArgv({ ...spec, host: 'fe80::1%eth0', serverAliveInterval: 30 });
    expect(argv.slice(-2)).toEqual(['fe80::1%eth0', '--']);
  });

  it('does not mutate masterOpts', () => {
    const masterOpts = Object.freeze(['-o', 'A=1']);
    buildMasterArgv({ ...spec, serverAliveInterval: 30, masterOpts });
    expect(masterOpts).toEqual(['-o', 'A=1']);
  });
});

describe('buildSlaveArgv', () => {
  it('exports the safety options', () => {
    expect(SLAVE_SAFETY_OPTS).toEqual(['-o', 'ControlMaster=no', '-o', 'ProxyCommand=false']);
    expect(Object.isFrozen(SLAVE_SAFETY_OPTS)).toBe(true);
  });

  it('builds the minimal slave argv with the command as one element', () => {
    expect(buildSlaveArgv({ ...spec, command: 'ls -l /tmp' })).toEqual([
      'ssh', '-o', 'ControlMaster=no', '-o', 'ProxyCommand=false', '-S', '/tmp/ctl/abc', 'example.org', '--', 'ls -l /tmp',
    ]);
  });

  it('sendEnv: one -o SendEnv=NAME per variable after the safety options (names only, never values)', () => {
    expect(buildSlaveArgv({ ...spec, sendEnv: ['LC_A', 'B'], command: 'env' })).toEqual([
      'ssh', '-o', 'ControlMaster=no', '-o', 'ProxyCommand=false', '-o', 'SendEnv=LC_A', '-o', 'SendEnv=B', '-S', '/tmp/ctl/abc', 'example.org', '--', 'env',
    ]);
  });

  it('puts sshOpts first, then the safety options, flags and target', () => {
    expect(
      buildSlaveArgv({ ...fullSpec, sshOpts: ['-o', 'LogLevel=ERROR', '-v'], tty: true, command: 'echo hi' }),
    ).toEqual([
      'ssh',
      '-o', 'LogLevel=ERROR', '-v',
      '-o', 'ControlMaster=no', '-o', 'ProxyCommand=false',
      '-qtt',
      '-S', '/tmp/ctl/abc', '-l', 'alice', '-p', '2222', 'example.org',
      '--',
      'echo hi',
    ]);
  });

  it.each([
    [{ tty: true }, '-qtt'],
    [{ tty: false }, '-T'],
    [{ forwardAgent: true }, '-A'],
    [{ forwardAgent: false }, '-a'],
    [{ forwardX11: true }, '-X'],
    [{ forwardX11: false }, '-x'],
    [{ subsystem: true }, '-s'],
    [{ tty: false, subsystem: true }, '-Ts'],
    [{ tty: true, forwardAgent: false, forwardX11: true }, '-qttaX'],
    [{ tty: false, forwardAgent: true, forwardX11: false, subsystem: true }, '-TAxs'],
  ])('%o gives the flag word %s', (opts, flags) => {
    expect(buildSlaveArgv({ ...spec, ...opts, command: 'c' })).toEqual([
      'ssh', '-o', 'ControlMaster=no', '-o', 'ProxyCommand=false', flags, '-S', '/tmp/ctl/abc', 'example.org', '--', 'c',
    ]);
  });

  it('adds no flag word when no flag is set', () => {
    expect(buildSlaveArgv({ ...spec, subsystem: false, command: 'c' })).toEqual([
      'ssh', '-o', 'ControlMaster=no', '-o', 'ProxyCommand=false', '-S', '/tmp/ctl/abc', 'example.org', '--', 'c',
    ]);
  });

  it('adds no command element when the command is undefined or empty', () => {
    const expected = ['ssh', '-o', 'ControlMaster=no', '-o', 'ProxyCommand=false', '-S', '/tmp/ctl/abc', 'example.org', '--'];
    expect(buildSlaveArgv({ ...spec })).toEqual(expected);
    expect(buildSlaveArgv({ ...spec, command: undefined })).toEqual(expected);
    expect(buildSlaveArgv({ ...spec, command: '' })).toEqual(expected);
  });

  it('keeps a command starting with - after --', () => {
    const argv = buildSlaveArgv({ ...spec, command: '-o ProxyCommand=evil' });
    expect(argv.slice(-2)).toEqual(['--', '-o ProxyCommand=evil']);
    expect(argv.indexOf('--')).toBe(argv.length - 2);
  });

  it('keeps a command of spaces and newlines as one element', () => {
    expect(buildSlaveArgv({ ...spec, command: ' a\nb ' }).at(-1)).toBe(' a\nb ');
  });

  it('names a subsystem as the command', () => {
    expect(buildSlaveArgv({ ...spec, tty: false, subsystem: true, command: 'sftp' })).toEqual([
      'ssh', '-o', 'ControlMaster=no', '-o', 'ProxyCommand=false', '-Ts', '-S', '/tmp/ctl/abc', 'example.org', '--', 'sftp',
    ]);
  });
});

describe('buildControlArgv', () => {
  it.each(['check', 'exit', 'stop'] as const)('builds -O %s', (cmd) => {
    expect(buildControlArgv(fullSpec, cmd)).toEqual([
      'ssh', '-O', cmd, '-T', '-S', '/tmp/ctl/abc', '-l', 'alice', '-p', '2222', 'example.org', '--',
    ]);
  });

  it('puts forwarding specs before -O', () => {
    expect(buildControlArgv(spec, 'forward', ['-L', '8080:localhost:80'])).toEqual([
      'ssh', '-L', '8080:localhost:80', '-O', 'forward', '-T', '-S', '/tmp/ctl/abc', 'example.org', '--',
    ]);
    expect(buildControlArgv(spec, 'cancel', ['-R', '9000:localhost:9000', '-D', '1080'])).toEqual([
      'ssh', '-R', '9000:localhost:9000', '-D', '1080', '-O', 'cancel', '-T', '-S', '/tmp/ctl/abc', 'example.org', '--',
    ]);
  });

  it('uses the given ssh program', () => {
    expect(buildControlArgv({ ...spec, sshCmd: '/opt/ssh' }, 'exit')[0]).toBe('/opt/ssh');
  });
});
