import { describe, expect, it } from 'vitest';
import { connect } from '../helpers/server.js';

describe('smoke', () => {
  it('captures a command over the master', async () => {
    const ssh = await connect();
    expect(await ssh.capture('echo hello')).toBe('hello\n');
  });
});
