import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MasterError, OpenSSH, type OpenSSHOptions } from '../../src/index.js';
import { startSshd, type TestServer } from '../../src/testing/index.js';
import { waitGone } from '../helpers/processes.js';
import { sshd, track } from '../helpers/server.js';

/**
 * The askpass channel checks who connects from what the kernel reports (Linux): a same-uid
 * process that connects to the askpass socket first and claims the master's pid gets
 * nothing, and the login fails with a MasterError (reason `askpass-peer`). Root only (the
 * test user gets a password).
 */
const root = sshd().isRoot;
const USER = 'osmux-askpeer';
const PW = 'Askpeer-pw:42?';
const proxy = fileURLToPath(new URL('../fixtures/delay-proxy.cjs', import.meta.url));
const rogue = fileURLToPath(new URL('../fixtures/askpass-rogue.cjs', import.meta.url));

let server: TestServer;

beforeAll(async () => {
  if (!root) return;
  server = await startSshd({ users: [{ name: USER, shell: '/bin/sh', password: PW }], passwordAuthentication: true });
});

afterAll(async () => {
  await server?.stop();
});

function open(extra: OpenSSHOptions = {}): OpenSSH {
  return track(new OpenSSH(server.target(USER), { ctlDir: server.ctlDir, ...extra, masterOpts: [...server.clientOpts] }));
}

/** Run the rogue against `sock`, claiming `pid`; resolve with what it printed. */
function runRogue(sock: string, pid: number): Promise<{ answer?: string; error?: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [rogue, sock, String(pid)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.on('close', () => {
      try {
        resolve(JSON.parse(out.split('\n')[0]!));
      } catch (err) {
        reject(err);
      }
    });
  });
}

describe.skipIf(!root || process.platform !== 'linux')('askpass peer verification', () => {
  it('a rogue same-uid process claiming the master pid gets nothing, and the login fails with askpass-peer', async () => {
    // ssh reaches the server only after 1.5 s: the rogue asks long before the real helper.
    const proxyCommand = `${process.execPath} ${proxy} %h %p 1500`;
    const ssh = open({ password: PW, passwordRoute: 'askpass', proxyCommand });
    const sock = `${ssh.ctlPath!}.askpass/sock`;
    for (let i = 0; i < 200 && (ssh.masterPid === undefined || !existsSync(sock)); i++) await new Promise((r) => setTimeout(r, 10));
    expect(ssh.masterPid).toBeGreaterThan(0);
    const got = await runRogue(sock, ssh.masterPid!);
    expect(got).toEqual({ answer: '0' });
    expect(await ssh.waitForMaster()).toBe(false);
    const err = ssh.error as MasterError;
    expect(err).toBeInstanceOf(MasterError);
    expect(err.code).toBe('OSSH_MASTER_FAILED');
    expect(err.reason).toBe('askpass-peer');
    expect(err.message).toMatch(
      new RegExp(
        `^unable to establish or keep the master SSH connection to 127\\.0\\.0\\.1: a process that is not the askpass helper connected to the askpass socket \\(pid \\d+, parent ${process.pid}, ".*askpass-rogue\\.cjs.*"\\); it was given nothing, and the login is abandoned \\(the password is dropped: create a new OpenSSH to try again\\)$`,
      ),
    );
    expect(await waitGone(ssh.masterPid!)).toBe(true);
    expect(existsSync(`${ssh.ctlPath!}.askpass`)).toBe(false);
    expect(server.log()).not.toMatch(new RegExp(`Accepted password for ${USER}`));
  });

  it('the real helper, identified from the kernel, still gets the password', async () => {
    const ssh = open({ password: PW, passwordRoute: 'askpass' });
    expect(await ssh.waitForMaster()).toBe(true);
    expect(await ssh.capture('echo in')).toBe('in\n');
    expect(existsSync(`${ssh.ctlPath!}.askpass`)).toBe(false);
  });
});
