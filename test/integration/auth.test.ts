import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MasterError, nodeEngine, OpenSSH, SlaveError, type Engine, type MasterFailureReason, type OpenSSHOptions } from '../../src/index.js';
import { setPtyModuleForTests } from '../../src/pty/load.js';
import { startSshd, type TestServer } from '../../src/testing/index.js';
import { waitGone } from '../helpers/processes.js';
import { sshd, track } from '../helpers/server.js';

/**
 * Logging in with a password or passphrase against two throwaway servers made for it (root
 * only: their users are created with a password and deleted again by stop()):
 * - `pw`: PasswordAuthentication yes (UsePAM no): the `password` method.
 * - `kbd`: UsePAM yes, KbdInteractiveAuthentication yes, PasswordAuthentication no: the
 *   `keyboard-interactive` method through pam_unix, with a Banner.
 */
const root = sshd().isRoot;
const PW = 'Pw-0f-osmux:auth@test';
const KBD_PW = 'Kbd-pw for osmux?';
const PASSPHRASE = 'key passphrase 42';
const BANNER = 'openssh-mux test appliance\nType the access code at the prompt.\n';
const PW_USER = 'osmux-auth-pw';
const KBD_USER = 'osmux-auth-kbd';
const BOTH_USER = 'osmux-auth-both';
const NO_PTY = 'openssh-mux-test-no-such-pty-module';

let pw: TestServer;
let kbd: TestServer;
/** PAM with both keyboard-interactive and password: a wrong password is asked for twice. */
let both: TestServer;
let work: string;
let encryptedKey: string;

/** Count the sshd log lines for failed attempts (password and keyboard-interactive). */
const failedAttempts = (s: TestServer) => s.log().split('\n').filter((l) => /Failed (password|keyboard-interactive)/.test(l)).length;

beforeAll(async () => {
  if (!root) return;
  work = mkdtempSync(join(tmpdir(), 'openssh-mux-auth-'));
  [pw, kbd, both] = await Promise.all([
    startSshd({ users: [{ name: PW_USER, shell: '/bin/sh', password: PW }], passwordAuthentication: true }),
    startSshd({ users: [{ name: KBD_USER, shell: '/bin/sh', password: KBD_PW }], pam: true, banner: BANNER }),
    startSshd({ users: [{ name: BOTH_USER, shell: '/bin/sh', password: PW }], pam: true, passwordAuthentication: true }),
  ]);
  // A passphrase-protected key the pw server accepts for its user.
  encryptedKey = join(work, 'id_encrypted');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', PASSPHRASE, '-C', 'openssh-mux encrypted', '-f', encryptedKey]);
  appendFileSync(join(pw.dir, 'authorized_keys', PW_USER), readFileSync(`${encryptedKey}.pub`));
});

afterAll(async () => {
  await Promise.all([pw?.stop(), kbd?.stop(), both?.stop()]);
  if (work) rmSync(work, { recursive: true, force: true });
});

afterEach(() => setPtyModuleForTests(undefined));

/** Options for one of our servers: its host key trusted, no ssh config, no agent keys. */
function opts(server: TestServer, extra: OpenSSHOptions = {}): OpenSSHOptions {
  return { ctlDir: server.ctlDir, ...extra, masterOpts: [...(extra.masterOpts ?? []), ...server.clientOpts] };
}

function open(server: TestServer, user: string, extra: OpenSSHOptions = {}): OpenSSH {
  return track(new OpenSSH(server.target(user), opts(server, extra)));
}

/** The sticky error of a login that failed: a MasterError (code OSSH_MASTER_FAILED) for `reason`. */
async function loginFailure(ssh: OpenSSH, reason: MasterFailureReason): Promise<MasterError> {
  expect(await ssh.waitForMaster()).toBe(false);
  const err = ssh.error as MasterError;
  expect(err).toBeInstanceOf(MasterError);
  expect(err.code).toBe('OSSH_MASTER_FAILED');
  expect(err.reason).toBe(reason);
  return err;
}

