import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, lstatSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { MasterError, OpenSSH, TimeoutError, type OpenSSHOptions } from '../../src/index.js';
import { nodeEngine, type Engine } from '../../src/run/engine.js';
import { realHome } from '../../src/master/control-dir.js';
import { connect, open, sshd, target, track, baseOptions } from '../helpers/server.js';

const work = mkdtempSync(join(sshd().dir, 'options-'));
chmodSync(work, 0o755);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('constructor options', () => {
  it('without ctlDir the socket lives in ~/.openssh-mux (real home), created 0700', async () => {
    const { ctlDir: _unused, ...rest } = baseOptions();
    const ssh = track(await OpenSSH.connect(target(), rest));
    const dir = join(realHome()!, '.openssh-mux');
    expect(ssh.ctlPath!.startsWith(`${dir}/`)).toBe(true);
    expect(lstatSync(dir).mode & 0o077).toBe(0);
    await ssh.disconnect();
    expect(existsSync(ssh.ctlPath!)).toBe(false);
  });

  it('sshCmd names the ssh program for the master and every slave', async () => {
    const log = join(work, 'wrapper.log');
    const wrapper = join(work, 'my-ssh');
    writeFileSync(wrapper, `#!/bin/sh\necho "$*" >> ${log}\nexec ssh "$@"\n`, { mode: 0o755 });
    // The spawn engine: the slave is what this checks.
    const ssh = await connect({ sshCmd: wrapper, engine: 'spawn' });
    expect(await ssh.capture('echo wrapped')).toBe('wrapped\n');
    await ssh.disconnect();
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    expect(calls.some((c) => c.includes('-MNx'))).toBe(true); // the master
    // The readiness check and the exit request run in-process (mux protocol), not as ssh -O.
    expect(calls.some((c) => c.includes('-O '))).toBe(false);
    expect(calls.some((c) => c.endsWith('-- echo wrapped'))).toBe(true); // the slave
  });

  it('proxyCommand is used to reach the server', async () => {
    const port = sshd().port;
    const proxy = `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port}; cat <&3 & cat >&3'`;
    const ssh = await connect({ proxyCommand: proxy });
    expect(await ssh.capture('echo proxied')).toBe('proxied\n');
  });

  it('masterStderrDiscard keeps no log: the error then lacks ssh\'s own words', async () => {
    const ssh = open({ masterStderrDiscard: true, masterStdoutDiscard: true, masterOpts: ['-o', 'UserKnownHostsFile=/dev/null'] });
    expect(await ssh.waitForMaster()).toBe(false);
    const e = ssh.error as MasterError;
    expect(e.reason).toBe('exited');
    expect(e.message).toBe('unable to establish or keep the master SSH connection to 127.0.0.1: the master ssh process exited with code 255');
    expect(ssh.masterLog).toBe('');
  });

  it('by default the master log holds what ssh printed', async () => {
    const ssh = await connect({ masterOpts: ['-o', 'LogLevel=VERBOSE'] });
    expect(ssh.masterLog).toContain('Authenticated to 127.0.0.1');
    expect(existsSync(`${ssh.ctlPath}.log`)).toBe(true);
  });

  it('defaultSshOpts apply to every slave; a call\'s sshOpts replace them', async () => {
    const ssh = await connect({ defaultSshOpts: ['-o', 'LogLevel=ERROR'] });
    expect((await ssh.run('true')).argv.slice(1, 3)).toEqual(['-o', 'LogLevel=ERROR']);
    expect((await ssh.run('true', { sshOpts: ['-o', 'LogLevel=QUIET'] })).argv.slice(1, 3)).toEqual(['-o', 'LogLevel=QUIET']);
  });

  it('encoding and idleTimeout defaults apply to every command', async () => {
    const ssh = await connect({ encoding: 'latin1', idleTimeout: 400 });
    expect(await ssh.capture("printf '\\351'")).toBe('\u00e9');
    const e = (await ssh.capture('sleep 5').catch((x: unknown) => x)) as TimeoutError;
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.kind).toBe('idle');
  });

  it('a constructor signal aborts the login itself', async () => {
    const ac = new AbortController();
    const ssh = open({ proxyCommand: 'sleep 20', signal: ac.signal });
    setTimeout(() => ac.abort(new Error('stop')), 200);
    const t0 = performance.now();
    const e = (await ssh.capture('true').catch((x: unknown) => x)) as Error;
    expect(e.name).toBe('AbortError');
    expect(await ssh.waitForMaster()).toBe(false);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect((ssh.error as MasterError).reason).toBe('aborted');
    expect(ssh.error!.message).toBe('unable to establish or keep the master SSH connection to 127.0.0.1: the login was aborted: stop');
  });

  it('disconnect() during the login interrupts it', async () => {
    const ssh = open({ proxyCommand: 'sleep 20' });
    await new Promise((r) => setTimeout(r, 200));
    const t0 = performance.now();
    await ssh.disconnect();
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(ssh.state).toBe('gone');
    expect((ssh.error as MasterError).reason).toBe('disconnected');
  });

  it('forwardAgent forwards the local agent to the remote command', async () => {
    const sock = join(work, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 20));
      expect(spawnSync('ssh-add', [sshd().keyPath], { env: { ...process.env, SSH_AUTH_SOCK: sock } }).status).toBe(0);
      const saved = process.env.SSH_AUTH_SOCK;
      process.env.SSH_AUTH_SOCK = sock;
      let ssh: OpenSSH;
      try {
        ssh = await connect({ forwardAgent: true });
      } finally {
        if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
        else process.env.SSH_AUTH_SOCK = saved;
      }
      // sshd keeps one agent socket per connection, set for every session once any session
      // asked for it: so ask without forwarding first.
      const none = await ssh.run('echo "[$SSH_AUTH_SOCK]"', { forwardAgent: false });
      expect(none.argv).toContain('-a');
      expect(none.stdout).toBe('[]\n');
      const keys = await ssh.run('ssh-add -l', { forwardAgent: true });
      expect(keys.argv).toContain('-A');
      expect(keys.stdout).toMatch(/ED25519/);
    } finally {
      agent.kill();
    }
  });
});

