/**
 * `ssh.$`, `sh.$` and `fleet.$` on the test sshd: the Result and rejections of run(), the
 * helpers, options, and `%VAR%` expansion of the literal parts only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandError, Fleet, fishQuoter, glob, posixQuoter, raw, TimeoutError, type OpenSSH } from '../../src/index.js';
import { rejection } from '../helpers/expect-throw.js';
import { remoteShells } from '../helpers/remote-shells.js';
import { baseOptions, connect, connectForFile, sshd, target } from '../helpers/server.js';

let ssh: OpenSSH;
beforeAll(async () => {
  ssh = await connectForFile();
});
afterAll(() => ssh.disconnect());

describe('ssh.$', () => {
  it('quotes each value, resolves with the Result run() gives plus text(), lines(), json()', async () => {
    const dir = "/tmp/it's a dir";
    const r = await ssh.$`printf '%s\n' ${dir} ${['a b', 'c']} | wc -l`;
    expect(r.command).toBe(`printf '%s\\n' ${posixQuoter.quote(dir)} 'a b' c | wc -l`);
    const plain = await ssh.run(r.command);
    expect(Object.keys(r).sort()).toEqual(Object.keys(plain).sort());
    expect({ ...r, durationMs: 0, argv: [] }).toEqual({ ...plain, durationMs: 0, argv: [] });
    expect(r.text().trim()).toBe('3');
    const out = await ssh.$`printf 'a\nb\r\nc\n'`;
    expect(out.lines()).toEqual(['a', 'b', 'c']);
    expect((await ssh.$`printf '%s' ${JSON.stringify({ x: [1, "it's"] })}`).json()).toEqual({ x: [1, "it's"] });
  });

  it('rejects like run(): a CommandError with the exit code and the command', async () => {
    const err = await rejection<CommandError>(ssh.$`echo out; echo err >&2; exit ${3}`);
    expect(err).toBeInstanceOf(CommandError);
    expect(err.code).toBe('OSSH_SLAVE_CMD_FAILED');
    expect(err.exitCode).toBe(3);
    expect(err.message).toBe('command failed with exit code 3: echo out; echo err >&2; exit 3\nerr');
    expect(err.stdout).toBe('out\n');
  });

  it('reject: false resolves with failed and error, helpers still there', async () => {
    const r = await ssh.$({ reject: false })`printf 'x\n'; exit 2`;
    expect(r.failed).toBe(true);
    expect(r.exitCode).toBe(2);
    expect(r.error).toBeInstanceOf(CommandError);
    expect(r.text()).toBe('x');
  });

  it('options by call, merged when chained: stdinData, encoding, timeout', async () => {
    expect((await ssh.$({ stdinData: 'in put' })`cat`).stdout).toBe('in put');
    const b = await ssh.$({ stdinData: 'x' })({ encoding: 'buffer' })`cat`;
    expect(Buffer.isBuffer(b.stdout) && b.stdout.toString()).toBe('x');
    const err = await rejection<TimeoutError>(ssh.$({ timeout: 300 })`sleep ${5}`);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.code).toBe('OSSH_SLAVE_TIMEOUT');
    expect(err.message).toBe('ssh slave timed out: still running after 300 ms (timeout); the slave was stopped');
  });

  it('raw() and glob() values', async () => {
    const r = await ssh.$`cd / && echo ${raw('$((1+2))')} ${glob('/bi?')} ${'/bi?'}`;
    expect(r.stdout).toBe('3 /bin /bi?\n');
  });

  it('remoteShell by call picks the quoter', async () => {
    const r = await ssh.$({ remoteShell: 'fish', reject: false })`echo ${"it's"}`;
    expect(r.command).toBe(`echo ${fishQuoter.quote("it's")}`);
  });

  it('a bad value or option is a TypeError thrown by the call itself, before anything runs', () => {
    expect(() => ssh.$`rm -rf ${undefined}`).toThrow(
      new TypeError('ssh.$: the value interpolated at position 0 (after "rm -rf ") must be a string, a finite number, raw(), glob() or an array of them, received undefined'),
    );
    // DollarOptions leaves quoteArgs out: only an untyped caller can pass it.
    const untyped = ssh.$ as unknown as (o: object) => typeof ssh.$;
    expect(() => untyped({ quoteArgs: true })`ls`).toThrow(
      new TypeError("option 'quoteArgs' cannot be used with ssh.$: the template quotes each interpolated value itself (use raw() or glob() on a value instead)"),
    );
    expect(() => ssh.$({ timeout: -1 })`ls`).toThrow(TypeError);
  });

  it('%HOST% and friends are expanded in the literal parts only, never in a value', async () => {
    const x = await connect({ expandVars: true, vars: { ID: 7 } });
    const r = await x.$`echo %HOST% %ID% 100%% ${'%HOST%'} ${['%ID%', '%%']} 50%${'ID'}%`;
    expect(r.stdout).toBe(`${sshd().host} 7 100% %HOST% %ID% %% 50%ID%\n`);
    // Without expandVars nothing is expanded.
    expect((await ssh.$`echo %HOST%`).stdout).toBe('%HOST%\n');
    expect(() => x.$`echo %NOPE% ${'a'}`).toThrow(/variable %NOPE% used in the ssh\.\$ template is not defined/);
  });
});

describe('sh.$ on a shell session', () => {
  it('quotes for the session shell and returns run()\'s Result with the helpers', async () => {
    await using sh = await ssh.shell();
    await sh.$`cd ${'/tmp'}`;
    const r = await sh.$`pwd; printf '%s\n' ${["it's", '$HOME']}`;
    expect(r.lines()).toEqual(['/tmp', "it's", '$HOME']);
    const f = await sh.$({ reject: false })`exit ${4}`;
    expect(f.exitCode).toBe(4);
    expect(f.failed).toBe(true);
    expect(() => sh.$`x ${null}`).toThrow(/sh\.\$: the value interpolated at position 0 \(after "x "\)/);
  });

  it('pool.$ runs on one of the pool sessions, quoted the same way', async () => {
    await using pool = await ssh.shellPool({ size: 2 });
    const rs = await Promise.all([1, 2, 3].map((n) => pool.$`printf '%s' ${`n ${n}'s`}`));
    expect(rs.map((r) => r.text())).toEqual(["n 1's", "n 2's", "n 3's"]);
    expect((await pool.$({ reject: false })`(exit ${7})`).exitCode).toBe(7);
  });
});

const SHELLS = remoteShells().filter((s) => s.skip === false && (s.name === 'fish' || s.name === 'sh'));

describe('fleet.$', () => {
  it('quotes for each host\'s remoteShell and expands %LABEL% in the literal parts only', async () => {
    const hosts = SHELLS.map((s) => ({ label: `h-${s.name}`, target: target(s.user), remoteShell: s.name }));
    const fleet = new Fleet(hosts, { defaults: baseOptions() });
    const word = "it's %LABEL% $HOME";
    const report = await fleet.$`/usr/bin/printf '%s|%s\n' %LABEL% ${word}`;
    expect(report.results.map((r) => (r.ok ? r.value.text() : r.error))).toEqual(SHELLS.map((s) => `h-${s.name}|${word}`));
    const sel = await fleet.$({ fleet: { hosts: 'h-sh' }, reject: false })`exit ${5}`;
    expect(sel.results.map((r) => r.label)).toEqual(SHELLS.some((s) => s.name === 'sh') ? ['h-sh'] : []);
    if (sel.results[0]?.ok) expect(sel.results[0].value.exitCode).toBe(5);
  });
});
