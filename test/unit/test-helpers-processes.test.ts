// The test helpers' process checks: a zombie (exited, not yet reaped) counts as gone. On the
// CI VMs, PID 1 reaps orphans about once a second, so a master killed with its owner stays
// a zombie for a while after it exited.

import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { alive, waitGone } from '../helpers/processes.js';

describe('alive / waitGone (test helpers)', () => {
  it('a running process is alive; a zombie is not, though signal 0 still finds it', async () => {
    // `sleep 0.05` is a child of the shell, which then execs a sleep that never waits for it:
    // once it exits it stays a zombie for as long as its parent runs.
    const parent = spawn('sh', ['-c', 'sleep 0.05 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const zpid = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(d.toString()))));
      expect(Number.isInteger(zpid) && zpid > 0).toBe(true);
      expect(alive(parent.pid!)).toBe(true);
      expect(await waitGone(zpid)).toBe(true);
      expect(() => process.kill(zpid, 0)).not.toThrow(); // still there, as a zombie: the test can fail
      expect(alive(zpid)).toBe(false);
    } finally {
      parent.kill('SIGKILL');
    }
    expect(await waitGone(parent.pid!)).toBe(true);
  });
});