describe('validation before any process', () => {
  it('a host, user or hop ssh could misread throws from the constructor and nothing is spawned', async () => {
    const log = join(work, 'spawned.log');
    const wrapper = join(work, 'logging-ssh');
    writeFileSync(wrapper, `#!/bin/sh\necho "$*" >> ${log}\nexec ssh "$@"\n`, { mode: 0o755 });
    const spawned: string[][] = [];
    const engine: Engine = { spawn: (r) => (spawned.push([r.file, ...r.args]), nodeEngine.spawn(r)) };
    const options = baseOptions({ sshCmd: wrapper, engine });
    const bad: Array<[string, OpenSSHOptions]> = [
      ['-V', {}],
      ['-oProxyCommand=touch', {}],
      ['ho\0st', {}],
      ['h', { user: '-oProxyCommand=x' }],
      ['h', { user: 'a b' }],
      ['h', { port: '2400' as unknown as number }],
      ['h', { proxyJump: '-V' }],
      [`${'a'.repeat(254)}`, {}],
    ];
    for (const [host, extra] of bad) {
      expect(() => new OpenSSH(host, { ...options, ...extra })).toThrow(TypeError);
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(spawned).toEqual([]);
    expect(existsSync(log)).toBe(false);
    // The same options with a sound target do start ssh through both seams.
    const ssh = track(new OpenSSH(target(), options));
    expect(await ssh.waitForMaster()).toBe(true);
    await ssh.disconnect();
    expect(spawned.length).toBeGreaterThan(0);
    expect(existsSync(log)).toBe(true);
  });
});

describe('stream targets', () => {
  it('stdout and stdin take file descriptors', async () => {
    const ssh = await connect();
    const inPath = join(work, 'fd-in.txt');
    const outPath = join(work, 'fd-out.txt');
    writeFileSync(inPath, 'through fds\n');
    const inFd = openSync(inPath, 'r');
    const outFd = openSync(outPath, 'w');
    try {
      const r = await ssh.run('cat', { stdin: inFd, stdout: outFd });
      expect(r.stdout).toBe('');
    } finally {
      closeSync(inFd);
      closeSync(outFd);
    }
    expect(readFileSync(outPath, 'utf8')).toBe('through fds\n');
  });

  it('stderr takes a Node Writable', async () => {
    const ssh = await connect();
    const sink = new PassThrough();
    let got = '';
    sink.on('data', (c: Buffer) => (got += c.toString()));
    await ssh.run('echo to-stream >&2', { stderr: sink });
    expect(got).toBe('to-stream\n');
  });

  it("'inherit' sends output to this process's own stdout", async () => {
    // Run in a child so its stdout can be read: the child inherits, we capture the child.
    const script = `
      import { OpenSSH } from ${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)};
      const ssh = await OpenSSH.connect(${JSON.stringify(target())}, ${JSON.stringify(baseOptions())});
      await ssh.system('echo inherited-out; echo inherited-err >&2');
      await ssh.disconnect();`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('inherited-out\n');
    expect(r.stderr).toBe('inherited-err\n');
  });
});

describe('interactive system()', () => {
  it('with no command, runs the login shell on this process\'s stdin', async () => {
    const script = `
      import { OpenSSH } from ${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)};
      const ssh = await OpenSSH.connect(${JSON.stringify(target())}, ${JSON.stringify(baseOptions())});
      await ssh.system();
      await ssh.disconnect();`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', input: 'echo typed-into-the-shell\nexit\n' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('typed-into-the-shell\n');
    expect(r.status).toBe(0);
  });
});

describe('debug output', () => {
  it('NODE_DEBUG=openssh-mux prints every argv and how each process ended', async () => {
    const script = `
      import { OpenSSH } from ${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)};
      const ssh = await OpenSSH.connect(${JSON.stringify(target())}, ${JSON.stringify({ ...baseOptions(), engine: 'spawn' })});
      await ssh.capture('echo debugged');
      await ssh.disconnect();`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, NODE_DEBUG: 'openssh-mux' },
    });
    expect(r.status, r.stderr).toBe(0);
    // On Linux the master runs under setpriv --pdeathsig (it dies with its owner).
    expect(r.stderr).toMatch(/OPENSSH-MUX \d+: master spawn \[("[^"]*setpriv","--pdeathsig","SIGTERM","--",)?"ssh",.*"-MNx".*\(owner guard: \w+\)/);
    expect(r.stderr).toMatch(/control check on \S+: Master running \(pid=\d+\)/);
    expect(r.stderr).toMatch(/slave spawn \["ssh",.*"--","echo debugged"\]/);
    expect(r.stderr).toMatch(/slave \d+ exited 0 after \d+ ms/);
    // And nothing at all without it.
    const quiet = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(quiet.stderr).toBe('');
  });
});
