import { spawn } from 'node:child_process';
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { alive, waitGone } from '../helpers/processes.js';
import { OpenSSH } from '../../src/index.js';
import { baseOptions, connect, target, TEST_ENGINE } from '../helpers/server.js';

const child = fileURLToPath(new URL('../fixtures/exit-child.mjs', import.meta.url));
const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

interface ChildEnd {
  pid: number;
  ctlPath: string;
  slavePid?: number;
  code: number | null;
  signal: string | null;
  out: string;
}

/** Run the fixture; resolve with its first line (the master) and how it ended. */
function runChild(mode: string, options = baseOptions(), killWith?: NodeJS.Signals, env: NodeJS.ProcessEnv = process.env) {
  return new Promise<ChildEnd>((resolve, reject) => {
    const p = spawn(process.execPath, [child, JSON.stringify({ mode, target: target(), options })], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (killWith && out.includes('\n')) p.kill(killWith);
    });
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 20_000);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      const first = out.split('\n')[0];
      if (!first) return reject(new Error(`child printed nothing (code ${code}, signal ${signal}): ${err}`));
      resolve({ ...JSON.parse(first), code, signal, out });
    });
  });
}

beforeAll(() => {
  if (!existsSync(dist)) throw new Error('dist/ is missing: run the tests with `npm test` (it builds first)');
});

