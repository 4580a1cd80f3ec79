import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandError, MasterError, OpenSSH, type OpenSSHOptions } from '../../src/index.js';
import { startSshd, type TestServer } from '../../src/testing/index.js';
import { connect, defaultUser, open, sshd, target, track } from '../helpers/server.js';

/**
 * Routes to the shared sshd through a second sshd (the jump host): ProxyJump (one and two
 * hops) and ProxyCommand, configured by an ssh_config file, as a user would. OpenSSH hands
 * `-F <file>` on to each hop's ssh, but not the master's `-o` options or `-i` key: so the jump
 * host's known key and our client keys are in that file.
 */
let jump: TestServer;
let work: string;
let config: string;

beforeAll(async () => {
  const s = sshd();
  jump = await startSshd({ users: s.isRoot ? [{ name: defaultUser(), shell: '/bin/sh' }] : undefined });
  work = mkdtempSync(join(tmpdir(), 'openssh-mux-routes-'));
  const knownHosts = join(work, 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${jump.port} ${jump.hostKey}\n[127.0.0.1]:${s.port} ${s.hostKey}\n`);
  config = join(work, 'ssh_config');
  writeFileSync(
    config,
    [
      'Host jump',
      '  HostName 127.0.0.1',
      `  Port ${jump.port}`,
      `  User ${defaultUser()}`,
      'Host *',
      `  UserKnownHostsFile ${knownHosts}`,
      '  GlobalKnownHostsFile /dev/null',
      '  StrictHostKeyChecking yes',
      `  IdentityFile ${jump.keyPath}`,
      `  IdentityFile ${s.keyPath}`,
      '  IdentitiesOnly yes',
      '  BatchMode yes',
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  await jump?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Options that rely on the config file alone (no -o from the test helpers). */
const viaConfig = (extra: OpenSSHOptions): OpenSSHOptions => ({ sshConfig: config, ctlDir: sshd().ctlDir, ...extra });
const accepted = () => jump.log().split('\n').filter((l) => /Accepted publickey/.test(l)).length;

describe('routes', () => {
  it('proxyJump: one hop', async () => {
    const before = accepted();
    const ssh = track(new OpenSSH(target(), viaConfig({ proxyJump: 'jump' })));
    expect(await ssh.waitForMaster()).toBe(true);
    expect(await ssh.capture('echo through the jump host')).toBe('through the jump host\n');
    expect(accepted() - before).toBe(1);
    expect((await ssh.sshConfiguration()).proxyjump).toBe('jump');
  });

  it('proxyJump: two hops, as a list', async () => {
    const before = accepted();
    const ssh = track(new OpenSSH(target(), viaConfig({ proxyJump: ['jump', `${defaultUser()}@127.0.0.1:${jump.port}`] })));
    expect(await ssh.waitForMaster()).toBe(true);
    expect(await ssh.capture('echo two hops')).toBe('two hops\n');
    expect(accepted() - before).toBe(2);
  });

  it('proxyJump: a hop that refuses us fails the master with ssh words', async () => {
    const ssh = track(new OpenSSH(target(), viaConfig({ proxyJump: `nobody@127.0.0.1:${jump.port}` })));
    expect(await ssh.waitForMaster()).toBe(false);
    const err = ssh.error as MasterError;
    expect(err).toBeInstanceOf(MasterError);
    expect(err.code).toBe('OSSH_MASTER_FAILED');
    expect(err.reason).toBe('auth');
    expect(err.message).toMatch(
      /^unable to establish or keep the master SSH connection to 127\.0\.0\.1: authentication failed; the master ssh process exited with code 255: .*nobody@127\.0\.0\.1: Permission denied/s,
    );
  });

  it('proxyCommand: ssh -W through the jump host', async () => {
    const before = accepted();
    const ssh = track(new OpenSSH(target(), viaConfig({ proxyCommand: `ssh -F ${config} -W %h:%p jump` })));
    expect(await ssh.waitForMaster()).toBe(true);
    expect(await ssh.capture('echo proxied')).toBe('proxied\n');
    expect(accepted() - before).toBe(1);
  });
});

describe('method preferences and keepalive', () => {
  it('negotiates the algorithms asked for', async () => {
    const ssh = await connect({
      kexAlgorithms: ['curve25519-sha256'],
      ciphers: 'aes128-ctr',
      macs: ['hmac-sha2-256-etm@openssh.com'],
      hostKeyAlgorithms: 'ssh-ed25519',
      compression: true,
      serverAliveCountMax: 2,
      masterOpts: ['-v'],
    });
    expect(await ssh.capture('echo ok')).toBe('ok\n');
    const log = ssh.masterLog;
    expect(log).toMatch(/kex: algorithm: curve25519-sha256\b/);
    expect(log).toMatch(/kex: server->client cipher: aes128-ctr MAC: hmac-sha2-256-etm@openssh\.com compression: zlib@openssh\.com/);
    const cfg = await ssh.sshConfiguration();
    expect(cfg).toMatchObject({ ciphers: 'aes128-ctr', compression: 'yes', serveralivecountmax: '2', serveraliveinterval: '30' });
  });

  it('fails clearly when the server shares no cipher', async () => {
    const ssh = open({ ciphers: '3des-cbc' });
    expect(await ssh.waitForMaster()).toBe(false);
    const err = ssh.error as MasterError;
    expect(err).toBeInstanceOf(MasterError);
    expect(err.code).toBe('OSSH_MASTER_FAILED');
    expect(err.reason).toBe('connect');
    expect(err.message).toMatch(
      /the client and the server have no algorithm in common \(check kexAlgorithms, ciphers, macs and hostKeyAlgorithms\); .*no matching cipher found/s,
    );
  });
});

describe('sshConfiguration()', () => {
  it('reads the effective configuration of an alias from sshConfig, connecting nothing', async () => {
    const key = join(work, 'id_extra');
    writeFileSync(key, '', { mode: 0o600 });
    const ssh = track(new OpenSSH('jump', { sshConfig: config, ctlDir: sshd().ctlDir, connect: false, keyPath: key, user: 'someone' }));
    const cfg = await ssh.sshConfiguration();
    expect(cfg).toMatchObject({ hostname: '127.0.0.1', port: String(jump.port), user: 'someone', batchmode: 'yes', stricthostkeychecking: 'true' });
    expect(cfg.identityfile).toEqual([key, jump.keyPath, sshd().keyPath]);
    expect(cfg.globalknownhostsfile).toEqual(['/dev/null']);
    expect(ssh.state).toBe('start');
  });

  it('rejects with a CommandError when ssh refuses the configuration', async () => {
    const ssh = track(new OpenSSH('h', { sshConfig: join(work, 'missing_config'), connect: false }));
    const err = await ssh.sshConfiguration().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).message).toMatch(/^ssh -G \(the effective configuration for h\) exited with 255: Can't open user config file .*missing_config/);
    expect((err as CommandError).argv!.some((a) => a.startsWith('-G'))).toBe(true);
  });
});

describe("forwardAgent: 'always'", () => {
  it('asks for the agent on every command unless one says false; true only when a command asks', async () => {
    const sock = join(work, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    const saved = process.env.SSH_AUTH_SOCK;
    try {
      for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 20));
      expect(spawnSync('ssh-add', [sshd().keyPath], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' }).status).toBe(0);
      process.env.SSH_AUTH_SOCK = sock;
      const always = await connect({ forwardAgent: 'always' });
      const bare = await connect({ forwardAgent: true });
      // sshd keeps one agent socket per connection once any session asked: ask without first.
      const off = await always.run('echo "[$SSH_AUTH_SOCK]"', { forwardAgent: false });
      expect(off.stdout).toBe('[]\n');
      const plain = await bare.run('echo "[$SSH_AUTH_SOCK]"');
      expect(plain.argv).not.toContain('-A');
      expect(plain.argv).not.toContain('-a');
      expect(plain.stdout).toBe('[]\n');
      const on = await always.run('ssh-add -l');
      expect(on.argv).toContain('-A');
      expect(on.stdout).toMatch(/ED25519/);
    } finally {
      if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = saved;
      agent.kill();
    }
  });
});
