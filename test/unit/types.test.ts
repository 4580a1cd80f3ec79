import { describe, expect, it } from 'vitest';
import { OpenSSH, type CommandOptions, type Result } from '../../src/index.js';

/**
 * Type-level checks, enforced by `npm run typecheck` (test/tsconfig.json includes this file):
 * each `@ts-expect-error` fails the typecheck if its line compiles. The run-time checks beside
 * them make sure the lines the types refuse are refused at run time too (for JavaScript).
 */
describe('types refuse what throws at run time', () => {
  const ssh = new OpenSSH('types.invalid', { connect: false });
  const REJECT = /option 'reject' (is only for run\(\) and spawn\(\)|cannot be used)/;

  it("'reject' on the methods that return no Result", () => {
    // @ts-expect-error capture() always rejects on failure
    expect(() => ssh.capture('x', { reject: false })).toThrow(REJECT);
    // @ts-expect-error also with other options beside it (a generic parameter would let it through)
    expect(() => ssh.capture('x', { reject: false, timeout: 1000 })).toThrow(REJECT);
    // @ts-expect-error reject: true is refused at run time as well
    expect(() => ssh.capture('x', { reject: true })).toThrow(REJECT);
    // @ts-expect-error capture2()
    expect(() => ssh.capture2('x', { reject: false, encoding: 'buffer' })).toThrow(REJECT);
    // @ts-expect-error system()
    expect(() => ssh.system('x', { reject: false })).toThrow(REJECT);
    // @ts-expect-error test()
    expect(() => ssh.test('x', { reject: false })).toThrow(REJECT);
    // @ts-expect-error makeRemoteCommand()
    expect(() => ssh.makeRemoteCommand('x', { reject: false })).toThrow(REJECT);
    // @ts-expect-error captureTunnel()
    expect(() => ssh.captureTunnel('db', 5432, { reject: false, stdinData: 'x' })).toThrow(REJECT);
  });

  it("'reject' on the stream methods", () => {
    // @ts-expect-error pipeOut()
    expect(() => ssh.pipeOut('x', { reject: false, timeout: 1000 })).toThrow(REJECT);
    // @ts-expect-error pipeIn()
    expect(() => ssh.pipeIn('x', { reject: false, timeout: 1000 })).toThrow(REJECT);
    // @ts-expect-error open2()
    expect(() => ssh.open2('x', { reject: false, timeout: 1000 })).toThrow(REJECT);
    // @ts-expect-error lines()
    expect(() => ssh.lines('x', { reject: false })).toThrow(REJECT);
    // @ts-expect-error openTunnel()
    expect(() => ssh.openTunnel('db', 5432, { reject: false, timeout: 1000 })).toThrow(REJECT);
  });

  it("run() and spawn() keep 'reject', and a CommandOptions value still fits run()", () => {
    // Compiled, never called: calling would start connecting.
    const typeOnly = () => {
      const opts: CommandOptions = { reject: false, maxBuffer: 1000 };
      const p: Promise<Result<string>> = ssh.run('x', opts);
      const r: Promise<Result<Buffer>> = ssh.run('x', { reject: false, encoding: 'buffer' });
      const s = ssh.spawn('x', { reject: false });
      const c: Promise<string> = ssh.capture('x', { maxBuffer: Infinity });
      return [p, r, s, c];
    };
    expect(typeof typeOnly).toBe('function');
  });
});
