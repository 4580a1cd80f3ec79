import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { MaxBufferError, OutputFileError, type OpenSSH } from '../../src/index.js';
import { connect, connectForFile, sshd } from '../helpers/server.js';
import { rejection } from '../helpers/expect-throw.js';
import { mountTinyTmpfs, runAsRoot } from '../helpers/tiny-fs.js';

let ssh: OpenSSH;
const work = mkdtempSync(join(sshd().dir, 'output-limits-'));

beforeAll(async () => {
  ssh = await connectForFile();
});
afterAll(async () => {
  await ssh.disconnect();
  rmSync(work, { recursive: true, force: true });
});

/** Is a process running `yes` as the test user on this machine (the sshd is local)? */
function remoteYesRunning(): boolean {
  try {
    return execFileSync('pgrep', ['-u', sshd().users[0]!.name, '-x', 'yes'], { encoding: 'utf8' }).trim() !== '';
  } catch {
    return false;
  }
}

describe('maxBuffer', () => {
  it('capture() of an endless output stops the slave at the limit and fails with a MaxBufferError', async () => {
    const t0 = performance.now();
    const e = await rejection<MaxBufferError>(ssh.capture('yes', { maxBuffer: 1_000_000 }));
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(e).toBeInstanceOf(MaxBufferError);
    expect(e.code).toBe('OSSH_MAX_BUFFER');
    expect(e.name).toBe('MaxBufferError');
    expect(e.stream).toBe('stdout');
    expect(e.kind).toBe('maxBuffer');
    expect(e.limit).toBe(1_000_000);
    expect(e.stdout).toBe('y\n'.repeat(500_000));
    expect(e.argv?.[0]).toBe('ssh');
    expect(e.command).toBe('yes');
    expect(e.message).toBe(
      'stdout went past maxBuffer (1000000 bytes); the slave was stopped. Raise maxBuffer, or stream the output (pipeOut(), spawn() with buffer: false) or write it to a file (stdoutFile)',
    );
    // The remote command goes with the slave.
    const deadline = Date.now() + 5000;
    while (remoteYesRunning() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(remoteYesRunning()).toBe(false);
    // The connection is still usable.
    expect(await ssh.capture('echo ok')).toBe('ok\n');
  });

  it("'cat /dev/zero | head -c 2G' fails fast at the limit instead of holding it all", async () => {
    const e = await rejection<MaxBufferError>(ssh.capture('cat /dev/zero | head -c 2G', { maxBuffer: 4 * 1024 * 1024, encoding: 'buffer' }));
    expect(e).toBeInstanceOf(MaxBufferError);
    expect(Buffer.isBuffer(e.stdout)).toBe(true);
    expect(e.stdout.length).toBe(4 * 1024 * 1024);
  });

  it('the default limit is 100 MiB', async () => {
    const limit = 100 * 1024 * 1024;
    const e = await rejection<MaxBufferError>(ssh.capture(`head -c ${limit + 1} /dev/zero`, { encoding: 'buffer' }));
    expect(e).toBeInstanceOf(MaxBufferError);
    expect(e.limit).toBe(limit);
    expect(e.stdout.length).toBe(limit);
  });

  it('output of exactly maxBuffer bytes is a success', async () => {
    expect(await ssh.capture('head -c 1000 /dev/zero', { maxBuffer: 1000, encoding: 'buffer' })).toEqual(Buffer.alloc(1000));
  });

  it('the constructor sets the default, a call overrides it', async () => {
    const small = await connect({ maxBuffer: 1000 });
    const e = await rejection<MaxBufferError>(small.capture('head -c 1001 /dev/zero'));
    expect(e).toBeInstanceOf(MaxBufferError);
    expect(e.limit).toBe(1000);
    expect((await small.capture('head -c 1001 /dev/zero', { maxBuffer: Infinity })).length).toBe(1001);
  });

  it('stderr is bounded too, and the error names it', async () => {
    const e = await rejection<MaxBufferError>(ssh.capture2('echo out; yes >&2', { maxBuffer: 100_000 }));
    expect(e).toBeInstanceOf(MaxBufferError);
    expect(e.stream).toBe('stderr');
    expect(e.stdout).toBe('out\n');
    expect(e.stderr).toBe('y\n'.repeat(50_000));
    expect(e.message).toMatch(/^stderr went past maxBuffer \(100000 bytes\).*\(stderrFile\)$/);
  });

  it('run() with reject: false resolves with the error', async () => {
    const r = await ssh.run('yes', { maxBuffer: 10_000, reject: false });
    expect(r.failed).toBe(true);
    expect(r.error).toBeInstanceOf(MaxBufferError);
    expect(r.stdout).toBe('y\n'.repeat(5_000));
  });

  it("spawn()'s collected output is bounded", async () => {
    const p = await ssh.spawn('yes', { maxBuffer: 10_000, stdin: 'ignore' });
    const e = await rejection<MaxBufferError>(p.result);
    expect(e).toBeInstanceOf(MaxBufferError);
    expect(e.argv).toEqual(p.argv);
  });

  it('lines() fails on a line that never ends and stops the slave', async () => {
    const seen: string[] = [];
    const e = await rejection<MaxBufferError>(
      (async () => {
        for await (const line of ssh.lines("echo first; yes | tr -d '\\n'", { maxBuffer: 50_000 })) seen.push(line);
      })(),
    );
    expect(seen).toEqual(['first']);
    expect(e).toBeInstanceOf(MaxBufferError);
    expect(e.code).toBe('OSSH_MAX_BUFFER');
    expect(e.stream).toBe('stdout');
    expect(e.stdout).toBe('y'.repeat(50_000));
    expect(e.argv?.[0]).toBe('ssh');
    expect(e.message).toBe(
      'a line of stdout went past maxBuffer (50000 bytes) without ending; the slave was stopped. Raise maxBuffer, or read the output as a stream (pipeOut())',
    );
  });

  it('lines() yields lines of exactly maxBuffer bytes', async () => {
    const lines: string[] = [];
    for await (const line of ssh.lines("head -c 3000 /dev/zero | tr '\\0' a; echo; echo b", { maxBuffer: 3000 })) lines.push(line);
    expect(lines).toEqual(['a'.repeat(3000), 'b']);
  });
});

describe('output files that cannot be written', () => {
  it('stdoutFile on a full device fails with an OutputFileError naming the file and errno', async () => {
    const e = await rejection<OutputFileError>(ssh.run('head -c 1000000 /dev/zero', { stdoutFile: '/dev/full' }));
    expect(e).toBeInstanceOf(OutputFileError);
    expect(e.code).toBe('OSSH_OUTPUT_FILE');
    expect(e.name).toBe('OutputFileError');
    expect(e.stream).toBe('stdout');
    expect(e.path).toBe('/dev/full');
    expect(e.errno).toBe('ENOSPC');
    expect(e.syscall).toBe('write');
    expect((e.cause as NodeJS.ErrnoException).code).toBe('ENOSPC');
    expect(e.argv?.[0]).toBe('ssh');
    expect(e.message).toBe('unable to write stdout to /dev/full: ENOSPC: no space left on device, write; the slave was stopped');
  });

  it('stderrFile and an fd given as stdout are checked too', async () => {
    const e = await rejection<OutputFileError>(ssh.run('echo x >&2', { stderrFile: '/dev/full' }));
    expect(e).toBeInstanceOf(OutputFileError);
    expect(e.stream).toBe('stderr');
    expect(e.message).toBe('unable to write stderr to /dev/full: ENOSPC: no space left on device, write; the slave was stopped');
    const fd = openSync('/dev/full', 'w');
    try {
      const r = await ssh.run('echo x', { stdout: fd, reject: false });
      expect(r.failed).toBe(true);
      const f = r.error as OutputFileError;
      expect(f).toBeInstanceOf(OutputFileError);
      expect(f.path).toBeUndefined();
      expect(f.fd).toBe(fd);
      expect(f.message).toBe(`unable to write stdout to fd ${fd}: ENOSPC: no space left on device, write; the slave was stopped`);
    } finally {
      closeSync(fd);
    }
  });

  it('stderrToStdout into a full file names stdout', async () => {
    const e = await rejection<OutputFileError>(ssh.run('echo x >&2', { stdoutFile: '/dev/full', stderrToStdout: true }));
    expect(e).toBeInstanceOf(OutputFileError);
    expect(e.stream).toBe('stdout');
  });

  it("spawn() with stdoutFile writes the file and hands out no stdout stream (Node reads that pipe)", async () => {
    const out = join(work, 'spawned');
    const p = await ssh.spawn('echo spawned; echo err >&2', { stdoutFile: out, stderrToStdout: true, stdin: 'ignore' });
    expect(p.stdout).toBeNull();
    expect(p.stderr).toBeNull();
    await p.result;
    expect(readFileSync(out, 'utf8').split('\n').sort()).toEqual(['', 'err', 'spawned']);
  });

  describe.skipIf(!runAsRoot)('a full filesystem (tmpfs of 64 KiB, as root)', () => {
    const mnt = join(work, 'tiny');
    let unmount: (() => void) | undefined;
    beforeAll(() => {
      unmount = mountTinyTmpfs(mnt);
    });
    afterAll(() => unmount?.());

    it('fails with ENOSPC instead of exit 0 and a short file', async () => {
      const out = join(mnt, 'out');
      onTestFinished(() => rmSync(out, { force: true }));
      const e = await rejection<OutputFileError>(ssh.run('head -c 1000000 /dev/zero', { stdoutFile: out }));
      expect(e).toBeInstanceOf(OutputFileError);
      expect(e.errno).toBe('ENOSPC');
      expect(e.path).toBe(out);
      expect(statSync(out).size).toBeLessThanOrEqual(64 * 1024);
    });

    it('output that fits is written whole', async () => {
      const out = join(mnt, 'fits');
      onTestFinished(() => rmSync(out, { force: true }));
      await ssh.run('head -c 30000 /dev/zero; echo end', { stdoutFile: out, stderrToStdout: true });
      expect(readFileSync(out)).toEqual(Buffer.concat([Buffer.alloc(30000), Buffer.from('end\n')]));
    });
  });
});
