/**
 * The `openssh-mux:command`, `openssh-mux:master` and `openssh-mux:transfer` tracing channels:
 * which events are published, in which order, with which payload.
 */
import { tracingChannel } from 'node:diagnostics_channel';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CommandError, Fleet, MasterError, type OpenSSH } from '../../src/index.js';
import { tracing } from '../../src/trace/channels.js';
import { rejection } from '../helpers/expect-throw.js';
import { baseOptions, connect, connectForFile, open, sshd, target, TEST_ENGINE } from '../helpers/server.js';

type Event = [name: string, context: Record<string, unknown>];
const NAMES = ['start', 'end', 'asyncStart', 'asyncEnd', 'error'] as const;

/** Record every event of a tracing channel (a copy of the context at that moment). */
function record(name: string) {
  const events: Event[] = [];
  const handlers = Object.fromEntries(NAMES.map((n) => [n, (ctx: unknown) => events.push([n, { ...(ctx as object) }])]));
  const tc = tracingChannel(name);
  tc.subscribe(handlers as never);
  return { events, stop: () => tc.unsubscribe(handlers as never) };
}

const ENGINE = TEST_ENGINE ?? 'spawn';
let ssh: OpenSSH;
let stops: Array<() => void> = [];
const listen = (name: string) => {
  const r = record(name);
  stops.push(r.stop);
  return r.events;
};
beforeAll(async () => {
  ssh = await connectForFile();
});
afterAll(() => ssh.disconnect());
afterEach(() => {
  stops.forEach((s) => s());
  stops = [];
});

