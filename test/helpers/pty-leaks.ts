import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, expect } from 'vitest';
import { spawnHelper } from '../../src/run/spawn-helper/spawner.js';

/**
 * For a test file of pty sessions: give it a TMPDIR of its own (so it sees only its own
 * FIFO dirs, not those of a run going on at the same time), and check after every test that
 * no fd and no `openssh-mux-pty-*` dir is left. Call once at the top of the file.
 */
export function checkPtyLeaks(): void {
  const privateTmp = mkdtempSync(join(tmpdir(), 'osmux-pty-test-'));
  process.env.TMPDIR = privateTmp;
  afterAll(() => rmSync(privateTmp, { recursive: true, force: true }));
  const ptyDirs = () => readdirSync(privateTmp).filter((n) => n.startsWith('openssh-mux-pty-'));
  const openFds = () => readdirSync('/proc/self/fd').length;
  let fdsBefore = 0;
  beforeEach(() => {
    fdsBefore = openFds();
  });
  afterEach(async () => {
    // The spawn helper (2 fds: its IPC channel and listening socket) stays up for 2 s after a
    // command: it is the library's, not a leak of the test; stop it when idle.
    if (spawnHelper.running === 0) spawnHelper.stop();
    // Let closed handles be released before counting.
    await new Promise((r) => setTimeout(r, 50));
    expect(openFds()).toBe(fdsBefore);
    expect(ptyDirs()).toEqual([]);
  });
}
