// The test helpers' process checks: a zombie (exited, not yet reaped) counts as gone. On the
// CI VMs, PID 1 reaps orphans about once a second, so a master killed with its owner stays
// a zombie for a while after it exited.

import { describe, expect, it } from 'vitest';
import { alive, makeZombie, waitGone } from '../helpers/processes.js';

describe('alive / waitGone (test helpers)', () => {
  it('a running process is alive; a zombie is not, though signal 0 still finds it', async () => {
    const z = await makeZombie();
    try {
      expect(alive(z.parentPid)).toBe(true);
      expect(() => process.kill(z.pid, 0)).not.toThrow(); // still there, as a zombie: the test can fail
      expect(alive(z.pid)).toBe(false);
      expect(await waitGone(z.pid)).toBe(true);
    } finally {
      z.dispose();
    }
    expect(await waitGone(z.parentPid)).toBe(true);
  });
});
