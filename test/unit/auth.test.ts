import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startAskpass, type AskpassRequest } from '../../src/auth/askpass.js';
import { hostKeyArgs, strictHostKeyChecking } from '../../src/auth/host-keys.js';
import {
  compilePrompt,
  DEFAULT_PASSWORD_PROMPT,
  endsWithPrompt,
  hopHost,
  hostKeyProblem,
  isKeyPassphrasePrompt,
  lastLine,
  promptForJumpHost,
  promptTarget,
} from '../../src/auth/prompt.js';
import { PtyLogin, PTY_LOG_BYTES, type PtyLoginOptions } from '../../src/auth/pty-login.js';
import { Secret } from '../../src/auth/secret.js';
import type { LoginSettings } from '../../src/auth/settings.js';
import { parseSshG } from '../../src/auth/ssh-config.js';
import { atLeast, parseSshVersion } from '../../src/auth/ssh-version.js';
import type { MasterFailureReason } from '../../src/errors/index.js';
import { chooseRoute, loginEnv, nothingElseAlive } from '../../src/master/login.js';

const PW_PROMPT = "\rosmux@127.0.0.1's password: ";
const KBD_PROMPT = '\r(osmux@127.0.0.1) Password: ';
const ASK = [
  "The authenticity of host '[127.0.0.1]:2222 ([127.0.0.1]:2222)' can't be established.",
  'ED25519 key fingerprint is SHA256:abc.',
  'This key is not known by any other names.',
  'Are you sure you want to continue connecting (yes/no/[fingerprint])? ',
].join('\r\n');

describe('password prompt matching', () => {
  it("defaults to Net::OpenSSH's [:?]", () => {
    expect(compilePrompt(undefined)).toBe(DEFAULT_PASSWORD_PROMPT);
    expect(DEFAULT_PASSWORD_PROMPT.test(PW_PROMPT)).toBe(true);
    expect(DEFAULT_PASSWORD_PROMPT.test('Welcome\r\n')).toBe(false);
  });

  it('matches a string literally (quotemeta)', () => {
    const re = compilePrompt('code [x]?');
    expect(re.test('enter code [x]? ')).toBe(true);
    expect(re.test('enter code x ')).toBe(false);
    expect(compilePrompt(']').test('login]')).toBe(true);
  });

  it('uses a RegExp as is, without the stateful g/y flags', () => {
    const re = compilePrompt(/pass(word|code)>/giy);
    expect(re.flags).toBe('i');
    expect(re.test('PASSCODE>')).toBe(true);
    expect(re.test('PASSCODE>')).toBe(true);
  });

  it('sees a prompt at the end, with trailing white space', () => {
    expect(endsWithPrompt(KBD_PROMPT, DEFAULT_PASSWORD_PROMPT)).toBe(true);
    expect(endsWithPrompt(`${PW_PROMPT}\r\n`, DEFAULT_PASSWORD_PROMPT)).toBe(true);
    expect(endsWithPrompt(`${PW_PROMPT}\r\nok\r\n`, DEFAULT_PASSWORD_PROMPT)).toBe(false);
    expect(endsWithPrompt('\r\n', DEFAULT_PASSWORD_PROMPT)).toBe(false);
    expect(endsWithPrompt('token> ', compilePrompt('token>'))).toBe(true);
  });

  it('reads the user and host a prompt names', () => {
    expect(promptTarget(PW_PROMPT)).toEqual({ user: 'osmux', host: '127.0.0.1' });
    expect(promptTarget(KBD_PROMPT)).toEqual({ user: 'osmux', host: '127.0.0.1' });
    expect(promptTarget('Password: ')).toBeUndefined();
    expect(promptTarget("Enter passphrase for key '/k': ")).toBeUndefined();
  });

  it('recognises a prompt from a jump host', () => {
    expect(promptForJumpHost("(j@bastion) Password: ", 'web', ['j@bastion:2222'])).toBe(true);
    expect(promptForJumpHost("j@BASTION's password: ", 'web', ['bastion'])).toBe(true);
    expect(promptForJumpHost('(u@web) Password: ', 'web', ['bastion'])).toBe(false);
    expect(promptForJumpHost('(u@10.0.0.5) Password: ', 'web', ['bastion'])).toBe(false);
    expect(promptForJumpHost('(u@bastion) Password: ', 'web', [])).toBe(false);
    expect(promptForJumpHost('(u@::1) Password: ', 'web', ['[::1]:22'])).toBe(true);
  });

  it('takes the host of a hop', () => {
    expect(hopHost('u@h:22')).toBe('h');
    expect(hopHost('h')).toBe('h');
    expect(hopHost('a@b@h')).toBe('h');
    expect(hopHost('[fe80::1]:22')).toBe('fe80::1');
    expect(hopHost('fe80::1')).toBe('fe80::1');
  });

  it('gives the last visible line', () => {
    expect(lastLine('Welcome\r\n\r(u@h) Password: ')).toBe('(u@h) Password:');
    expect(lastLine('a\x07b\r\n\r\n')).toBe('ab');
    expect(lastLine('')).toBe('');
  });
});

