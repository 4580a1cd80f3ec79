import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultUser, sshd, target } from '../helpers/server.js';

const main = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
let ctlDir: string;
let closedPort: number;

/** ssh processes using this file's private ControlPath directory. */
/**
 * The running commands `sleep <secs>` of a test, on the server (this machine): with the
 * fleet's default engine (mux) they have no local ssh slave to look for.
 */
function remoteSleeps(secs: string): number {
  return execFileSync('ps', ['-eo', 'stat=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([stat, ...args]) => stat !== undefined && !stat.startsWith('Z') && args.join(' ') === `sleep ${secs}`).length;
}

function sshProcs(): string[] {
  return execFileSync('ps', ['-eo', 'stat=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(ctlDir) && !l.includes(main) && !l.trim().startsWith('Z'));
}

/** Flags reaching the test sshd: its host key trusted, our key, our ctlDir. */
function conn(): string[] {
  const s = sshd();
  return ['-F', '/dev/null', '-i', s.keyPath, '-o', `UserKnownHostsFile=${s.knownHostsPath}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'IdentitiesOnly=yes', '--ctl-dir', ctlDir];
}

const hosts = (n: number) => Array.from({ length: n }, (_, i) => ['-H', `web${i + 1}=${target()}`]).flat();

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 25_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  if (!existsSync(main)) throw new Error('dist/ is missing: run the tests with `npm test` (it builds first)');
  ctlDir = mkdtempSync(join(sshd().dir, 'cli-ctl-'));
  const tmp = createServer();
  closedPort = await new Promise<number>((r) => tmp.listen(0, '127.0.0.1', () => r((tmp.address() as { port: number }).port)));
  await new Promise((r) => tmp.close(r));
});

afterEach(async () => {
  for (let i = 0; i < 100 && sshProcs().length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  expect(sshProcs()).toEqual([]);
});

afterAll(() => rmSync(ctlDir, { recursive: true, force: true }));

describe('openssh-mux run', () => {
  it('grouped output (default): header, stdout, stderr per host; summary on stderr; exit 0; no colour off a TTY', async () => {
    const r = await cli(['run', ...conn(), ...hosts(2), '--', 'echo out; echo err >&2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^== web\d ok exit 0 \d+(ms|\.\ds)\nout\n-- web\d stderr --\nerr\n== web\d ok exit 0 \d+(ms|\.\ds)\nout\n-- web\d stderr --\nerr\n$/);
    expect(r.stdout).toContain('== web1 ok');
    expect(r.stdout).toContain('== web2 ok');
    expect(r.stderr).toMatch(/^2 hosts: 2 ok, 0 failed, 0 timed out, 0 aborted, 0 skipped in \S+\n$/);
    expect(r.stdout + r.stderr).not.toContain('\x1b');
  });

  it('-v prints each command and its outcome on stderr with the host label; -vv also its output', async () => {
    const r = await cli(['run', ...conn(), ...hosts(1), '-q', '-v', '--', "echo 'a b'"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^\[web1\] \$ echo 'a b'\n\[web1\] exit 0 \(\d+ ms\)\n$/);
    const full = await cli(['run', ...conn(), ...hosts(1), '-q', '-vv', '--', 'echo out; echo err >&2; exit 2']);
    expect(full.code).toBe(1);
    const lines = full.stderr.split('\n');
    expect(lines[0]).toBe('[web1] $ echo out; echo err >&2; exit 2');
    expect(lines).toContain('[web1] out| out');
    expect(lines).toContain('[web1] err| err');
    expect(lines.find((l) => l.startsWith('[web1] exit'))).toMatch(/^\[web1\] exit 2 \(\d+ ms\) OSSH_SLAVE_CMD_FAILED$/);
  });

  it('a failing host: exit 1 and the summary says which and why; --quiet keeps the failure summary', async () => {
    const r = await cli(['run', ...conn(), ...hosts(3), '-q', '--expand', '--', 'test %LABEL% != web2 || exit 3']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('== web2 FAILED exit 3');
    expect(r.stderr).toMatch(/^3 hosts: 2 ok, 1 failed, 0 timed out, 0 aborted, 0 skipped in \S+\n {2}web2: failed: exit 3 \[OSSH_SLAVE_CMD_FAILED\]\n$/);
    const quietOk = await cli(['run', ...conn(), ...hosts(1), '-q', '--', 'true']);
    expect(quietOk).toMatchObject({ code: 0, stderr: '' });
  });

  it('--json: one NDJSON object per host with every field; an unreachable host has its error code', async () => {
    const r = await cli(['run', ...conn(), ...hosts(2), '-H', `down=${defaultUser()}@127.0.0.1:${closedPort}`, '--json', '--', 'echo a; echo b >&2; exit 0']);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    const web1 = lines.find((l) => l.label === 'web1')!;
    expect(Object.keys(web1)).toEqual(['label', 'target', 'status', 'exitCode', 'signal', 'stdout', 'stderr', 'errorCode', 'error', 'durationMs']);
    expect(web1).toMatchObject({ target: target(), status: 'ok', exitCode: 0, signal: null, stdout: 'a\n', stderr: 'b\n', errorCode: null, error: null });
    const down = lines.find((l) => l.label === 'down')!;
    expect(down).toMatchObject({ status: 'failed', errorCode: 'OSSH_MASTER_FAILED', stdout: '' });
    expect(down.error).toMatch(/^unable to establish or keep the master SSH connection to 127\.0\.0\.1/);
    expect(r.stderr).toContain('down: failed: unable to establish');
  });

  it('--stream: lines prefixed with the label as they arrive, stderr kept apart', async () => {
    const r = await cli(['run', ...conn(), ...hosts(2), '--stream', '--', 'echo one; echo two; printf partial; echo e >&2']);
    expect(r.code).toBe(0);
    for (const l of ['web1', 'web2']) {
      // Hosts interleave; each host's lines keep their order.
      const mine = r.stdout.split('\n').filter((x) => x.startsWith(`${l}: `));
      expect(mine).toEqual([`${l}: one`, `${l}: two`, `${l}: partial`]);
      expect(r.stderr).toContain(`${l}: e\n`);
    }
    expect(r.stdout.split('\n').filter(Boolean).every((l) => /^web[12]: /.test(l))).toBe(true);
  });

  it('--out-dir: DIR/<label>.out and .err, headers only on stdout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'osmux-cli-out-'));
    try {
      const r = await cli(['run', ...conn(), ...hosts(2), '--out-dir', join(dir, 'o'), '--expand', '--', 'echo %LABEL%; echo x >&2']);
      expect(r.code).toBe(0);
      expect(readFileSync(join(dir, 'o', 'web1.out'), 'utf8')).toBe('web1\n');
      expect(readFileSync(join(dir, 'o', 'web2.out'), 'utf8')).toBe('web2\n');
      expect(readFileSync(join(dir, 'o', 'web2.err'), 'utf8')).toBe('x\n');
      expect(r.stdout.split('\n').filter(Boolean).every((l) => l.startsWith('== web'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--shard i/n with a hosts file: the slices concatenate to the whole list', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'osmux-cli-hosts-'));
    try {
      const file = join(dir, 'hosts');
      writeFileSync(file, `# test fleet\n${[1, 2, 3, 4, 5].map((i) => `h${i}=${target()}`).join('\n')}\n`);
      const labels: string[] = [];
      for (const shard of ['1/2', '2/2']) {
        const r = await cli(['run', ...conn(), '-f', file, '--shard', shard, '--json', '-p', '1', '--', 'true']);
        expect(r.code).toBe(0);
        labels.push(...r.stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as { label: string }).label));
      }
      expect(labels).toEqual(['h1', 'h2', 'h3', 'h4', 'h5']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('usage errors exit 2 naming the flag; --help documents every flag', async () => {
    expect(await cli(['run', '--nope'])).toMatchObject({ code: 2, stdout: '', stderr: 'openssh-mux: unknown flag --nope (see --help)\n' });
    expect(await cli(['run', '-H', 'a', '-o', 'ProxyCommand', '--', 'true'])).toMatchObject({ code: 2 });
    expect((await cli(['run', ...conn(), '-H', 'a', '--expand', '--', 'echo %NOPE%'])).stderr).toMatch(/^openssh-mux: variable %NOPE% used in the command is not defined/);
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const flag of ['--host', '--hosts-file', '--select', '--shard', '--user', '--port', '--identity', '--ssh-config', '--option', '--host-key-policy', '--connect-timeout', '--ctl-dir', '--parallel', '--timeout', '--retries', '--batch', '--max-failures', '--abort-on-error', '--expand', '--no-expand', '--rsync', '--recursive', '--stream', '--json', '--out-dir', '--quiet', '--help', '--version']) {
      expect(help.stdout).toContain(flag);
    }
    const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
    expect((await cli(['--version'])).stdout).toBe(`${pkg.version}\n`);
  });

  it('-t: a host over its timeout is reported timed out, exit 1', async () => {
    const r = await cli(['run', ...conn(), ...hosts(2), '-t', '8s', '--json', '--expand', '--', 'test %LABEL% = web1 || sleep 20']);
    expect(r.code).toBe(1);
    const byLabel = Object.fromEntries(r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { label: string; status: string; errorCode: string }).map((o) => [o.label, o]));
    expect(byLabel.web1!.status).toBe('ok');
    expect(byLabel.web2).toMatchObject({ status: 'timed-out', errorCode: 'OSSH_SLAVE_TIMEOUT' });
  });
});

describe('openssh-mux put / get', () => {
  it('scp and rsync with %LABEL% in the paths', async () => {
    const local = mkdtempSync(join(tmpdir(), 'osmux-cli-xfer-'));
    const remote = execFileSync('ssh', [...sshd().clientOpts, '-i', sshd().keyPath, '-p', String(sshd().port), `${defaultUser()}@127.0.0.1`, 'mktemp -d'], { encoding: 'utf8' }).trim();
    try {
      writeFileSync(join(local, 'f.txt'), 'data\n');
      const put = await cli(['put', ...conn(), ...hosts(2), '--', join(local, 'f.txt'), `${remote}/%LABEL%.txt`]);
      expect(put.code).toBe(0);
      expect(put.stdout).toContain('== web1 ok');
      const get = await cli(['get', ...conn(), ...hosts(2), '--rsync', '--', `${remote}/%LABEL%.txt`, join(local, 'got-%LABEL%.txt')]);
      expect(get.code).toBe(0);
      expect(readFileSync(join(local, 'got-web1.txt'), 'utf8')).toBe('data\n');
      expect(readFileSync(join(local, 'got-web2.txt'), 'utf8')).toBe('data\n');
      const missing = await cli(['get', ...conn(), ...hosts(1), '--json', '--', `${remote}/nope`, local]);
      expect(missing.code).toBe(1);
      expect(JSON.parse(missing.stdout)).toMatchObject({ status: 'failed', errorCode: 'OSSH_TRANSFER_FAILED' });
    } finally {
      execFileSync('ssh', [...sshd().clientOpts, '-i', sshd().keyPath, '-p', String(sshd().port), `${defaultUser()}@127.0.0.1`, `rm -rf ${remote}`]);
      rmSync(local, { recursive: true, force: true });
    }
  });
});

describe('interrupts and terminals', () => {
  it('SIGINT: running commands are cancelled, every connection closed, exit 130', async () => {
    const p = spawn(process.execPath, [main, 'run', ...conn(), ...hosts(3), '-p', '2', '--json', '--', 'sleep 30.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((r) => p.on('close', (code) => r(code)));
    // Wait until both allowed commands run on the server.
    for (let i = 0; i < 400 && remoteSleeps('30.1') < 2; i++) await new Promise((r) => setTimeout(r, 25));
    expect(remoteSleeps('30.1')).toBe(2);
    const t0 = performance.now();
    p.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(performance.now() - t0).toBeLessThan(8000);
    expect(sshProcs(), stderr).toEqual([]);
    // The fleet's engine (mux) signalled the remote commands: they are gone too.
    for (let i = 0; i < 200 && remoteSleeps('30.1') > 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(remoteSleeps('30.1')).toBe(0);
    const statuses = stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as { status: string }).status).sort();
    expect(statuses).toEqual(['aborted', 'aborted', 'skipped']);
    expect(stderr).toContain('openssh-mux: interrupted, closing connections...');
  });

  it('on a TTY: a progress line on stderr, colours, and Ctrl-C exits 130 leaving nothing', async () => {
    const pty = createRequire(import.meta.url)('node-pty') as typeof import('node-pty');
    const run = (args: string[], env: Record<string, string> = {}) => {
      const t = pty.spawn(process.execPath, [main, ...args], { cols: 200, rows: 30, env: { ...process.env, ...env } as Record<string, string> });
      let screen = '';
      t.onData((d) => (screen += d));
      const done = new Promise<number>((r) => t.onExit(({ exitCode }) => r(exitCode)));
      return { t, done, screen: () => screen };
    };
    const a = run(['run', ...conn(), ...hosts(2), '--', 'sleep 0.6; echo fine']);
    expect(await a.done).toBe(0);
    expect(a.screen()).toMatch(/\[\d\/2\] ok \d {2}failed 0 {2}running \d/);
    expect(a.screen()).toContain('\r\x1b[K');
    expect(a.screen()).toContain('\x1b[32mok\x1b[39m');
    // The progress line is erased before any output: no output line starts after progress text.
    expect(a.screen()).not.toMatch(/running \d+ +\S+(fine|==)/);

    const quiet = run(['run', ...conn(), ...hosts(1), '-q', '--', 'sleep 0.6'], { NO_COLOR: '1' });
    expect(await quiet.done).toBe(0);
    expect(quiet.screen()).not.toContain('running');
    expect(quiet.screen()).not.toContain('\x1b[');

    const c = run(['run', ...conn(), ...hosts(2), '--', 'sleep 30.2']);
    for (let i = 0; i < 400 && remoteSleeps('30.2') < 2; i++) await new Promise((r) => setTimeout(r, 25));
    c.t.write('\x03');
    expect(await c.done).toBe(130);
    expect(sshProcs()).toEqual([]);
    expect(c.screen()).toContain('interrupted, closing connections');
  });
});
