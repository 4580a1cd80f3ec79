import { describe, expect, it } from 'vitest';
import { normalizeConnection, type OpenSSHOptions } from '../../src/options/connection.js';
import { expectTypeError } from '../helpers/expect-throw.js';

const conn = (target: string | undefined, options: unknown = {}) => normalizeConnection(target, options as OpenSSHOptions);

describe('normalizeConnection: login options', () => {
  it('keeps a password only in the login secret, and turns batch mode off', () => {
    const n = conn('h', { password: 'pw', passwordPrompt: 'PIN>', passwordRoute: 'askpass' });
    expect(n.target.password).toBeUndefined();
    expect(n.master.login).toMatchObject({ route: 'askpass', handler: undefined, ptyForce: false, jumps: [] });
    expect(n.master.login!.secret!.kind).toBe('password');
    expect(n.master.login!.prompt.test('PIN> ')).toBe(true);
    expect(n.master.masterArgv).toMatchObject({ batchMode: false, secret: 'password' });
    expect(JSON.stringify(n)).not.toContain('"pw"');
  });

  it('never shows a password from the target in the error about a bad target', () => {
    const rest = 'expected [user[:password]@]host[:port], with IPv6 literals bare (fe80::1) or in brackets ([fe80::1%eth0]:22)';
    expectTypeError(() => conn('me:hun:ter@2@host:abc'), `bad target "me:***@host:abc": the port "abc" is not a number; ${rest}`);
    expectTypeError(() => conn(':s3cret@host'), `bad target ":***@host": the user part is empty; ${rest}`);
    expectTypeError(() => conn('me:s3cret@[zz]'), `bad target "me:***@[zz]": zz in brackets is not an IPv6 address; ${rest}`);
    expectTypeError(() => conn('me@host:abc'), `bad target "me@host:abc": the port "abc" is not a number; ${rest}`);
  });

  it('accepts an empty password (a server may have one)', () => {
    expect(conn('u:@h').master.login!.secret!.kind).toBe('password');
    expect(conn('h', { password: '' }).master.login!.secret!.kind).toBe('password');
  });

  it('takes a passphrase, a handler, masterPtyForce', () => {
    expect(conn('h', { passphrase: 'pp', keyPath: '/k' }).master.masterArgv).toMatchObject({ batchMode: false, secret: 'passphrase', keyPath: '/k' });
    const handler = () => true;
    const n = conn('h', { loginHandler: handler, proxyJump: 'a,b' });
    expect(n.master.login).toMatchObject({ handler, secret: undefined, jumps: ['a', 'b'] });
    expect(n.master.masterArgv.batchMode).toBe(false);
    const f = conn('h', { masterPtyForce: true });
    expect(f.master.login).toMatchObject({ ptyForce: true, secret: undefined });
    expect(f.master.masterArgv.batchMode).toBe(true);
  });

  it('has no login without any of them', () => {
    expect(conn('h').master.login).toBeUndefined();
  });

  it('rejects password with passphrase, handler with either, batchMode true with any', () => {
    expectTypeError(
      () => conn('h', { password: 'a', passphrase: 'b' }),
      "options 'password' and 'passphrase' cannot be used together: give the password for a password login, the passphrase for a key",
    );
    expectTypeError(
      () => conn('u:pw@h', { loginHandler: () => true }),
      "options 'loginHandler' and 'password' cannot be used together: a login handler answers every prompt itself",
    );
    expectTypeError(
      () => conn('h', { passphrase: 'x', loginHandler: () => true }),
      "options 'loginHandler' and 'passphrase' cannot be used together: a login handler answers every prompt itself",
    );
    expectTypeError(
      () => conn('h', { password: 'x', batchMode: true }),
      "option 'batchMode' cannot be true together with 'password': batch mode forbids every prompt",
    );
    expectTypeError(
      () => conn('h', { loginHandler: () => true, batchMode: true }),
      "option 'batchMode' cannot be true together with 'loginHandler': batch mode forbids every prompt",
    );
  });

  it("rejects passwordRoute 'askpass' with what needs the pty", () => {
    expectTypeError(
      () => conn('h', { password: 'x', passwordRoute: 'askpass', masterPtyForce: true }),
      `options 'passwordRoute: "askpass"' and 'masterPtyForce' cannot be used together: that option runs the master on a pty`,
    );
    expectTypeError(
      () => conn('h', { passwordRoute: 'askpass', loginHandler: () => true }),
      `options 'passwordRoute: "askpass"' and 'loginHandler' cannot be used together: that option runs the master on a pty`,
    );
    expect(conn('h', { password: 'x', passwordRoute: 'pty', masterPtyForce: true }).master.login!.route).toBe('pty');
  });

  it('rejects a login on an external master', () => {
    expectTypeError(
      () => conn(undefined, { externalMaster: true, ctlPath: '/s', password: 'x' }),
      "option 'password' cannot be used with externalMaster: that master is already logged in",
    );
  });

  it('rejects agent forwarding with a passphrase', () => {
    expectTypeError(
      () => conn('h', { passphrase: 'x', forwardAgent: 'always' }),
      "options 'forwardAgent' and 'passphrase' cannot be used together: the agent is bypassed to make ssh use the key",
    );
  });

  it('rejects bad values', () => {
    expectTypeError(() => conn('h', { loginHandler: 'yes' }), "option 'loginHandler' must be a function (ctx) => boolean | Promise<boolean>, received string \"yes\"");
    expectTypeError(() => conn('h', { passwordPrompt: '' }), "option 'passwordPrompt' must be a non-empty string or a RegExp, received string \"\"");
    expectTypeError(() => conn('h', { passwordRoute: 'tty' }), "option 'passwordRoute' must be one of 'auto', 'pty', 'askpass', received string \"tty\"");
    expectTypeError(() => conn('h', { passphrase: 5 }), "option 'passphrase' must be a string, received number 5");
    expectTypeError(() => conn('h', { masterPtyForce: 1 }), "option 'masterPtyForce' must be a boolean, received number 1");
  });
});