describe('host-key messages', () => {
  it('sees the ask question as an unknown key, naming its first line', () => {
    expect(hostKeyProblem(ASK)?.reason).toBe('host-key-unknown');
    expect(hostKeyProblem(ASK)?.line).toBe("The authenticity of host '[127.0.0.1]:2222 ([127.0.0.1]:2222)' can't be established.");
    // Only the question's last line arrived yet: it names that one.
    expect(hostKeyProblem('Are you sure you want to continue connecting (yes/no/[fingerprint])? ')?.line).toBe(
      'Are you sure you want to continue connecting (yes/no/[fingerprint])?',
    );
  });

  it('sees a changed key', () => {
    expect(hostKeyProblem('@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@')?.reason).toBe('host-key-changed');
  });

  it('sees nothing in a prompt', () => {
    expect(hostKeyProblem(PW_PROMPT)).toBeUndefined();
  });
});

describe('host-key policies', () => {
  it.each([
    ['strict', 'yes'],
    ['ask', 'ask'],
    ['tofu', 'accept-new'],
    ['advisory', 'no'],
  ] as const)('%s is StrictHostKeyChecking=%s', (policy, value) => {
    expect(strictHostKeyChecking(policy)).toBe(value);
    expect(hostKeyArgs(policy, undefined)).toEqual(['-o', `StrictHostKeyChecking=${value}`]);
  });

  it('passes nothing by default, and the known_hosts file when given', () => {
    expect(hostKeyArgs(undefined, undefined)).toEqual([]);
    expect(hostKeyArgs(undefined, '/k')).toEqual(['-o', 'UserKnownHostsFile=/k']);
  });
});

describe('parseSshG', () => {
  const out = [
    'user alice',
    'hostname example.org',
    'port 2222',
    'identityfile ~/.ssh/id_ed25519',
    'identityfile /k',
    'sendenv LANG',
    'localforward [localhost]:8080 [db]:5432',
    'userknownhostsfile /a /b',
    'globalknownhostsfile /etc/ssh/ssh_known_hosts',
    'canonicalizePermittedcnames none',
    'ciphers aes128-ctr,aes256-ctr',
    'proxyjump a,b',
    '',
  ].join('\n');

  it('lower-cases keys, keeps one-value keys as strings and lists as arrays', () => {
    expect(parseSshG(out)).toEqual({
      user: 'alice',
      hostname: 'example.org',
      port: '2222',
      identityfile: ['~/.ssh/id_ed25519', '/k'],
      sendenv: ['LANG'],
      localforward: ['[localhost]:8080 [db]:5432'],
      userknownhostsfile: ['/a', '/b'],
      globalknownhostsfile: ['/etc/ssh/ssh_known_hosts'],
      canonicalizepermittedcnames: 'none',
      ciphers: 'aes128-ctr,aes256-ctr',
      proxyjump: 'a,b',
    });
  });

  it('makes any repeated key an array', () => {
    expect(parseSshG('foo 1\nfoo 2\nfoo 3\n')).toEqual({ foo: ['1', '2', '3'] });
  });
});

describe('Secret', () => {
  it('gives the text back once, with a suffix, and forgets it', () => {
    const s = new Secret('password', 'pä55:@word');
    expect(s.available).toBe(true);
    const b = s.reveal('\n');
    expect(b.toString('utf8')).toBe('pä55:@word\n');
    s.drop();
    expect(s.available).toBe(false);
    expect(() => s.reveal()).toThrow('the password was already used and dropped');
  });

  it('shows nothing of the text when inspected or serialized', () => {
    const s = new Secret('passphrase', 'hunter2');
    expect(inspect(s)).toBe('Secret [passphrase]');
    expect(JSON.stringify({ s })).toBe('{"s":"[passphrase]"}');
    expect(inspect({ s }, { depth: 5, showHidden: true })).not.toContain('hunter2');
    s.drop();
    expect(inspect(s)).toBe('Secret [passphrase, dropped]');
  });
});

