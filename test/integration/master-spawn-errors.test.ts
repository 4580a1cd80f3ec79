import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { MasterError, nodeEngine, type Engine } from '../../src/index.js';
import { baseOptions, open, target } from '../helpers/server.js';

/**
 * A master that cannot even be started (no fd left, an argument Node refuses) is a sticky
 * MasterError, reason `spawn`, with the errno; waitForMaster() resolves false, never rejects.
 */
const child = fileURLToPath(new URL('../fixtures/emfile-child.mjs', import.meta.url));
const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

beforeAll(() => {
  if (!existsSync(dist)) throw new Error('dist/ is missing: run the tests with `npm test` (it builds first)');
});

function runEmfileChild(options: object): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, JSON.stringify({ target: target(), options })], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 20_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out.split('\n')[0]!));
      } catch {
        reject(new Error(`child printed ${JSON.stringify(out)} (code ${code}): ${err}`));
      }
    });
  });
}

describe('a master that cannot be spawned', () => {
  it.each([
    ['its log cannot be opened', {}],
    ['ssh itself cannot be spawned', { masterStdoutDiscard: true, masterStderrDiscard: true }],
  ])('with every fd in use (%s): waitForMaster() resolves false with a sticky MasterError carrying EMFILE', async (_what, extra) => {
    const r = await runEmfileChild(baseOptions(extra));
    expect(r).toMatchObject({ ok: false, name: 'MasterError', code: 'OSSH_MASTER_FAILED', reason: 'spawn', causeCode: 'EMFILE', state: 'gone' });
    expect(r.message).toMatch(/^unable to establish or keep the master SSH connection to 127\.0\.0\.1: .*EMFILE/);
    // Nothing left behind by the failed start.
    expect(typeof r.ctlPath).toBe('string');
    for (const f of [r.ctlPath, `${r.ctlPath}.log`, `${r.ctlPath}.owner`]) expect(existsSync(f as string)).toBe(false);
  });

  it('an argument Node refuses (a NUL byte) is a sticky MasterError, reason spawn, with its code', async () => {
    // Every option is checked for NUL bytes before this point: an engine adds one to the
    // master's argv, so that Node's own spawn() throws as it would.
    const engine: Engine = {
      spawn: (req) => nodeEngine.spawn(req.args.some((a) => a.startsWith('-MN')) ? { ...req, args: [...req.args, 'x\0y'] } : req),
    };
    const ssh = open({ engine });
    expect(await ssh.waitForMaster()).toBe(false);
    const err = ssh.error as MasterError;
    expect(err).toBeInstanceOf(MasterError);
    expect(err.code).toBe('OSSH_MASTER_FAILED');
    expect(err.reason).toBe('spawn');
    expect((err.cause as NodeJS.ErrnoException).code).toBe('ERR_INVALID_ARG_VALUE');
    expect(err.message).toMatch(/^unable to establish or keep the master SSH connection to 127\.0\.0\.1: the master (ssh process )?could not be started \(ERR_INVALID_ARG_VALUE: /);
    expect(ssh.state).toBe('gone');
    // Sticky: the next operation fails with the same error.
    await expect(ssh.capture('true')).rejects.toBe(err);
    expect(await ssh.waitForMaster()).toBe(false);
  });
});
