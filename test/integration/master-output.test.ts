import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { OpenSSH } from '../../src/index.js';
import { connect, open, target, baseOptions } from '../helpers/server.js';
import { expectTypeError } from '../helpers/expect-throw.js';

const dir = mkdtempSync(join(tmpdir(), 'openssh-mux-masterout-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('masterStdout / masterStderr against the real sshd', () => {
  it("masterStderr: ssh's -v output reaches the caller's stream, and the log keeps it too", async () => {
    const err = new PassThrough();
    let text = '';
    err.on('data', (c: Buffer) => (text += c));
    const ssh = await connect({ masterOpts: ['-v'], masterStderr: err });
    expect(await ssh.capture('echo ok')).toBe('ok\n');
    expect(text).toMatch(/^debug1: /m);
    expect(ssh.masterLog).toMatch(/^debug1: /m);
    await ssh.disconnect();
    expect(err.writableEnded).toBe(false);
  });

  it('masterStderr as an fd: written to the file, which stays open', async () => {
    const path = join(dir, 'master.err');
    const fd = openSync(path, 'w');
    try {
      const ssh = await connect({ masterOpts: ['-v'], masterStderr: fd });
      await ssh.disconnect();
      expect(readFileSync(path, 'utf8')).toMatch(/^debug1: /m);
    } finally {
      closeSync(fd);
    }
  });

  it("a failing master still reports ssh's words when its stderr goes to the caller", async () => {
    const err = new PassThrough();
    let text = '';
    err.on('data', (c: Buffer) => (text += c));
    const ssh = open({ masterStderr: err, masterOpts: ['-o', 'Port=1'] });
    expect(await ssh.waitForMaster()).toBe(false);
    expect(ssh.error!.code).toBe('OSSH_MASTER_FAILED');
    expect(ssh.error!.message).toMatch(/Connection refused/);
    expect(text).toMatch(/Connection refused/);
  });

  it("masterStdout: what the master prints on its stdout (a LocalCommand's output) reaches the caller", async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c));
    const ssh = await connect({ masterStdout: out, masterOpts: ['-o', 'PermitLocalCommand=yes', '-o', 'LocalCommand=echo from-the-master'] });
    expect(await ssh.capture('echo ok')).toBe('ok\n');
    for (let i = 0; i < 100 && !text.includes('\n'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(text).toBe('from-the-master\n');
    expect(ssh.masterLog).toContain('from-the-master');
    await ssh.disconnect();
  });

  it('masterStdout: bad values and the discard conflict are TypeErrors', () => {
    expectTypeError(() => new OpenSSH(target(), baseOptions({ masterStdout: 'log' as never, connect: false })), "option 'masterStdout' must be a Writable stream or a file descriptor, received string \"log\"");
    expectTypeError(() => new OpenSSH(target(), baseOptions({ masterStderr: -2, connect: false })), "option 'masterStderr' must be a Writable stream or a file descriptor, received number -2");
    expectTypeError(
      () => new OpenSSH(target(), baseOptions({ masterStderr: 2, masterStderrDiscard: true, connect: false })),
      "options 'masterStderr' and 'masterStderrDiscard' cannot be used together: the output either goes somewhere or is discarded",
    );
  });
});