describe('normalizeConnection: host keys, methods, routes', () => {
  it('maps every option into the master argv', () => {
    const n = conn('h', {
      hostKeyPolicy: 'tofu',
      knownHostsFile: '/tmp/kh',
      kexAlgorithms: ['curve25519-sha256', 'diffie-hellman-group14-sha256'],
      ciphers: '+aes128-cbc',
      macs: ['hmac-sha2-256'],
      hostKeyAlgorithms: 'ssh-ed25519',
      compression: true,
      serverAliveCountMax: 2,
      proxyJump: ['a', 'u@b:2222'],
      sshConfig: '/etc/cfg',
    });
    expect(n.master.masterArgv).toMatchObject({
      hostKeyPolicy: 'tofu',
      knownHostsFile: '/tmp/kh',
      kexAlgorithms: 'curve25519-sha256,diffie-hellman-group14-sha256',
      ciphers: '+aes128-cbc',
      macs: 'hmac-sha2-256',
      hostKeyAlgorithms: 'ssh-ed25519',
      compression: true,
      serverAliveCountMax: 2,
      proxyJump: ['a', 'u@b:2222'],
      sshConfig: '/etc/cfg',
      batchMode: true,
    });
  });

  it('passes no host-key option by default', () => {
    const m = conn('h').master.masterArgv;
    expect('hostKeyPolicy' in m).toBe(false);
    expect('knownHostsFile' in m).toBe(false);
  });

  it("maps forwardAgent: 'always' to -A on the master and the commands' default", () => {
    const always = conn('h', { forwardAgent: 'always' });
    expect(always.master.masterArgv.forwardAgent).toBe(true);
    expect(always.defaults.forwardAgent).toBe(true);
    const yes = conn('h', { forwardAgent: true });
    expect(yes.master.masterArgv.forwardAgent).toBe(true);
    expect(yes.defaults.forwardAgent).toBeUndefined();
    const no = conn('h', { forwardAgent: false });
    expect(no.master.masterArgv.forwardAgent).toBe(false);
    expect(no.defaults.forwardAgent).toBeUndefined();
  });

  it('rejects bad values with the expected form', () => {
    expectTypeError(() => conn('h', { hostKeyPolicy: 'yes' }), "option 'hostKeyPolicy' must be one of 'strict', 'ask', 'tofu', 'advisory', received string \"yes\"");
    expectTypeError(
      () => conn('h', { knownHostsFile: '/my hosts' }),
      "option 'knownHostsFile' must be a path without white space or quotes (ssh splits this value on white space), received string \"/my hosts\"",
    );
    expectTypeError(
      () => conn('h', { ciphers: 'aes128-ctr, aes256-ctr' }),
      "option 'ciphers' must be a comma-separated list of algorithm names (optionally starting with '+', '-' or '^') or a non-empty array of names, received string \"aes128-ctr, aes256-ctr\"",
    );
    expectTypeError(
      () => conn('h', { macs: [] }),
      "option 'macs' must be a comma-separated list of algorithm names (optionally starting with '+', '-' or '^') or a non-empty array of names, received an array of length 0",
    );
    expectTypeError(() => conn('h', { compression: 'yes' }), "option 'compression' must be a boolean, received string \"yes\"");
    expectTypeError(() => conn('h', { serverAliveCountMax: 0 }), "option 'serverAliveCountMax' must be a whole number >= 1, received number 0");
    expectTypeError(
      () => conn('h', { proxyJump: ['a b'] }),
      "option 'proxyJump' must be a jump host '[user@]host[:port]' (no spaces), a comma-separated chain of them, or a non-empty array of them, received an array of length 1",
    );
    expectTypeError(
      () => conn('h', { proxyJump: 'a,,b' }),
      "option 'proxyJump' must be a jump host '[user@]host[:port]' (no spaces), a comma-separated chain of them, or a non-empty array of them, received string \"a,,b\"",
    );
    expectTypeError(() => conn('h', { sshConfig: '' }), "option 'sshConfig' must be a non-empty string, received string \"\"");
    expectTypeError(() => conn('h', { forwardAgent: 'yes' }), "option 'forwardAgent' must be a boolean or 'always', received string \"yes\"");
    expectTypeError(
      () => conn('h', { proxyCommand: 'nc %h %p', proxyJump: 'j' }),
      "options 'proxyCommand' and 'proxyJump' cannot be used together: ssh uses only one way to reach the host",
    );
  });
});