describe('process-exit cleanup', () => {
  it('a child that just returns without disconnecting exits and leaves no master', async () => {
    const r = await runChild('return');
    expect(r.code).toBe(0);
    expect(await waitGone(r.pid)).toBe(true);
    expect(lstatSync(r.ctlPath, { throwIfNoEntry: false })).toBeUndefined();
  });

  it('a master whose stderr is piped to the caller (masterStderr) does not keep the process alive either', async () => {
    const r = await runChild('return', baseOptions({ masterStderr: 2, masterOpts: ['-v'] }));
    expect(r.code).toBe(0);
    expect(await waitGone(r.pid)).toBe(true);
  });

  it('process.exit() kills the master', async () => {
    const r = await runChild('exit');
    expect(r.code).toBe(3);
    expect(await waitGone(r.pid)).toBe(true);
    expect(lstatSync(r.ctlPath, { throwIfNoEntry: false })).toBeUndefined();
  });

  it('an uncaught exception kills the master', async () => {
    const r = await runChild('throw');
    expect(r.code).toBe(1);
    expect(await waitGone(r.pid)).toBe(true);
  });

  it('SIGTERM kills the master, and the process still dies by the signal', async () => {
    const r = await runChild('signal', baseOptions(), 'SIGTERM');
    expect(r.signal).toBe('SIGTERM');
    expect(await waitGone(r.pid)).toBe(true);
    expect(lstatSync(r.ctlPath, { throwIfNoEntry: false })).toBeUndefined();
  });

  it('SIGINT likewise', async () => {
    const r = await runChild('signal', baseOptions(), 'SIGINT');
    expect(r.signal).toBe('SIGINT');
    expect(await waitGone(r.pid)).toBe(true);
  });

  it("an application's own signal handler keeps a working connection; exit still cleans up", async () => {
    const r = await runChild('handled-signal', baseOptions(), 'SIGTERM');
    expect(r.out).toContain('still-working\n');
    expect(r.code).toBe(0);
    expect(await waitGone(r.pid)).toBe(true);
  });

  it.each(['SIGQUIT', 'SIGUSR2', 'SIGHUP', 'SIGABRT', 'SIGALRM'] as const)(
    '%s (its default action ends the process) kills the master, and the process still dies by it',
    async (sig) => {
      // The owner guard off: only the exit handlers can have stopped the master.
      const r = await runChild('signal', baseOptions(), sig, { ...process.env, OPENSSH_MUX_OWNER_GUARD: 'off' });
      expect(r.signal).toBe(sig);
      expect(await waitGone(r.pid)).toBe(true);
      expect(lstatSync(r.ctlPath, { throwIfNoEntry: false })).toBeUndefined();
    },
  );

  // SIGKILL runs no code in the owner: the owner guard must end the master (and so the
  // slaves it serves). Each guard is forced in turn; 'auto' is what this platform picks.
  const guards = [
    ['auto', {}],
    ['pdeathsig', { OPENSSH_MUX_OWNER_GUARD: 'pdeathsig' }],
    ['watchdog', { OPENSSH_MUX_OWNER_GUARD: 'watchdog' }],
  ] as const;
  it.skipIf(process.platform !== 'linux').each(guards)('SIGKILL of the owner ends its master and its running slave (guard: %s)', async (_name, extra) => {
    const r = await runChild('slave', baseOptions(), 'SIGKILL', { ...process.env, ...extra });
    expect(r.signal).toBe('SIGKILL');
    expect(await waitGone(r.pid)).toBe(true);
    // On the mux engine the command is a channel of the master: no local slave.
    if (TEST_ENGINE !== 'mux') {
      expect(r.slavePid).toBeGreaterThan(0);
      expect(await waitGone(r.slavePid!)).toBe(true);
    }
    // ssh removes its socket on SIGTERM; the watchdog removes it too: nothing usable is left.
    for (let i = 0; i < 100 && lstatSync(r.ctlPath, { throwIfNoEntry: false }); i++) await new Promise((res) => setTimeout(res, 20));
    expect(lstatSync(r.ctlPath, { throwIfNoEntry: false })).toBeUndefined();
    // What ssh leaves (its log, our marker) is swept by the next start in the ctlDir.
    await connect();
    for (const f of [`${r.ctlPath}.log`, `${r.ctlPath}.owner`]) expect(existsSync(f)).toBe(false);
  });

  it('with the parent-death signal, the master outlives threads of its owner that end (a worker, the libuv pool)', async () => {
    const r = await runChild('threads');
    expect(r.out).toContain('still-alive\n');
    expect(r.code).toBe(0);
    expect(await waitGone(r.pid)).toBe(true);
  });

  it('with the guard off, a SIGKILLed owner leaves its master: the next start in the ctlDir stops it and removes its files', async () => {
    const r = await runChild('signal', baseOptions(), 'SIGKILL', { ...process.env, OPENSSH_MUX_OWNER_GUARD: 'off' });
    expect(r.signal).toBe('SIGKILL');
    expect(alive(r.pid)).toBe(true);
    expect(lstatSync(r.ctlPath).isSocket()).toBe(true);
    expect(existsSync(`${r.ctlPath}.owner`)).toBe(true);
    const next = await connect();
    expect(next.ctlPath).not.toBe(r.ctlPath);
    expect(await waitGone(r.pid)).toBe(true);
    for (const f of [r.ctlPath, `${r.ctlPath}.log`, `${r.ctlPath}.owner`]) expect(existsSync(f)).toBe(false);
  });

  it.skipIf(process.platform !== 'linux')(
    'disownMaster(): with the watchdog the master outlives a SIGKILLed owner; with the parent-death signal it cannot (documented)',
    async () => {
      const kept = await runChild('disown', baseOptions(), 'SIGKILL', { ...process.env, OPENSSH_MUX_OWNER_GUARD: 'watchdog' });
      const lost = await runChild('disown', baseOptions(), 'SIGKILL', { ...process.env, OPENSSH_MUX_OWNER_GUARD: 'pdeathsig' });
      try {
        expect(await waitGone(lost.pid)).toBe(true);
        await new Promise((res) => setTimeout(res, 1500)); // longer than the watchdog would take
        expect(alive(kept.pid)).toBe(true);
        expect(lstatSync(kept.ctlPath).isSocket()).toBe(true);
        // The marker now names the master as its own owner: kept while it runs, swept once gone.
        expect(JSON.parse(readFileSync(`${kept.ctlPath}.owner`, 'utf8'))).toMatchObject({ owner: kept.pid, master: kept.pid });
        const ext = new OpenSSH(target(), { externalMaster: true, ctlPath: kept.ctlPath });
        expect(await ext.capture('echo adopted')).toBe('adopted\n');
        await ext.disconnect();
        expect(alive(kept.pid)).toBe(true);
      } finally {
        process.kill(kept.pid, 'SIGTERM');
      }
      expect(await waitGone(kept.pid)).toBe(true);
      await connect();
      for (const f of [kept.ctlPath, `${kept.ctlPath}.log`, `${kept.ctlPath}.owner`, lost.ctlPath, `${lost.ctlPath}.log`, `${lost.ctlPath}.owner`]) {
        expect(existsSync(f)).toBe(false);
      }
    },
  );

  it.skipIf(process.platform !== 'linux')(
    "engine 'mux' starts its master with the parent-death signal too (no watchdog): a disowned master cannot outlive a SIGKILLed owner",
    async () => {
      // With a watchdog (what 'mux' used to get) a disowned master outlives its owner.
      const r = await runChild('disown', baseOptions({ engine: 'mux' }), 'SIGKILL');
      expect(r.signal).toBe('SIGKILL');
      expect(await waitGone(r.pid)).toBe(true);
      await connect();
      for (const f of [r.ctlPath, `${r.ctlPath}.log`, `${r.ctlPath}.owner`]) expect(existsSync(f)).toBe(false);
    },
  );

  it("a child process using the parent's master as external never kills it", async () => {
    const parent = await connect();
    for (const mode of ['return', 'exit', 'throw']) {
      const r = await runChild(mode, { externalMaster: true, ctlPath: parent.ctlPath! } as never);
      expect(r.pid).toBe(parent.masterPid);
    }
    expect(alive(parent.masterPid!)).toBe(true);
    expect(await parent.capture('echo parent-ok')).toBe('parent-ok\n');
  });
});
