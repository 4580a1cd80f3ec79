import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenSSH } from '../../src/index.js';
import { nodeEngine, type Engine, type SpawnRequest } from '../../src/run/engine.js';
import { startSshd, type TestServer } from '../../src/testing/index.js';
import { rejection } from '../helpers/expect-throw.js';
import { sshd } from '../helpers/server.js';

/** `env` on both engines, against a server whose AcceptEnv keeps OSMUX_* only. */
describe.each(['spawn', 'mux'] as const)('env on the %s engine', (engine) => {
  let server: TestServer;
  let ssh: OpenSSH;
  const spawned: SpawnRequest[] = [];
  const recording: Engine = {
    spawn: (req) => {
      spawned.push(req);
      return nodeEngine.spawn(req);
    },
  };
  beforeAll(async () => {
    server = await startSshd({ config: ['AcceptEnv OSMUX_*'], users: sshd().isRoot ? [sshd().users[0]!] : undefined });
    ssh = await OpenSSH.connect(server.target(), { ...server.connectOptions(), engine: engine === 'mux' ? 'mux' : recording });
  });
  afterAll(async () => {
    await ssh?.disconnect();
    await server?.stop();
  });

  it('the server keeps the variables its AcceptEnv allows, and only those', async () => {
    const env = { OSMUX_A: "it's $HOME; `x`", OSMUX_EMPTY: '', OTHER_B: 'dropped by AcceptEnv' };
    const out = await ssh.capture('printf "%s|%s|%s" "$OSMUX_A" "${OSMUX_EMPTY-unset}" "${OTHER_B-unset}"', { env });
    expect(out).toBe("it's $HOME; `x`||unset");
  });

  it('works for a subsystem-less shell command with a tty too', async () => {
    const out = await ssh.capture('printf %s "$OSMUX_T"', { env: { OSMUX_T: 'on a pty' }, tty: true });
    expect(out).toBe('on a pty');
  });

  if (engine === 'spawn') {
    it('values go through the local ssh environment (SendEnv), never its command line', async () => {
      spawned.length = 0;
      await ssh.capture('true', { env: { OSMUX_SECRET: 's3cret-value' } });
      const slave = spawned.find((r) => r.args.includes('true'))!;
      expect(slave.args).toContain('SendEnv=OSMUX_SECRET');
      expect(slave.args.join(' ')).not.toContain('s3cret-value');
      expect(slave.env?.OSMUX_SECRET).toBe('s3cret-value');
      expect(slave.env?.PATH).toBe(process.env.PATH);
    });

    it('refuses PATH, LD_* and DYLD_* (they would change the local ssh) with a TypeError', async () => {
      for (const name of ['PATH', 'LD_PRELOAD', 'DYLD_INSERT_LIBRARIES']) {
        const e = await rejection(ssh.capture('true', { env: { [name]: '/x' } }));
        expect(e).toBeInstanceOf(TypeError);
        expect((e as Error).message).toBe(
          `option 'env' cannot set ${name} on the spawn engine: the variables go through the local ssh's environment, and ${name} would change that ssh itself; use engine: 'mux' (a channel, no local process)`,
        );
      }
      // The session slot was given back: later calls still run.
      expect(await ssh.capture('echo ok')).toBe('ok\n');
    });
  } else {
    it('PATH is just another variable (the server decides; here AcceptEnv drops it)', async () => {
      const before = await ssh.capture('printf %s "$PATH"');
      expect(await ssh.capture('printf %s "$PATH"', { env: { PATH: '/nowhere' } })).toBe(before);
    });
  }
});