describe('ssh -V', () => {
  it('parses the version and compares it with 8.4', () => {
    const v = parseSshVersion('OpenSSH_9.2p1 Debian-2+deb12u3, OpenSSL 3.0.15 3 Sep 2024\n')!;
    expect(v).toMatchObject({ major: 9, minor: 2 });
    expect(atLeast(v, { major: 8, minor: 4 })).toBe(true);
    expect(atLeast(parseSshVersion('OpenSSH_8.3p1')!, { major: 8, minor: 4 })).toBe(false);
    expect(atLeast(parseSshVersion('OpenSSH_8.4p1')!, { major: 8, minor: 4 })).toBe(true);
    expect(parseSshVersion('Sun_SSH_1.1')).toBeUndefined();
  });
});

const settings = (extra: Partial<LoginSettings> = {}): LoginSettings => ({
  secret: undefined,
  prompt: DEFAULT_PASSWORD_PROMPT,
  route: 'auto',
  handler: undefined,
  ptyForce: false,
  jumps: [],
  ...extra,
});

describe('route and environment of a login', () => {
  it('uses the pty for handlers and masterPtyForce, else follows passwordRoute', () => {
    const pw = () => new Secret('password', 'x');
    expect(chooseRoute(settings({ handler: () => true }), () => false)).toBe('pty');
    expect(chooseRoute(settings({ ptyForce: true }), () => false)).toBe('pty');
    expect(chooseRoute(settings({ secret: pw() }), () => true)).toBe('pty');
    expect(chooseRoute(settings({ secret: pw() }), () => false)).toBe('askpass');
    expect(chooseRoute(settings({ secret: pw(), route: 'askpass' }), () => true)).toBe('askpass');
    expect(chooseRoute(settings({ secret: pw(), route: 'pty' }), () => false)).toBe('pty');
  });

  it('removes the caller askpass settings, and the agent for a passphrase', () => {
    const base = { PATH: '/bin', SSH_ASKPASS: '/x', SSH_ASKPASS_REQUIRE: 'force', SSH_AUTH_SOCK: '/agent' };
    expect(loginEnv(base, settings({ secret: new Secret('password', 'x') }))).toEqual({ PATH: '/bin', SSH_AUTH_SOCK: '/agent' });
    expect(loginEnv(base, settings({ secret: new Secret('passphrase', 'x') }))).toEqual({ PATH: '/bin' });
    expect(base.SSH_ASKPASS).toBe('/x');
  });
});

/** A PtyLogin on a fake terminal: what the login writes, and how it failed. */
function fakeLogin(extra: Partial<PtyLoginOptions> = {}) {
  const terminal = new PassThrough();
  const written: string[] = [];
  const failures: Array<{ reason: MasterFailureReason; message: string; cause?: unknown }> = [];
  let awaiting = 0;
  const fakeTerm = Object.assign(terminal, {
    write: (d: Buffer | string) => {
      written.push(Buffer.from(d).toString('utf8'));
      return true;
    },
  });
  const login = new PtyLogin({
    terminal: fakeTerm,
    prompt: DEFAULT_PASSWORD_PROMPT,
    jumps: [],
    host: '127.0.0.1',
    user: 'osmux',
    port: 22,
    stderr: () => 'BANNER',
    fail: (reason, message, cause) => failures.push({ reason, message, cause }),
    onAwaiting: () => awaiting++,
    ...extra,
  });
  const show = (text: string) => terminal.emit('data', Buffer.from(text));
  return { login, show, written, failures, awaiting: () => awaiting };
}

