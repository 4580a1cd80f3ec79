import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseOwnerGuard, findProgram, guardArgv, OWNER_GUARD_ENV } from '../../src/master/owner-guard.js';
import { isZombie, markerPath, parseOwnerMarker, processStart, sameProcessAlive, sweepStale, writeOwnerMarker } from '../../src/master/owner-marker.js';
import { makeZombie } from '../helpers/processes.js';
import { mulberry32 } from '../helpers/prng.js';

const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'osmux-og-'));
  temps.push(d);
  return d;
}

const linux = process.platform === 'linux';
const setpriv = findProgram('setpriv');

describe('chooseOwnerGuard', () => {
  it('forced by the environment variable', () => {
    expect(chooseOwnerGuard(true, { [OWNER_GUARD_ENV]: 'off' }, 'linux')).toBe('off');
    expect(chooseOwnerGuard(true, { [OWNER_GUARD_ENV]: 'watchdog' }, 'linux')).toBe('watchdog');
    expect(chooseOwnerGuard(true, { [OWNER_GUARD_ENV]: 'watchdog' }, 'darwin')).toBe('watchdog');
  });
  it('a watchdog elsewhere than Linux, nothing on Windows, a watchdog for a custom engine', () => {
    expect(chooseOwnerGuard(true, {}, 'darwin')).toBe('watchdog');
    expect(chooseOwnerGuard(true, {}, 'freebsd')).toBe('watchdog');
    expect(chooseOwnerGuard(true, {}, 'win32')).toBe('off');
    expect(chooseOwnerGuard(false, {}, 'linux')).toBe('watchdog');
  });
  it.skipIf(!linux || !setpriv)('the parent-death signal on Linux with setpriv', () => {
    expect(chooseOwnerGuard(true, {}, 'linux')).toBe('pdeathsig');
  });
});

describe('guardArgv', () => {
  it.skipIf(!setpriv)('wraps the argv in setpriv for pdeathsig, exactly', () => {
    expect(guardArgv('pdeathsig', ['ssh', '-MNx', 'h', '--'])).toEqual({
      argv: [setpriv, '--pdeathsig', 'SIGTERM', '--', 'ssh', '-MNx', 'h', '--'],
      kind: 'pdeathsig',
    });
  });
  it('leaves a program that cannot be found alone (so its spawn fails with ENOENT), falling back to the watchdog', () => {
    expect(guardArgv('pdeathsig', ['/nonexistent/ssh', 'h'])).toEqual({ argv: ['/nonexistent/ssh', 'h'], kind: 'watchdog' });
  });
  it('leaves the argv alone for the other guards', () => {
    expect(guardArgv('watchdog', ['ssh', 'h'])).toEqual({ argv: ['ssh', 'h'], kind: 'watchdog' });
    expect(guardArgv('off', ['ssh', 'h'])).toEqual({ argv: ['ssh', 'h'], kind: 'off' });
  });
});