/** An engine that remembers the argv of everything it starts. */
function recordingEngine(): Engine & { argvs: string[][] } {
  const argvs: string[][] = [];
  return {
    argvs,
    spawn(request) {
      argvs.push([request.file, ...request.args]);
      return nodeEngine.spawn(request);
    },
  };
}

describe.skipIf(!root)('password login', () => {
  it.each(['pty', 'askpass'] as const)('logs in with a password through the %s route', async (route) => {
    const ssh = open(pw, PW_USER, { password: PW, passwordRoute: route });
    expect(ssh.state).toBe('login');
    expect(await ssh.waitForMaster()).toBe(true);
    expect(ssh.state).toBe('running');
    expect(await ssh.capture('id -un')).toBe(`${PW_USER}\n`);
    expect(ssh.getMasterPtyLog()).toBe('');
    expect(pw.log()).toMatch(new RegExp(`Accepted password for ${PW_USER}`));
  });

  it.each(['pty', 'askpass'] as const)(
    'with a keyPath whose key has a passphrase (%s): the passphrase prompt is skipped, never given the password',
    async (route) => {
      const ssh = open(pw, PW_USER, { password: PW, keyPath: encryptedKey, passwordRoute: route });
      expect(await ssh.waitForMaster()).toBe(true);
      expect(await ssh.capture('echo ok')).toBe('ok\n');
      expect(pw.log()).toMatch(new RegExp(`Accepted password for ${PW_USER}`));
    },
  );

  it('takes the password from the target string', async () => {
    const ssh = track(new OpenSSH(`${PW_USER}:${PW}@127.0.0.1:${pw.port}`, opts(pw)));
    expect(await ssh.waitForMaster()).toBe(true);
    expect(await ssh.capture('echo ok')).toBe('ok\n');
  });

  it('uses askpass when node-pty cannot be loaded (auto), and says so when the pty is required', async () => {
    setPtyModuleForTests(NO_PTY);
    const engine = recordingEngine();
    const ssh = open(pw, PW_USER, { password: PW, engine });
    expect(await ssh.waitForMaster()).toBe(true);
    expect(await ssh.capture('echo via askpass')).toBe('via askpass\n');
    // On the askpass route the master is started by the caller's engine (on a pty it is not).
    expect(engine.argvs.some((a) => a.some((w) => w.startsWith('-MN')))).toBe(true);

    const strict = open(pw, PW_USER, { password: PW, passwordRoute: 'pty' });
    const err = await loginFailure(strict, 'spawn');
    expect(err.message).toMatch(
      new RegExp(`^unable to establish or keep the master SSH connection to 127\\.0\\.0\\.1: a pseudo-terminal needs the optional package '${NO_PTY}', which is not installed: .*; or pass passwordRoute: 'askpass' \\(no native module needed\\)$`),
    );
    expect((err.cause as SlaveError).code).toBe('OSSH_PTY_UNAVAILABLE');
  });

  it.each(['pty', 'askpass'] as const)('fails at once on a wrong password (%s), after exactly one attempt', async (route) => {
    const before = failedAttempts(pw);
    const t0 = performance.now();
    const ssh = open(pw, PW_USER, { password: 'not the password', passwordRoute: route });
    const err = await loginFailure(ssh, 'auth');
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeLessThan(2000);
    expect(err.message).toMatch(
      /^unable to establish or keep the master SSH connection to 127\.0\.0\.1: bad password: the server refused it \(it was given once and is never retried\); the master ssh process exited with code 255: .*Permission denied \(publickey,password\)\.$/s,
    );
    // sshd logs its line just before it answers: give it a moment.
    for (let i = 0; i < 50 && failedAttempts(pw) === before; i++) await new Promise((r) => setTimeout(r, 20));
    expect(failedAttempts(pw) - before).toBe(1);
  });

  it('removes SSH_ASKPASS from the master on the pty route', async () => {
    const saved = { a: process.env.SSH_ASKPASS, r: process.env.SSH_ASKPASS_REQUIRE };
    process.env.SSH_ASKPASS = '/bin/false';
    process.env.SSH_ASKPASS_REQUIRE = 'force';
    try {
      const ssh = open(pw, PW_USER, { password: PW, passwordRoute: 'pty' });
      expect(await ssh.waitForMaster()).toBe(true);
      const env = readFileSync(`/proc/${ssh.masterPid}/environ`, 'utf8').split('\0');
      expect(env.filter((e) => e.startsWith('SSH_ASKPASS'))).toEqual([]);
    } finally {
      for (const [k, v] of [['SSH_ASKPASS', saved.a], ['SSH_ASKPASS_REQUIRE', saved.r]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('fails as spawn, and drops the password, when the askpass directory cannot be made', async () => {
    const ctlPath = join(pw.ctlDir, 'taken');
    mkdirSync(`${ctlPath}.askpass`, { mode: 0o700 });
    try {
      const ssh = open(pw, PW_USER, { password: PW, passwordRoute: 'askpass', ctlPath });
      const err = await loginFailure(ssh, 'spawn');
      expect(err.message).toBe(
        `unable to establish or keep the master SSH connection to 127.0.0.1: the login could not be prepared: EEXIST: file already exists, mkdir '${ctlPath}.askpass'`,
      );
      await expect(ssh.restart()).rejects.toThrow(
        'restart() cannot log in again: the password was dropped after the first login (it is not kept in memory); create a new OpenSSH with it',
      );
      // Its log file is gone; the directory in the way is left as it was.
      expect(readdirSync(pw.ctlDir)).toEqual(['taken.askpass']);
    } finally {
      rmSync(`${ctlPath}.askpass`, { recursive: true, force: true });
    }
  });

  it('cannot restart once the password was dropped', async () => {
    const ssh = open(pw, PW_USER, { password: PW });
    expect(await ssh.waitForMaster()).toBe(true);
    await expect(ssh.restart()).rejects.toThrow(
      'restart() cannot log in again: the password was dropped after the first login (it is not kept in memory); create a new OpenSSH with it',
    );
  });
});

describe.skipIf(!root)('what the password is never given to', () => {
  it.each(['pty', 'askpass'] as const)('a host-key question (%s): fails with host-key-unknown, nothing answered', async (route) => {
    const file = join(work, `known_hosts.ask-${route}`);
    writeFileSync(file, '');
    const before = failedAttempts(pw);
    const ssh = track(
      new OpenSSH(pw.target(PW_USER), {
        ctlDir: pw.ctlDir,
        password: PW,
        passwordRoute: route,
        hostKeyPolicy: 'ask',
        knownHostsFile: file,
        masterOpts: ['-F', '/dev/null', '-o', 'GlobalKnownHostsFile=/dev/null'],
      }),
    );
    const err = await loginFailure(ssh, 'host-key-unknown');
    expect(err.message).toBe(
      "unable to establish or keep the master SSH connection to 127.0.0.1: the server's host key is not in known_hosts and ssh asked " +
        "whether to trust it; nothing answers that question for you: add the key to known_hosts, use hostKeyPolicy 'tofu', or answer " +
        `it from a loginHandler: The authenticity of host '[127.0.0.1]:${pw.port} ([127.0.0.1]:${pw.port})' can't be established.`,
    );
    expect(readFileSync(file, 'utf8')).toBe('');
    expect(failedAttempts(pw)).toBe(before);
  });

  it('another process asking through askpass (a ProxyCommand ssh): refused, and it sends nothing', async () => {
    const before = failedAttempts(pw);
    const hop = [
      'ssh -F /dev/null',
      `-o UserKnownHostsFile=${pw.knownHostsPath} -o GlobalKnownHostsFile=/dev/null`,
      `-o PreferredAuthentications=password -o NumberOfPasswordPrompts=1 -p ${pw.port} -W %h:%p ${PW_USER}@127.0.0.1`,
    ].join(' ');
    const ssh = open(pw, PW_USER, { password: PW, passwordRoute: 'askpass', proxyCommand: hop });
    const err = await loginFailure(ssh, 'auth');
    expect(err.message).toMatch(
      new RegExp(
        '^unable to establish or keep the master SSH connection to 127\\.0\\.0\\.1: a process other than the master ssh \\(pid \\d+, not pid \\d+\\) ' +
          `asked for the password through askpass \\("${PW_USER}@127\\.0\\.0\\.1's password:"\\); it is only given to the master ` +
          '\\(a jump host\\? configure its login in your ssh config\\)$',
      ),
    );
    // The hop got no password, so it sent none: no failed attempt on its server.
    await new Promise((r) => setTimeout(r, 300));
    expect(failedAttempts(pw)).toBe(before);
  });

  it('a prompt that does not match passwordPrompt (askpass): refused, nothing sent', async () => {
    const before = failedAttempts(pw);
    const ssh = open(pw, PW_USER, { password: PW, passwordRoute: 'askpass', passwordPrompt: 'PIN>' });
    const err = await loginFailure(ssh, 'auth');
    expect(err.message).toBe(
      `unable to establish or keep the master SSH connection to 127.0.0.1: ssh asked "${PW_USER}@127.0.0.1's password:", which does not match passwordPrompt /PIN>/; nothing was answered`,
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(failedAttempts(pw)).toBe(before);
  });
});

describe.skipIf(!root)('keyboard-interactive login (PAM)', () => {
  it.each(['pty', 'askpass'] as const)('answers the PAM prompt through the %s route', async (route) => {
    const ssh = open(kbd, KBD_USER, { password: KBD_PW, passwordRoute: route });
    expect(await ssh.waitForMaster()).toBe(true);
    expect(await ssh.capture('id -un')).toBe(`${KBD_USER}\n`);
    expect(kbd.log()).toMatch(new RegExp(`Accepted keyboard-interactive/pam for ${KBD_USER}`));
  });

  it('fails on a wrong password after exactly one attempt', async () => {
    const before = failedAttempts(kbd);
    const t0 = performance.now();
    const ssh = open(kbd, KBD_USER, { password: 'wrong' });
    const err = await loginFailure(ssh, 'auth');
    // pam_unix delays a failure by about 2 s (pam_faildelay); nothing else waits.
    expect(performance.now() - t0).toBeLessThan(6000);
    expect(err.message).toMatch(/bad password: the server refused it .*Permission denied \(publickey,keyboard-interactive\)/s);
    for (let i = 0; i < 50 && failedAttempts(kbd) === before; i++) await new Promise((r) => setTimeout(r, 20));
    expect(failedAttempts(kbd) - before).toBe(1);
  });

  it.each(['pty', 'askpass'] as const)(
    'a second prompt (the password method after keyboard-interactive) fails at once, unanswered (%s)',
    async (route) => {
      const before = both.log().split('\n').filter((l) => /Failed (password|keyboard-interactive)/.test(l));
      const ssh = open(both, BOTH_USER, { password: 'wrong', passwordRoute: route });
      const err = await loginFailure(ssh, 'auth');
      expect(err.message).toBe(
        route === 'pty'
          ? `unable to establish or keep the master SSH connection to 127.0.0.1: password authentication failed: the server asked again ("${BOTH_USER}@127.0.0.1's password:"); a password is typed once and never retried`
          : `unable to establish or keep the master SSH connection to 127.0.0.1: password authentication failed: the server asked again ("${BOTH_USER}@127.0.0.1's password:"); a password is given once and never retried`,
      );
      await new Promise((r) => setTimeout(r, 100));
      const after = both.log().split('\n').filter((l) => /Failed (password|keyboard-interactive)/.test(l));
      // One attempt (keyboard-interactive); the password method never got an answer.
      expect(after.slice(before.length)).toEqual([expect.stringMatching(new RegExp(`Failed keyboard-interactive/pam for ${BOTH_USER}`))]);
    },
  );

  it('lets a login handler read the banner and answer the prompt', async () => {
    const calls: string[] = [];
    const ssh = open(kbd, KBD_USER, {
      loginHandler: (ctx) => {
        calls.push(ctx.output);
        if (ctx.state.answered) return true;
        if (!ctx.stderr.includes('Type the access code at the prompt.') || !/Password: $/.test(ctx.output)) return false;
        ctx.write(`${KBD_PW}\n`);
        ctx.state.answered = true;
        return false;
      },
    });
    expect(await ssh.waitForMaster()).toBe(true);
    expect(await ssh.capture('echo handled')).toBe('handled\n');
    expect(calls.some((o) => o.includes(`(${KBD_USER}@127.0.0.1) Password: `))).toBe(true);
  });

  it('stops the master when the login handler throws on its very first call', async () => {
    const boom = new Error('not this appliance');
    const ssh = open(kbd, KBD_USER, {
      loginHandler: () => {
        throw boom;
      },
    });
    const err = await loginFailure(ssh, 'login-handler');
    expect(err.message).toBe('unable to establish or keep the master SSH connection to 127.0.0.1: custom login handler failed: not this appliance');
    expect(err.cause).toBe(boom);
    expect(ssh.masterPid).toBeDefined();
    expect(await waitGone(ssh.masterPid!)).toBe(true);
    expect(readdirSync(kbd.ctlDir)).toEqual([]);
  });

  it('a login handler that never reports done: the login times out, the master is stopped', async () => {
    const ssh = open(kbd, KBD_USER, { loginHandler: () => false, connectTimeout: 1500 });
    const err = await loginFailure(ssh, 'timeout');
    expect(err.message).toMatch(/^unable to establish or keep the master SSH connection to 127\.0\.0\.1: login timed out after 1500 ms without the master becoming ready/);
    expect(ssh.getMasterPtyLog()).toMatch(/\(osmux-auth-kbd@127\.0\.0\.1\) Password: \s*$/);
    expect(await waitGone(ssh.masterPid!)).toBe(true);
  });

  it('fails with the cause when the login handler throws', async () => {
    const boom = new Error('unexpected prompt from the appliance');
    const ssh = open(kbd, KBD_USER, {
      loginHandler: (ctx) => {
        if (/Password: $/.test(ctx.output)) throw boom;
        return false;
      },
    });
    const err = await loginFailure(ssh, 'login-handler');
    expect(err.message).toBe(
      'unable to establish or keep the master SSH connection to 127.0.0.1: custom login handler failed: unexpected prompt from the appliance',
    );
    expect(err.cause).toBe(boom);
    expect(ssh.getMasterPtyLog()).toMatch(/\(osmux-auth-kbd@127\.0\.0\.1\) Password: $/);
  });
});

describe.skipIf(!root)('a master on a pty', () => {
  it('does not keep Node running: a script that never disconnects still ends, and the master with it', async () => {
    // A plain Node script on the built package (npm test builds first, as for the
    // process-exit fixture). Its stdout and stderr are pipes, as under a supervisor.
    const outfile = join(work, 'forgetful.mjs');
    const input = join(work, 'forgetful.json');
    writeFileSync(
      outfile,
      `import { readFileSync } from 'node:fs';
import { OpenSSH } from ${JSON.stringify(pathToFileURL(resolve('dist/index.js')).href)};
const { target, options, password } = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const ssh = await OpenSSH.connect(target, { ...options, password, passwordRoute: 'pty' });
console.log(JSON.stringify({ pid: ssh.masterPid, out: await ssh.capture('echo hi') }));
`,
    );
    writeFileSync(input, JSON.stringify({ target: pw.target(PW_USER), options: opts(pw), password: PW }), { mode: 0o600 });
    const t0 = performance.now();
    const child = spawn(process.execPath, [outfile, input], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await new Promise<number | null>((r) => child.once('close', r));
    clearTimeout(timer);
    expect(code, stderr).toBe(0);
    expect(performance.now() - t0).toBeLessThan(10_000);
    const { pid, out } = JSON.parse(stdout) as { pid: number; out: string };
    expect(out).toBe('hi\n');
    expect(await waitGone(pid)).toBe(true);
    expect(readdirSync(pw.ctlDir)).toEqual([]);
  });
});

describe.skipIf(!root)('passphrase-protected key', () => {
  it.each(['pty', 'askpass'] as const)('unlocks the key through the %s route, without the agent', async (route) => {
    const saved = process.env.SSH_AUTH_SOCK;
    process.env.SSH_AUTH_SOCK = join(work, 'no-agent.sock');
    try {
      const ssh = open(pw, PW_USER, { keyPath: encryptedKey, passphrase: PASSPHRASE, passwordRoute: route, masterOpts: ['-o', 'IdentitiesOnly=yes'] });
      expect(await ssh.waitForMaster()).toBe(true);
      expect(await ssh.capture('echo key')).toBe('key\n');
      const env = readFileSync(`/proc/${ssh.masterPid}/environ`, 'utf8').split('\0');
      expect(env.filter((e) => e.startsWith('SSH_AUTH_SOCK='))).toEqual([]);
      expect(pw.log()).toMatch(new RegExp(`Accepted publickey for ${PW_USER}`));
    } finally {
      if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = saved;
    }
  });

  it('bypasses an agent named by IdentityAgent in the ssh config too (it holds the key: a wrong passphrase still fails)', async () => {
    const sock = join(work, 'config-agent.sock');
    const plainKey = join(work, 'id_decrypted');
    execFileSync('cp', [encryptedKey, plainKey]);
    execFileSync('ssh-keygen', ['-q', '-p', '-P', PASSPHRASE, '-N', '', '-f', plainKey]);
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    const agentGone = new Promise((r) => agent.once('close', r));
    try {
      for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 20));
      execFileSync('ssh-add', ['-q', plainKey], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
      const config = join(work, 'agent_config');
      writeFileSync(config, `IdentityAgent ${sock}\n`);
      const common = {
        ctlDir: pw.ctlDir,
        keyPath: encryptedKey,
        sshConfig: config,
        masterOpts: ['-o', `UserKnownHostsFile=${pw.knownHostsPath}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'IdentitiesOnly=yes'],
      };
      // The agent works: without a passphrase ssh logs in with it.
      const viaAgent = track(new OpenSSH(pw.target(PW_USER), common));
      expect(await viaAgent.waitForMaster()).toBe(true);
      await viaAgent.disconnect();
      const ssh = track(new OpenSSH(pw.target(PW_USER), { ...common, passphrase: 'wrong' }));
      const err = await loginFailure(ssh, 'auth');
      expect(err.message).toMatch(/^unable to establish or keep the master SSH connection to 127\.0\.0\.1: bad passphrase, or the server refused the key; /);
    } finally {
      agent.kill();
      await agentGone;
    }
  });

  it.each(['pty', 'askpass'] as const)('fails at once on a wrong passphrase (%s), typed once', async (route) => {
    const t0 = performance.now();
    const ssh = open(pw, PW_USER, { keyPath: encryptedKey, passphrase: 'wrong', passwordRoute: route, masterOpts: ['-o', 'IdentitiesOnly=yes'] });
    const err = await loginFailure(ssh, 'auth');
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(err.message).toMatch(
      /^unable to establish or keep the master SSH connection to 127\.0\.0\.1: bad passphrase, or the server refused the key; the master ssh process exited with code 255: .*Permission denied \(publickey,password\)\.$/s,
    );
    expect(err.message).not.toContain('wrong');
    if (route === 'pty') expect(ssh.getMasterPtyLog().match(/Enter passphrase for key/g)).toHaveLength(1);
  });
});

/** Every file below `dir` (not sockets), with its content; files may vanish while we look. */
function filesUnder(dir: string): Array<[string, Buffer]> {
  const out: Array<[string, Buffer]> = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    const p = join(dir, name);
    try {
      const st = statSync(p);
      if (st.isDirectory()) out.push(...filesUnder(p));
      else if (st.isFile()) out.push([p, readFileSync(p)]);
    } catch {
      // removed meanwhile
    }
  }
  return out;
}

/**
 * Read the argv and environment of every process on the machine (and the files in the
 * ControlPath directory) over and over while `during` runs; report where `secret` was seen
 * and which processes were seen at all.
 */
async function watchEverything(secret: string, ctlDir: string, during: Promise<unknown>) {
  const needle = Buffer.from(secret);
  const hits: string[] = [];
  const seen = new Set<string>();
  let done = false;
  void during.finally(() => (done = true));
  let rounds = 0;
  while (!done) {
    rounds++;
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      for (const what of ['cmdline', 'environ']) {
        let data: Buffer;
        try {
          data = readFileSync(`/proc/${pid}/${what}`);
        } catch {
          continue;
        }
        if (what === 'cmdline') seen.add(data.toString('utf8').split('\0').join(' '));
        if (data.includes(needle)) hits.push(`/proc/${pid}/${what}: ${data.toString('utf8').split('\0').join(' ').slice(0, 200)}`);
      }
    }
    for (const [path, content] of filesUnder(ctlDir)) if (content.includes(needle)) hits.push(path);
    // Often enough to catch an askpass helper (it lives for tens of ms), without hogging a core.
    await new Promise((r) => setTimeout(r, 1));
  }
  await during;
  return { hits, seen: [...seen], rounds };
}

/** The login, in a child Node process with NODE_DEBUG=openssh-mux (the password comes on stdin). */
function childLogin(server: TestServer, user: string, password: string, route: 'pty' | 'askpass') {
  // A plain Node script on the built package (npm test builds first).
  const script = join(work, `login-${route}.mjs`);
  const index = pathToFileURL(resolve('dist/index.js')).href;
  const load = pathToFileURL(resolve('dist/pty/load.js')).href;
  writeFileSync(
    script,
    `import { OpenSSH } from ${JSON.stringify(index)};
import { setPtyModuleForTests } from ${JSON.stringify(load)};
// One line on stdin.
const line = await new Promise((resolve) => {
  let text = '';
  process.stdin.on('data', (c) => {
    text += c.toString('utf8');
    if (text.includes('\\n')) resolve(text.slice(0, text.indexOf('\\n')));
  });
});
process.stdin.pause();
const { target, options, password, noPty } = JSON.parse(line);
if (noPty) setPtyModuleForTests('${NO_PTY}');
for (const pw of [password, password + '-wrong']) {
  const ssh = new OpenSSH(target, { ...options, password: pw });
  const ok = await ssh.waitForMaster();
  const out = ok ? await ssh.capture('echo logged-in') : '';
  console.log(JSON.stringify({ ok, out, error: ssh.error?.message, stderr: String(ssh.error?.stderr ?? ''), ptyLog: ssh.getMasterPtyLog(), err: ssh.error }));
  await ssh.disconnect();
}
process.exit(0);
`,
  );
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, NODE_DEBUG: 'openssh-mux' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.write(`${JSON.stringify({ target: server.target(user), options: opts(server), password, noPty: route === 'askpass' })}\n`);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const done = new Promise<number | null>((r) => child.once('close', r));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  void done.finally(() => clearTimeout(timer));
  return { done, output: () => ({ stdout, stderr }) };
}

describe.skipIf(!root)('the password never shows', () => {
  it.each(['pty', 'askpass'] as const)(
    'not in any argv, environment, control-dir file, debug line, error or pty log: %s route (askpass with node-pty unavailable)',
    async (route) => {
      const login = childLogin(pw, PW_USER, PW, route);
      const watched = await watchEverything(PW, pw.ctlDir, login.done);
      const code = await login.done;
      const { stdout, stderr } = login.output();
      expect(code, stderr).toBe(0);
      expect(stdout, stderr.slice(-3000)).not.toBe("");
      const results = stdout.trim().split('\n').map((l) => JSON.parse(l) as { ok: boolean; out: string; error?: string });
      expect(results.map((r) => r.ok)).toEqual([true, false]);
      expect(results[0]!.out).toBe('logged-in\n');
      expect(results[1]!.error).toMatch(/bad password/);
      // The watch did cover the login: it saw the master, and on the askpass route the helper.
      expect(watched.seen.some((c) => c.includes(' -MN'))).toBe(true);
      if (route === 'askpass') expect(watched.seen.some((c) => c.includes('askpass.cjs'))).toBe(true);
      expect(stderr).toMatch(/OPENSSH-MUX \d+: master spawn/);
      expect(stderr).toMatch(new RegExp(`login through ${route === 'pty' ? 'a pty' : 'askpass'}`));
      expect(watched.hits).toEqual([]);
      // The wrong password tried second starts with the right one: its errors are covered too.
      expect(stdout).not.toContain(PW);
      expect(stderr).not.toContain(PW);
      expect(readdirSync(pw.ctlDir)).toEqual([]);
    },
  );
});