describe('PtyLogin', () => {
  it('types the password once at the first prompt, then fails at once on a second prompt', () => {
    const secret = new Secret('password', 's3cr3t');
    const f = fakeLogin({ secret });
    f.show('\r(osmux@127.0.0.1) Password: ');
    expect(f.written).toEqual(['s3cr3t\n']);
    expect(secret.available).toBe(false);
    expect(f.awaiting()).toBe(1);
    f.show('\r\n');
    expect(f.failures).toEqual([]);
    f.show("\rosmux@127.0.0.1's password: ");
    expect(f.written).toEqual(['s3cr3t\n']);
    expect(f.failures).toEqual([
      {
        reason: 'auth',
        message: `password authentication failed: the server asked again ("osmux@127.0.0.1's password:"); a password is typed once and never retried`,
        cause: undefined,
      },
    ]);
    expect(f.login.log).toContain("osmux@127.0.0.1's password: ");
  });

  it('reports a passphrase asked again as a bad passphrase', () => {
    const f = fakeLogin({ secret: new Secret('passphrase', 'pp') });
    f.show("Enter passphrase for key '/k': ");
    f.show("\r\nEnter passphrase for key '/k': ");
    expect(f.written).toEqual(['pp\n']);
    expect(f.failures[0]!.message).toBe(`bad passphrase: ssh asked again ("Enter passphrase for key '/k':"); a passphrase is typed once and never retried`);
  });

  it('never answers a host-key question with the password', () => {
    const secret = new Secret('password', 's3cr3t');
    const f = fakeLogin({ secret });
    f.show(ASK);
    expect(f.written).toEqual([]);
    expect(f.failures[0]!.reason).toBe('host-key-unknown');
    expect(f.failures[0]!.message).toMatch(/ssh asked whether to trust it.*: The authenticity of host '\[127\.0\.0\.1\]:2222 \(\[127\.0\.0\.1\]:2222\)' can't be established\.$/s);
    expect(secret.available).toBe(false);
  });

  it('never gives the password to a jump host', () => {
    const f = fakeLogin({ secret: new Secret('password', 's3cr3t'), jumps: ['j@bastion'] });
    f.show('(j@bastion) Password: ');
    expect(f.written).toEqual([]);
    expect(f.failures[0]).toMatchObject({ reason: 'auth', message: expect.stringMatching(/^a jump host asked for a password/) });
  });

  it("skips a key's passphrase prompt with an empty answer when the secret is a password", () => {
    const f = fakeLogin({ secret: new Secret('password', 's3cr3t') });
    f.show("\rEnter passphrase for key '/home/me/.ssh/id_ed25519': ");
    expect(f.written).toEqual(['\n']);
    expect(f.failures).toEqual([]);
    f.show(`\r\n${PW_PROMPT}`);
    expect(f.written).toEqual(['\n', 's3cr3t\n']);
    // A passphrase is typed there, of course.
    const p = fakeLogin({ secret: new Secret('passphrase', 'pp') });
    p.show("Enter passphrase for key '/k': ");
    expect(p.written).toEqual(['pp\n']);
    expect(isKeyPassphrasePrompt("\r\nEnter passphrase for key '/k': ")).toBe(true);
    expect(isKeyPassphrasePrompt(PW_PROMPT)).toBe(false);
  });

  it('waits for a custom prompt', () => {
    const f = fakeLogin({ secret: new Secret('password', 'x'), prompt: compilePrompt('PIN>') });
    f.show('Welcome: please log in\r\n');
    expect(f.written).toEqual([]);
    f.show('PIN> ');
    expect(f.written).toEqual(['x\n']);
  });

  it('with masterPtyForce alone, fails when ssh waits for an answer', () => {
    const f = fakeLogin();
    f.show('Enter PIN for token: ');
    expect(f.failures[0]!.message).toBe('ssh is waiting for an answer on the terminal ("Enter PIN for token:") and nothing answers it');
  });

  it('keeps the last 4 KiB of output, and drops it on success', () => {
    const f = fakeLogin();
    f.show('x'.repeat(PTY_LOG_BYTES + 100));
    expect(f.login.log).toHaveLength(PTY_LOG_BYTES);
    f.login.succeeded();
    expect(f.login.log).toBe('');
  });

  it('calls a handler with the output, stderr and a scratch state until it is done', async () => {
    const seen: string[] = [];
    const f = fakeLogin({
      handler: (ctx) => {
        seen.push(ctx.output);
        expect(ctx.stderr).toBe('BANNER');
        ctx.state.calls = ((ctx.state.calls as number) ?? 0) + 1;
        if (!ctx.output.includes('Code:')) return false;
        ctx.write('1234\n');
        return true;
      },
    });
    await new Promise((r) => setTimeout(r, 0));
    f.show('Hello\r\n');
    f.show('Code: ');
    expect(f.written).toEqual(['1234\n']);
    expect(seen).toEqual(['', 'Hello\r\n', 'Hello\r\nCode: ']);
    expect(f.awaiting()).toBe(1);
    f.show('\r\nCode: ');
    expect(f.failures[0]!.message).toBe('the login handler reported done, but ssh asks again ("Code:")');
  });

  it('turns a throwing handler into a login-handler failure with the cause', async () => {
    const boom = new Error('unexpected menu');
    const f = fakeLogin({
      handler: () => {
        throw boom;
      },
    });
    await new Promise((r) => setTimeout(r, 0));
    expect(f.failures).toEqual([{ reason: 'login-handler', message: 'custom login handler failed: unexpected menu', cause: boom }]);
  });

  it('waits for an async handler and reports its rejection', async () => {
    let calls = 0;
    const f = fakeLogin({
      handler: async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 30));
        throw new Error('late');
      },
    });
    f.show('a');
    f.show('b');
    await new Promise((r) => setTimeout(r, 60));
    expect(calls).toBe(1);
    expect(f.failures[0]!.message).toBe('custom login handler failed: late');
  });
});

