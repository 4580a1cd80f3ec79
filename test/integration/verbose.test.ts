/**
 * `verbose`: the exact lines printed on stderr, through a pipe and on a terminal (node-pty),
 * by a child process running the built library (dist/). A password login and stdin data never
 * show; NODE_DEBUG=openssh-mux keeps working next to it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ptyAvailable, type OpenSSHOptions } from '../../src/index.js';
import { startSshd, type TestServer } from '../../src/testing/index.js';
import { baseOptions, connect, sshd, target } from '../helpers/server.js';

const child = fileURLToPath(new URL('../fixtures/verbose-child.mjs', import.meta.url));
const main = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
type Call = [string, Record<string, unknown>?];

interface Ran {
  stdout: string;
  stderr: string;
  code: number | null;
}

function runChild(options: OpenSSHOptions, calls: Call[], env: NodeJS.ProcessEnv = {}, to = target()): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, JSON.stringify({ target: to, options, calls })], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c));
    p.stderr.on('data', (c: Buffer) => (stderr += c));
    p.on('error', reject);
    p.on('close', (code) => resolve({ stdout, stderr, code }));
  });
}

/** Durations vary: `(12 ms)` becomes `(N ms)`. */
const norm = (text: string) => text.replace(/\((\d+) ms\)/g, '(N ms)');
const H = '127.0.0.1';

const CALLS: Call[] = [
  [`echo 'a b'`],
  ['echo out; exit 3'],
  ['echo one; echo two; printf three', { verbose: 'full' }],
  ['echo warn >&2', { verbose: 'full' }],
  ['cat >/dev/null', { stdinData: 'stdin-secret-xyz' }],
  ['echo first\necho second'],
  ['echo quiet', { verbose: false }],
];

const SHORT = [
  `[${H}] $ echo 'a b'`,
  `[${H}] exit 0 (N ms)`,
  `[${H}] $ echo out; exit 3`,
  `[${H}] exit 3 (N ms) OSSH_SLAVE_CMD_FAILED`,
  `[${H}] $ echo one; echo two; printf three`,
  `[${H}] out| one`,
  `[${H}] out| two`,
  `[${H}] out| three`,
  `[${H}] exit 0 (N ms)`,
  `[${H}] $ echo warn >&2`,
  `[${H}] err| warn`,
  `[${H}] exit 0 (N ms)`,
  `[${H}] $ cat >/dev/null`,
  `[${H}] exit 0 (N ms)`,
  `[${H}] $ echo first`,
  `[${H}] > echo second`,
  `[${H}] exit 0 (N ms)`,
  '',
].join('\n');

beforeAll(() => {
  if (!existsSync(main)) throw new Error('dist/ is missing: run `npm run build` first (npm test builds)');
});

describe('verbose', () => {
  it("'short' on the constructor, 'full' and false per call: the exact lines on stderr (a pipe)", async () => {
    const r = await runChild(baseOptions({ verbose: 'short' }), CALLS);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('done\n');
    expect(norm(r.stderr)).toBe(SHORT);
    expect(r.stderr).not.toContain('stdin-secret-xyz');
  });

  it('off by default: nothing on stderr', async () => {
    const r = await runChild(baseOptions(), CALLS.slice(0, 2));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('NODE_DEBUG=openssh-mux still prints its lines, next to the verbose ones', async () => {
    const r = await runChild(baseOptions({ verbose: 'short' }), [['true']], { NODE_DEBUG: 'openssh-mux' });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^OPENSSH-MUX \d+: slave spawn \["ssh",/m);
    expect(r.stderr).toMatch(/^OPENSSH-MUX \d+: master .* running, pid \d+/m);
    expect(r.stderr).toContain(`[${H}] $ true\n`);
    expect(r.stderr).toMatch(new RegExp(`^\\[${H.replaceAll('.', '\\.')}\\] exit 0 \\(\\d+ ms\\)$`, 'm'));
  });

  it.skipIf(!ptyAvailable())('on a terminal: the same lines (the pty turns \\n into \\r\\n)', async () => {
    const pty = await import('node-pty');
    const term = pty.spawn(process.execPath, [child, JSON.stringify({ target: target(), options: baseOptions({ verbose: 'short' }), calls: CALLS })], {
      cols: 200,
      rows: 50,
      env: process.env as Record<string, string>,
    });
    let out = '';
    term.onData((d) => (out += d));
    const code = await new Promise<number>((resolve) => term.onExit((e) => resolve(e.exitCode)));
    expect(code, out).toBe(0);
    expect(out).toContain('\r\n');
    expect(norm(out.replaceAll('\r\n', '\n'))).toBe(`${SHORT}done\n`);
  });
});

describe('verbose in shell sessions', () => {
  it("each session command is printed as the user wrote it, with its exit status; 'full' adds its output", async () => {
    const ssh = await connect({ verbose: 'short' });
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
      written.push(String(chunk));
      return true;
    });
    let printed = '';
    try {
      await using sh = await ssh.shell();
      written.length = 0; // the session's own channel was printed when it opened
      await sh.capture(['echo', 'a b']);
      await sh.run('echo two; echo err >&2; (exit 2)', { verbose: 'full', reject: false });
      await sh.capture('echo quiet', { verbose: false });
      printed = written.join('');
    } finally {
      spy.mockRestore();
      await ssh.disconnect();
    }
    const lines = norm(printed).split('\n');
    expect(lines).toEqual([
      `[${H}] $ echo 'a b'`,
      `[${H}] exit 0 (N ms)`,
      `[${H}] $ echo two; echo err >&2; (exit 2)`,
      `[${H}] out| two`,
      `[${H}] err| err`,
      `[${H}] exit 2 (N ms) OSSH_SLAVE_CMD_FAILED`,
      '',
    ]);
  });
});

describe.skipIf(!sshd().isRoot)('verbose never prints a secret', () => {
  const USER = 'osmux-vpw';
  const PW = 'Pw-verbose-Zq9!x';
  let pw: TestServer;
  beforeAll(async () => {
    pw = await startSshd({ users: [{ name: USER, shell: '/bin/sh', password: PW }], passwordAuthentication: true });
  });
  afterAll(() => pw?.stop());

  it("a password login with verbose 'full' and NODE_DEBUG: the password is nowhere in the output", async () => {
    const options = { ctlDir: pw.ctlDir, masterOpts: pw.clientOpts, password: PW, verbose: 'full' as const };
    const r = await runChild(options, [['id -un'], ['cat >/dev/null', { stdinData: PW }]], { NODE_DEBUG: 'openssh-mux' }, pw.target(USER));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`[${H}] out| ${USER}\n`);
    expect(r.stderr).toContain(`[${H}] $ cat >/dev/null\n`);
    expect(r.stderr).not.toContain(PW);
    expect(r.stdout).not.toContain(PW);
  });
});
