import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MasterError, OpenSSH, type OpenSSHOptions } from '../../src/index.js';
import { sshd, target, track } from '../helpers/server.js';

/**
 * Host-key policies against the shared sshd, each test with a known_hosts file of its own
 * (empty, right, or holding another key for the server), and no ssh config read.
 */
let work: string;
let otherKey: string;
let n = 0;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'openssh-mux-hostkeys-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'another server', '-f', join(work, 'other')]);
  otherKey = readFileSync(join(work, 'other.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A known_hosts file with these lines (none: empty). */
function knownHosts(...lines: string[]): string {
  const path = join(work, `known_hosts.${++n}`);
  writeFileSync(path, lines.map((l) => `${l}\n`).join(''));
  return path;
}

const entry = (key: string) => `[127.0.0.1]:${sshd().port} ${key}`;

function open(extra: OpenSSHOptions): OpenSSH {
  const s = sshd();
  return track(
    new OpenSSH(target(), {
      keyPath: s.keyPath,
      ctlDir: s.ctlDir,
      ...extra,
      masterOpts: ['-F', '/dev/null', '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'IdentitiesOnly=yes'],
    }),
  );
}

async function failure(ssh: OpenSSH): Promise<MasterError> {
  expect(await ssh.waitForMaster()).toBe(false);
  expect(ssh.error).toBeInstanceOf(MasterError);
  expect((ssh.error as MasterError).code).toBe('OSSH_MASTER_FAILED');
  return ssh.error as MasterError;
}

describe('host-key policies', () => {
  it("strict: an unknown key is refused, and the reason says so ('host-key-unknown')", async () => {
    const file = knownHosts();
    const err = await failure(open({ hostKeyPolicy: 'strict', knownHostsFile: file }));
    expect(err.reason).toBe('host-key-unknown');
    expect(err.message).toMatch(
      /^unable to establish or keep the master SSH connection to 127\.0\.0\.1: the server's host key is not in known_hosts and StrictHostKeyChecking refuses unknown keys \(add it to known_hosts first\); the master ssh process exited with code 255: .*Host key verification failed\.$/s,
    );
    expect(readFileSync(file, 'utf8')).toBe('');
  });

  it('strict: a known key is accepted', async () => {
    const ssh = open({ hostKeyPolicy: 'strict', knownHostsFile: knownHosts(entry(sshd().hostKey)) });
    expect(await ssh.waitForMaster()).toBe(true);
    expect(await ssh.capture('echo ok')).toBe('ok\n');
  });

  it('tofu: an unknown key is accepted and recorded in the given known_hosts file', async () => {
    const file = knownHosts();
    const ssh = open({ hostKeyPolicy: 'tofu', knownHostsFile: file });
    expect(await ssh.waitForMaster()).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(`${entry(sshd().hostKey)}\n`);
    await ssh.disconnect();
    // Now known: strict accepts it.
    const again = open({ hostKeyPolicy: 'strict', knownHostsFile: file });
    expect(await again.waitForMaster()).toBe(true);
  });

  it.each(['strict', 'tofu', undefined] as const)("a changed key is refused under %s ('host-key-changed')", async (policy) => {
    const file = knownHosts(entry(otherKey));
    const err = await failure(open({ ...(policy ? { hostKeyPolicy: policy } : {}), knownHostsFile: file }));
    expect(err.reason).toBe('host-key-changed');
    expect(err.message).toMatch(
      /^unable to establish or keep the master SSH connection to 127\.0\.0\.1: the server's host key does not match the one in known_hosts \(possible man-in-the-middle attack, or the server was reinstalled\); .*REMOTE HOST IDENTIFICATION HAS CHANGED/s,
    );
    expect(err.stderr).toMatch(/Host key for \[127\.0\.0\.1\]:\d+ has changed|Offending ED25519 key/);
    expect(readFileSync(file, 'utf8')).toBe(`${entry(otherKey)}\n`);
  });

  it('advisory: a changed key is accepted (ssh keeps only public-key authentication)', async () => {
    const file = knownHosts(entry(otherKey));
    const ssh = open({ hostKeyPolicy: 'advisory', knownHostsFile: file });
    expect(await ssh.waitForMaster()).toBe(true);
    expect(await ssh.capture('echo accepted')).toBe('accepted\n');
    expect(ssh.masterLog).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED/);
  });

  it('ask without anything to answer: fails at once with host-key-unknown (batch mode)', async () => {
    const t0 = performance.now();
    const err = await failure(open({ hostKeyPolicy: 'ask', knownHostsFile: knownHosts() }));
    expect(err.reason).toBe('host-key-unknown');
    expect(err.message).toMatch(
      /^unable to establish or keep the master SSH connection to 127\.0\.0\.1: the server's host key is not in known_hosts and StrictHostKeyChecking refuses unknown keys \(add it to known_hosts first\); the master ssh process exited with code 255: .*Host key verification failed\.$/s,
    );
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('ask with masterPtyForce: the question is seen on the pty, fails at once, and stays in the pty log', async () => {
    const ssh = open({ hostKeyPolicy: 'ask', knownHostsFile: knownHosts(), masterPtyForce: true, batchMode: false });
    const err = await failure(ssh);
    expect(err.reason).toBe('host-key-unknown');
    expect(err.message).toMatch(/ssh asked whether to trust it.*: The authenticity of host '\[127\.0\.0\.1\]:\d+ .*' can't be established\.$/s);
    expect(ssh.getMasterPtyLog()).toMatch(/The authenticity of host '\[127\.0\.0\.1\]:\d+ .*' can't be established/);
  });

  it('ask answered by a login handler: the key is trusted and recorded', async () => {
    const file = knownHosts();
    const ssh = open({
      hostKeyPolicy: 'ask',
      knownHostsFile: file,
      loginHandler: (ctx) => {
        if (!/continue connecting \(yes\/no\/\[fingerprint\]\)\? $/.test(ctx.output)) return false;
        expect(ctx.output).toContain(execFileSync('ssh-keygen', ['-l', '-f', `${sshd().dir}/host_ed25519.pub`], { encoding: 'utf8' }).split(' ')[1]!);
        ctx.write('yes\n');
        return true;
      },
    });
    expect(await ssh.waitForMaster()).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(`${entry(sshd().hostKey)}\n`);
    expect(ssh.getMasterPtyLog()).toBe('');
  });

  it('with no policy, nothing is passed: the ssh configuration decides', async () => {
    const ssh = open({ knownHostsFile: knownHosts(), connect: false });
    const config = await ssh.sshConfiguration();
    // ssh's own default (no config file read: -F /dev/null).
    expect(config.stricthostkeychecking).toBe('ask');
    expect(config.userknownhostsfile).toEqual([join(work, `known_hosts.${n}`)]);
    const strict = await open({ hostKeyPolicy: 'strict', connect: false }).sshConfiguration();
    expect(strict.stricthostkeychecking).toBe('true');
    const tofu = await open({ hostKeyPolicy: 'tofu', connect: false }).sshConfiguration();
    expect(tofu.stricthostkeychecking).toBe('accept-new');
  });
});