describe('nothingElseAlive (does a pty master alone keep the process running?)', () => {
  const stdout = { fd: 1 };
  const stderrPipe = { _handle: { fd: 2 } };
  it.each([
    [[], [], true],
    [['PipeWrap', 'PipeWrap'], [stdout, stderrPipe], true],
    [['TTYWrap'], [stdout], true],
    [['PipeWrap', 'PipeWrap', 'Timeout'], [stdout, stderrPipe], false],
    [['TTYWrap'], [{ fd: 0 }], false],
    [['PipeWrap', 'TCPWrap'], [stdout, {}], false],
    [['ProcessWrap'], [], false],
    [['FSReqPromise'], [], false],
    [['Immediate'], [], false],
  ] as const)('%j with handles %j: %s', (resources, handles, expected) => {
    expect(nothingElseAlive(() => [...resources], () => [...handles])).toBe(expected);
  });
});

describe('the askpass channel', () => {
  /** Run the helper as ssh would (`$SSH_ASKPASS prompt`), from a shell whose pid we know. */
  function ask(script: string, prompt: string): Promise<{ code: number | null; stdout: string; shell: number }> {
    return new Promise((done) => {
      const child = spawn('/bin/sh', ['-c', '"$0" "$1"; exit $?', script, prompt], { stdio: ['ignore', 'pipe', 'ignore'] });
      let stdout = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('close', (code) => {
        clearTimeout(timer);
        done({ code, stdout, shell: child.pid! });
      });
    });
  }

  it('lives in a private directory, answers what the callback gives once, refuses otherwise, and is removed by close()', async () => {
    const base = mkdtempSync(join(tmpdir(), 'openssh-mux-askpass-'));
    const requests: AskpassRequest[] = [];
    let secret: Buffer | undefined = Buffer.from('s3cret: with spaces');
    const askpass = await startAskpass(join(base, 'ctl.askpass'), (req) => {
      requests.push(req);
      const answer = secret;
      secret = undefined;
      return answer;
    });
    try {
      expect(askpass.dir).toBe(join(base, 'ctl.askpass'));
      expect(statSync(askpass.dir).mode & 0o777).toBe(0o700);
      expect(statSync(join(askpass.dir, 'sock')).mode & 0o777).toBe(0o600);
      expect(askpass.env).toEqual({ SSH_ASKPASS: join(askpass.dir, 'askpass'), SSH_ASKPASS_REQUIRE: 'force' });
      const first = await ask(askpass.env.SSH_ASKPASS!, "me@host's password: ");
      expect(first).toMatchObject({ code: 0, stdout: 's3cret: with spaces' });
      // The helper's parent (the shell here; ssh in real use), read from the kernel on Linux.
      expect(requests).toEqual([{ prompt: "me@host's password: ", ppid: first.shell, verified: process.platform === 'linux' }]);
      const second = await ask(askpass.env.SSH_ASKPASS!, "me@host's password: ");
      expect(second).toMatchObject({ code: 1, stdout: '' });
      expect(requests).toHaveLength(2);
    } finally {
      askpass.close();
      askpass.close();
    }
    expect(existsSync(askpass.dir)).toBe(false);
    rmSync(base, { recursive: true, force: true });
  });

  it('refuses to reuse an existing directory', async () => {
    const base = mkdtempSync(join(tmpdir(), 'openssh-mux-askpass-'));
    try {
      mkdirSync(join(base, 'ctl.askpass'), { mode: 0o777 });
      await expect(startAskpass(join(base, 'ctl.askpass'), () => undefined)).rejects.toMatchObject({ code: 'EEXIST' });
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
