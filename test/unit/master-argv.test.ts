import { describe, expect, it } from 'vitest';
import { buildConfigQueryArgv, buildMasterArgv, preferredAuthentications } from '../../src/argv/master.js';

const spec = { sshCmd: 'ssh', ctlPath: '/tmp/ctl/abc', host: 'example.org', serverAliveInterval: 30 };
const HEAD = ['ssh', '-o', 'ServerAliveInterval=30', '-o', 'ControlPersist=no', '-o', 'SendEnv=*', '-MNx'];
const TAIL = ['-S', '/tmp/ctl/abc', 'example.org', '--'];

describe('buildMasterArgv: login, host keys, methods, routes', () => {
  it.each([
    [{ hostKeyPolicy: 'strict' }, ['-o', 'StrictHostKeyChecking=yes']],
    [{ hostKeyPolicy: 'ask' }, ['-o', 'StrictHostKeyChecking=ask']],
    [{ hostKeyPolicy: 'tofu' }, ['-o', 'StrictHostKeyChecking=accept-new']],
    [{ hostKeyPolicy: 'advisory' }, ['-o', 'StrictHostKeyChecking=no']],
    [{ knownHostsFile: '/k/known' }, ['-o', 'UserKnownHostsFile=/k/known']],
    [{ hostKeyPolicy: 'tofu', knownHostsFile: '/k' }, ['-o', 'StrictHostKeyChecking=accept-new', '-o', 'UserKnownHostsFile=/k']],
    [{ kexAlgorithms: 'curve25519-sha256' }, ['-o', 'KexAlgorithms=curve25519-sha256']],
    [{ hostKeyAlgorithms: '+ssh-rsa' }, ['-o', 'HostKeyAlgorithms=+ssh-rsa']],
    [{ ciphers: 'aes128-ctr,aes256-ctr' }, ['-o', 'Ciphers=aes128-ctr,aes256-ctr']],
    [{ macs: 'hmac-sha2-256' }, ['-o', 'MACs=hmac-sha2-256']],
    [{ compression: true }, ['-o', 'Compression=yes']],
    [{ compression: false }, ['-o', 'Compression=no']],
    [{ secret: 'password' }, ['-o', 'NumberOfPasswordPrompts=1', '-o', 'PreferredAuthentications=keyboard-interactive,password']],
    [{ secret: 'passphrase' }, ['-o', 'NumberOfPasswordPrompts=1', '-o', 'IdentityAgent=none', '-o', 'PreferredAuthentications=publickey']],
    [
      { secret: 'password', keyPath: '/k' },
      ['-i', '/k', '-o', 'NumberOfPasswordPrompts=1', '-o', 'PreferredAuthentications=publickey,keyboard-interactive,password'],
    ],
    [
      { secret: 'passphrase', keyPath: '/k' },
      ['-i', '/k', '-o', 'NumberOfPasswordPrompts=1', '-o', 'IdentityAgent=none', '-o', 'PreferredAuthentications=publickey'],
    ],
    [{ proxyJump: ['a'] }, ['-o', 'ProxyJump=a']],
    [{ proxyJump: ['u@a:2222', 'b', '[::1]:22'] }, ['-o', 'ProxyJump=u@a:2222,b,[::1]:22']],
    [{ proxyJump: [] }, []],
  ] as const)('%j adds %j after the flags', (extra, words) => {
    expect(buildMasterArgv({ ...spec, ...extra })).toEqual([...HEAD, ...words, ...TAIL]);
  });

  it('puts ServerAliveCountMax next to ServerAliveInterval', () => {
    expect(buildMasterArgv({ ...spec, serverAliveCountMax: 2 })).toEqual([
      'ssh', '-o', 'ServerAliveInterval=30', '-o', 'ServerAliveCountMax=2', '-o', 'ControlPersist=no', '-o', 'SendEnv=*', '-MNx', ...TAIL,
    ]);
  });

  it('puts -F first, so a -F in masterOpts (later) wins', () => {
    expect(buildMasterArgv({ ...spec, sshConfig: '/etc/my.conf', masterOpts: ['-v'] })).toEqual([
      'ssh', '-F', '/etc/my.conf', '-v', '-o', 'ServerAliveInterval=30', '-o', 'ControlPersist=no', '-o', 'SendEnv=*', '-MNx', ...TAIL,
    ]);
  });

  it('keeps every option in one documented order', () => {
    expect(
      buildMasterArgv({
        ...spec,
        user: 'u',
        port: 22,
        sshConfig: '/c',
        masterOpts: ['-4'],
        serverAliveCountMax: 5,
        connectTimeout: 9,
        forwardAgent: true,
        batchMode: true,
        hostKeyPolicy: 'strict',
        knownHostsFile: '/kh',
        kexAlgorithms: 'k',
        hostKeyAlgorithms: 'h',
        ciphers: 'c',
        macs: 'm',
        compression: true,
        keyPath: '/id',
        proxyCommand: 'nc %h %p',
      }),
    ).toEqual([
      'ssh', '-F', '/c', '-4',
      '-o', 'ServerAliveInterval=30', '-o', 'ServerAliveCountMax=5', '-o', 'ControlPersist=no', '-o', 'SendEnv=*', '-o', 'ConnectTimeout=9',
      '-MNAx',
      '-o', 'BatchMode=yes',
      '-o', 'StrictHostKeyChecking=yes', '-o', 'UserKnownHostsFile=/kh',
      '-o', 'KexAlgorithms=k', '-o', 'HostKeyAlgorithms=h', '-o', 'Ciphers=c', '-o', 'MACs=m', '-o', 'Compression=yes',
      '-i', '/id', '-o', 'PreferredAuthentications=publickey',
      '-o', 'ProxyCommand=nc %h %p',
      '-S', '/tmp/ctl/abc', '-l', 'u', '-p', '22', 'example.org', '--',
    ]);
  });
});

describe('preferredAuthentications', () => {
  it.each([
    [{}, undefined],
    [{ keyPath: 'k' }, 'publickey'],
    [{ secret: 'password' }, 'keyboard-interactive,password'],
    [{ secret: 'password', keyPath: 'k' }, 'publickey,keyboard-interactive,password'],
    [{ secret: 'passphrase' }, 'publickey'],
  ] as const)('%j gives %s', (o, expected) => {
    expect(preferredAuthentications(o)).toBe(expected);
  });
});

describe('buildConfigQueryArgv', () => {
  it('asks ssh -G with the same options, no -M/-N, no ControlPath, no --', () => {
    expect(
      buildConfigQueryArgv({ ...spec, user: 'u', port: 2222, sshConfig: '/c', hostKeyPolicy: 'tofu', secret: 'password', forwardX11: true }),
    ).toEqual([
      'ssh', '-F', '/c', '-o', 'ServerAliveInterval=30', '-o', 'ControlPersist=no', '-o', 'SendEnv=*', '-GX',
      '-o', 'StrictHostKeyChecking=accept-new',
      '-o', 'NumberOfPasswordPrompts=1', '-o', 'PreferredAuthentications=keyboard-interactive,password',
      '-l', 'u', '-p', '2222', 'example.org',
    ]);
  });
});
