import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { SlaveError } from '../../src/index.js';
import { connect } from '../helpers/server.js';

const dir = mkdtempSync(join(tmpdir(), 'openssh-mux-defstreams-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string) => join(dir, name);


describe('default streams against the real sshd', () => {
  it('{ file } defaults: every system() writes to the same files, opened once, closed on disconnect', async () => {
    const out = file('out.txt');
    const err = file('err.txt');
    writeFileSync(out, 'old content that must be truncated\n');
    const ssh = await connect({ defaultStdout: { file: out }, defaultStderr: { file: err } });
    await ssh.system('echo one; echo e1 >&2');
    await ssh.system('echo two; echo e2 >&2');
    // A call's own option wins over the default.
    expect(await ssh.capture('echo captured')).toBe('captured\n');
    await ssh.system('echo three', { stdoutDiscard: true });
    expect(readFileSync(out, 'utf8')).toBe('one\ntwo\n');
    expect(readFileSync(err, 'utf8')).toBe('e1\ne2\n');
    expect(openPaths()).toContain(out);
    await ssh.disconnect();
    expect(openPaths()).not.toContain(out);
    expect(openPaths()).not.toContain(err);
  });

  it('{ file, append: true } appends to what the file had', async () => {
    const out = file('append.txt');
    writeFileSync(out, 'before\n');
    const ssh = await connect({ defaultStdout: { file: out, append: true } });
    await ssh.system('echo after');
    await ssh.disconnect();
    expect(readFileSync(out, 'utf8')).toBe('before\nafter\n');
  });

  it('defaultStdin { file }: the commands read one shared file, in turn', async () => {
    const input = file('in.txt');
    writeFileSync(input, 'line1\nline2\n');
    const ssh = await connect({ defaultStdin: { file: input } });
    expect(await ssh.capture('head -n 1')).toBe('line1\n');
    // stdin is the same open file: head read it all (a pipe-less file), so the next sees the rest or EOF.
    const second = await ssh.capture('cat');
    expect(['line2\n', '']).toContain(second);
    expect(await ssh.capture('cat', { stdinData: 'own' })).toBe('own');
    await ssh.disconnect();
  });

  it('stream defaults: stdout and stderr of system() and the stream methods go to the caller\'s streams', async () => {
    const out = new PassThrough();
    const err = new PassThrough();
    const got = { out: '', err: '' };
    out.on('data', (c: Buffer) => (got.out += c));
    err.on('data', (c: Buffer) => (got.err += c));
    const ssh = await connect({ defaultStdout: out, defaultStderr: err });
    await ssh.system('echo a; echo b >&2');
    const w = ssh.pipeIn('cat; echo c >&2');
    w.end('piped\n');
    const r = await w.done;
    expect(r.stdout).toBe('');
    // run() still hands its output back.
    expect((await ssh.run('echo d; echo e >&2')).stdout).toBe('d\n');
    expect(got).toEqual({ out: 'a\npiped\n', err: 'b\nc\n' });
    // The caller's streams are not ended by the commands.
    expect(out.writableEnded).toBe(false);
    await ssh.disconnect();
  });

  it('fd defaults: output written to the caller\'s fd', async () => {
    const path = file('fd.txt');
    const fd = openSync(path, 'w');
    try {
      const ssh = await connect({ defaultStdout: fd });
      await ssh.system('echo via-fd');
      await ssh.disconnect();
      expect(readFileSync(path, 'utf8')).toBe('via-fd\n');
    } finally {
      closeSync(fd);
    }
  });

  it('a defaultStdin stream is read by the first command; later ones get EOF at once instead of hanging', async () => {
    const input = new PassThrough();
    input.end('only once\n');
    const ssh = await connect({ defaultStdin: input });
    expect(await ssh.capture('cat')).toBe('only once\n');
    expect(await ssh.capture('cat', { timeout: 20_000 })).toBe('');
    await ssh.disconnect();
  });

  it('a default file that cannot be opened fails the command with a SlaveError OSSH_SLAVE_PIPE_FAILED', async () => {
    const missing = file('no/such/dir/out.txt');
    const ssh = await connect({ defaultStdout: { file: missing } });
    const e = (await ssh.system('true').catch((x: unknown) => x)) as SlaveError;
    expect(e).toBeInstanceOf(SlaveError);
    expect(e.code).toBe('OSSH_SLAVE_PIPE_FAILED');
    expect(e.message).toMatch(new RegExp(`^unable to open defaultStdout ${missing.replace(/[/.]/g, '\\$&')}: ENOENT`));
    // Commands that do not use the default still work.
    expect(await ssh.capture('echo ok')).toBe('ok\n');
    await ssh.disconnect();
  });
});

/** The files this process has open (Linux /proc). */
function openPaths(): string[] {
  const paths: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      paths.push(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // closed meanwhile
    }
  }
  return paths;
}
