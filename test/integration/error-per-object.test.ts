import { describe, expect, it } from 'vitest';
import { CommandError } from '../../src/index.js';
import { connect } from '../helpers/server.js';

// docs/errors.md: ssh.error is per object and shows the last operation to finish.
describe('ssh.error with concurrent calls', () => {
  it("holds the error of the call that failed last, not the one awaited; each rejection is the call's own", async () => {
    const ssh = await connect();
    const [a, b] = await Promise.allSettled([ssh.run('exit 1'), ssh.run('sleep 1; exit 2')]);
    expect(a.status).toBe('rejected');
    expect(b.status).toBe('rejected');
    const ea = (a as PromiseRejectedResult).reason as CommandError;
    const eb = (b as PromiseRejectedResult).reason as CommandError;
    expect([ea.exitCode, eb.exitCode]).toEqual([1, 2]);
    expect(ssh.error).toBe(eb);
    await ssh.run('exit 3').catch(() => {});
    expect((ssh.error as CommandError).exitCode).toBe(3);
    const c = ssh.run('true');
    expect(ssh.error).toBeUndefined();
    await c;
  });
});