describe('owner markers', () => {
  it.skipIf(!linux)('processStart reads field 22 of /proc/<pid>/stat', () => {
    const stat = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    expect(processStart(process.pid)).toBe(fields[19]);
    expect(processStart(process.pid)).toMatch(/^\d+$/);
  });

  it('sameProcessAlive tells a live process, a dead one and a reused pid', () => {
    expect(sameProcessAlive(process.pid, processStart(process.pid))).toBe(true);
    expect(sameProcessAlive(process.pid, undefined)).toBe(true);
    if (linux) expect(sameProcessAlive(process.pid, '1')).toBe(false);
    expect(sameProcessAlive(2 ** 22 + 12345, undefined)).toBe(false);
  });

  it.skipIf(!linux)('a zombie (exited, not yet reaped) is not alive, and sweepStale removes the files it owned', async () => {
    const z = await makeZombie();
    try {
      const [zpid, start] = [z.pid, z.start];
      expect(start).toMatch(/^\d+$/); // read while it ran
      expect(isZombie(zpid)).toBe(true);
      expect(() => process.kill(zpid, 0)).not.toThrow(); // signal 0 still finds it: the test can fail
      expect(isZombie(z.parentPid)).toBe(false);
      expect(sameProcessAlive(zpid, start)).toBe(false);
      expect(sameProcessAlive(zpid, undefined)).toBe(false);
      const dir = tempDir();
      const ctl = join(dir, 'dddddddddddddddddddd');
      writeFileSync(ctl, 'socket stand-in');
      writeFileSync(markerPath(ctl), JSON.stringify({ owner: zpid, ownerStart: start, master: zpid, masterStart: start }));
      expect(sweepStale(dir)).toEqual(['dddddddddddddddddddd']);
      expect(existsSync(ctl)).toBe(false);
    } finally {
      z.dispose();
    }
  });

  it('writes a marker that parses back; rejects anything else', () => {
    const dir = tempDir();
    const ctl = join(dir, '0123456789abcdef0123');
    writeOwnerMarker(ctl, process.pid, process.pid);
    const m = parseOwnerMarker(readFileSync(markerPath(ctl), 'utf8'));
    expect(m).toEqual({ owner: process.pid, ownerStart: processStart(process.pid), master: process.pid, masterStart: processStart(process.pid) });
    for (const bad of ['', 'null', '{}', '[]', '{"owner":0,"master":1}', '{"owner":1.5,"master":1}', '{"owner":1,"master":1,"ownerStart":"x"}', '{"owner":"1","master":1}']) {
      expect(parseOwnerMarker(bad)).toBeUndefined();
    }
  });

  it('parseOwnerMarker never throws on random input (fuzz)', () => {
    const rnd = mulberry32(0x0e1);
    const alphabet = '{}[]":,0123456789 ownerStartmasterx\n\0-.e';
    for (let i = 0; i < 5000; i++) {
      const n = Math.floor(rnd() * 60);
      let s = '';
      for (let j = 0; j < n; j++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      const m = parseOwnerMarker(s);
      if (m) expect(Number.isInteger(m.owner) && m.owner > 0 && Number.isInteger(m.master) && m.master > 0).toBe(true);
    }
  });

  it('sweepStale removes only the files of dead owners, proven by a marker; never unmarked or foreign names', async () => {
    const dir = tempDir();
    // A dead owner: a process that has exited (its pid, its start time while it ran).
    const p = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)'], { stdio: 'ignore' });
    const deadPid = p.pid!;
    const deadStart = processStart(deadPid);
    p.kill('SIGKILL');
    await new Promise((r) => p.on('exit', r));
    const stale = join(dir, 'aaaaaaaaaaaaaaaaaaaa');
    const live = join(dir, 'bbbbbbbbbbbbbbbbbbbb');
    const unmarked = join(dir, 'cccccccccccccccccccc');
    const foreign = join(dir, 'not-ours');
    for (const base of [stale, live, unmarked, foreign]) {
      writeFileSync(base, 'socket stand-in');
      writeFileSync(`${base}.log`, 'log');
    }
    mkdirSync(`${stale}.askpass`);
    writeFileSync(`${stale}.askpass/sock`, '');
    writeFileSync(markerPath(stale), JSON.stringify({ owner: deadPid, ownerStart: deadStart, master: deadPid, masterStart: deadStart }));
    writeOwnerMarker(live, process.pid, process.pid);
    writeFileSync(markerPath(foreign), JSON.stringify({ owner: deadPid, master: deadPid }));
    expect(sweepStale(dir)).toEqual(['aaaaaaaaaaaaaaaaaaaa']);
    for (const f of [stale, `${stale}.log`, `${stale}.askpass`, markerPath(stale)]) expect(existsSync(f)).toBe(false);
    for (const f of [live, `${live}.log`, markerPath(live), unmarked, `${unmarked}.log`, foreign, markerPath(foreign)]) expect(existsSync(f)).toBe(true);
    expect(sweepStale(join(dir, 'missing'))).toEqual([]);
  });
});