describe('openssh-mux:command', () => {
  it('a successful command: start, end, asyncStart, asyncEnd, the context filled in as it goes', async () => {
    const events = listen('openssh-mux:command');
    const r = await ssh.run(['echo', 'traced one']);
    expect(events.map(([n]) => n)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    const [, start] = events[0]!;
    expect(start).toEqual({ host: sshd().host, label: undefined, command: "echo 'traced one'" });
    const [, done] = events[3]!;
    expect(done).toMatchObject({ host: sshd().host, command: "echo 'traced one'", argv: r.argv, engine: ENGINE, exitCode: 0, signal: undefined, errorCode: undefined, result: r });
    expect(done.durationMs).toBe(r.durationMs);
    if (ENGINE === 'spawn') expect(done.pid).toBeTypeOf('number');
    expect(Object.keys(done)).not.toContain('error');
  });

  it('a failing command: error before asyncStart, with the error code and exit code', async () => {
    const events = listen('openssh-mux:command');
    const err = await rejection<CommandError>(ssh.run('exit 3'));
    expect(events.map(([n]) => n)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
    expect(events[2]![1]).toMatchObject({ command: 'exit 3', exitCode: 3, errorCode: 'OSSH_SLAVE_CMD_FAILED', error: err, engine: ENGINE });
  });

  it('reject: false: no error event, the failure in errorCode and result', async () => {
    const events = listen('openssh-mux:command');
    const r = await ssh.run('exit 4', { reject: false });
    expect(events.map(([n]) => n)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    expect(events[3]![1]).toMatchObject({ exitCode: 4, errorCode: 'OSSH_SLAVE_CMD_FAILED', result: r });
  });

  it('commands of a shell session: shellSession true, the exit code and error of each command', async () => {
    await using sh = await ssh.shell();
    const events = listen('openssh-mux:command');
    await sh.capture('echo in-session');
    const err = await rejection<CommandError>(sh.run('(exit 5)'));
    const r = await sh.run('(exit 6)', { reject: false });
    const mine = events.filter(([, c]) => c.shellSession === true);
    expect(mine.map(([n]) => n)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd', 'start', 'end', 'error', 'asyncStart', 'asyncEnd', 'start', 'end', 'asyncStart', 'asyncEnd']);
    expect(mine[0]![1]).toEqual({ host: sshd().host, label: undefined, command: 'echo in-session', shellSession: true });
    expect(mine[3]![1]).toMatchObject({ command: 'echo in-session', exitCode: 0, errorCode: undefined, argv: undefined });
    expect(mine[6]![1]).toMatchObject({ command: '(exit 5)', exitCode: 5, errorCode: 'OSSH_SLAVE_CMD_FAILED', error: err });
    expect(mine[12]![1]).toMatchObject({ command: '(exit 6)', exitCode: 6, errorCode: 'OSSH_SLAVE_CMD_FAILED', result: r });
  });

  it("on the mux engine: the command's channel number instead of a pid", async () => {
    const mux = await connect({ engine: 'mux' });
    try {
      const events = listen('openssh-mux:command');
      const r = await mux.run('echo on-a-channel');
      const done = events.find(([n]) => n === 'asyncEnd')![1];
      expect(done).toMatchObject({ command: 'echo on-a-channel', engine: 'mux', pid: undefined, exitCode: 0, result: r });
      expect(done.channel).toBeTypeOf('number');
    } finally {
      await mux.disconnect();
    }
  });

  it('every method goes through it: capture, test, spawn, lines, $', async () => {
    const events = listen('openssh-mux:command');
    await ssh.capture('echo a');
    await ssh.test('true');
    await (await ssh.spawn('echo b')).result;
    for await (const _ of ssh.lines('echo c')) void _;
    await ssh.$`echo ${'d'}`;
    const ends = events.filter(([n]) => n === 'asyncEnd').map(([, c]) => c.command);
    expect(ends).toEqual(['echo a', 'true', 'echo b', 'echo c', 'echo d']);
  });

  it('a failure before the slave runs (master unreachable): error with the MasterError code, no argv', async () => {
    const events = listen('openssh-mux:command');
    const bad = open({ connectTimeout: 5000, masterOpts: ['-o', 'ConnectTimeout=5'] }, 'nobody-osmux');
    const err = await rejection<MasterError>(bad.run('echo x'));
    expect(err).toBeInstanceOf(MasterError);
    const mine = events.filter(([, c]) => c.command === 'echo x');
    expect(mine.map(([n]) => n)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
    expect(mine[2]![1]).toMatchObject({ errorCode: 'OSSH_MASTER_FAILED', argv: undefined, error: err });
  });

  it('a fleet host carries its label', async () => {
    const events = listen('openssh-mux:command');
    const fleet = new Fleet([{ label: 'traced-host', target: target() }], { defaults: baseOptions() });
    await fleet.run('echo fleet');
    expect(events.filter(([n]) => n === 'start').map(([, c]) => [c.label, c.command])).toEqual([['traced-host', 'echo fleet']]);
  });

  it('nobody subscribed: nothing to publish (tracing() is false), and after unsubscribing again', async () => {
    expect(tracing(tracingChannel('openssh-mux:command'))).toBe(false);
    const { events, stop } = record('openssh-mux:command');
    expect(tracing(tracingChannel('openssh-mux:command'))).toBe(true);
    stop();
    expect(tracing(tracingChannel('openssh-mux:command'))).toBe(false);
    await ssh.run('true');
    expect(events).toEqual([]);
  });
});

describe('openssh-mux:master', () => {
  it('connect and disconnect, with pid, ctlPath, state and duration', async () => {
    const events = listen('openssh-mux:master');
    const x = await connect();
    const pid = x.masterPid;
    const ctlPath = x.ctlPath;
    await x.disconnect();
    expect(events.map(([n, c]) => `${c.operation}:${n}`)).toEqual([
      'connect:start',
      'connect:end',
      'connect:asyncStart',
      'connect:asyncEnd',
      'disconnect:start',
      'disconnect:end',
      'disconnect:asyncStart',
      'disconnect:asyncEnd',
    ]);
    expect(events[0]![1]).toEqual({ host: sshd().host, operation: 'connect', ctlPath: undefined, pid: undefined });
    expect(events[3]![1]).toMatchObject({ host: sshd().host, operation: 'connect', pid, ctlPath, state: 'running' });
    expect(events[3]![1].errorCode).toBeUndefined();
    expect(events[3]![1].durationMs).toBeGreaterThan(0);
    expect(events[7]![1]).toMatchObject({ operation: 'disconnect', state: 'gone' });
    expect(events[7]![1].errorCode).toBeUndefined();
  });

  it('a failed login: error with the MasterError code', async () => {
    const events = listen('openssh-mux:master');
    const x = open({}, 'nobody-osmux');
    expect(await x.waitForMaster()).toBe(false);
    const connectEvents = events.filter(([, c]) => c.operation === 'connect');
    expect(connectEvents.map(([n]) => n)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
    expect(connectEvents[2]![1]).toMatchObject({ errorCode: 'OSSH_MASTER_FAILED', error: x.error });
  });
});

describe('openssh-mux:transfer', () => {
  it('an scp put: start, end, asyncStart, asyncEnd with tool, direction, paths, argv, exit code', async () => {
    const dir = mkdtempSync(join(sshd().dir, 'trace-'));
    chmodSync(dir, 0o777); // the remote user writes here
    try {
      const src = join(dir, 'a.txt');
      writeFileSync(src, 'hello');
      const events = listen('openssh-mux:transfer');
      const r = await ssh.scpPut(src, join(dir, 'b.txt'));
      expect(readFileSync(join(dir, 'b.txt'), 'utf8')).toBe('hello');
      expect(events.map(([n]) => n)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
      expect(events[0]![1]).toEqual({ host: sshd().host, tool: 'scp', direction: 'put', sources: [src], target: join(dir, 'b.txt') });
      expect(events[3]![1]).toMatchObject({ argv: r.argv, exitCode: 0, durationMs: r.durationMs });
      expect(events[3]![1].errorCode).toBeUndefined();
      const failed = await rejection(ssh.scpGet(join(dir, 'missing'), dir));
      expect(events.slice(4).map(([n]) => n)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
      expect(events[6]![1]).toMatchObject({ tool: 'scp', direction: 'get', errorCode: 'OSSH_TRANSFER_FAILED', exitCode: 1, error: failed });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
