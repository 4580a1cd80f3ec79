import { PassThrough, Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { normalizeCall, type CallMode, type CommandDefaults } from '../../src/options/command.js';
import { normalizeConnection, type OpenSSHOptions } from '../../src/options/connection.js';
import { normalizeDefaultStreams, SharedFile } from '../../src/run/default-streams.js';
import { expectTypeError } from '../helpers/expect-throw.js';

const conn = (options: unknown) => normalizeConnection('h', options as OpenSSHOptions);
const streams = (o: Record<string, unknown>) => normalizeDefaultStreams(o)!;

describe('defaultStdin, defaultStdout, defaultStderr: validation', () => {
  it('none set: no default streams at all', () => {
    expect(conn({}).defaults.streams).toBeUndefined();
  });

  it('accepts a stream, an fd and { file } / { file, append }', () => {
    const r = new PassThrough();
    const w = new PassThrough();
    const s = streams({ defaultStdin: r, defaultStdout: 7, defaultStderr: { file: '/tmp/e', append: true } });
    expect(s.stdin).toEqual({ kind: 'stream', stream: r });
    expect(s.stdout).toEqual({ kind: 'fd', fd: 7 });
    expect(s.stderr).toMatchObject({ kind: 'file', path: '/tmp/e', append: true });
    expect(s.files.map((f) => [f.option, f.path])).toEqual([['defaultStderr', '/tmp/e']]);
    const t = streams({ defaultStdin: { file: '/tmp/in' }, defaultStdout: w, defaultStderr: 0 });
    expect(t.stdin).toMatchObject({ kind: 'file', path: '/tmp/in' });
    expect(t.stdout).toEqual({ kind: 'stream', stream: w });
    expect(t.files.map((f) => f.option)).toEqual(['defaultStdin']);
  });

  it('nothing is opened while validating', () => {
    const s = streams({ defaultStdout: { file: '/nonexistent/dir/out' } });
    expect(s.files[0]!.isOpen).toBe(false);
  });

  const bad: Array<[string, unknown, string]> = [
    ['defaultStdin', 'pipe', "option 'defaultStdin' must be a Readable stream, a file descriptor or { file }, received string \"pipe\""],
    ['defaultStdin', -1, "option 'defaultStdin' must be a Readable stream, a file descriptor or { file }, received number -1"],
    ['defaultStdin', new Writable(), "option 'defaultStdin' must be a Readable stream, a file descriptor or { file }, received an object (Writable)"],
    ['defaultStdin', { file: '/x', append: true }, "option 'defaultStdin' must be a Readable stream, a file descriptor or { file }, received an object (Object): unknown key 'append'"],
    ['defaultStdout', 1.5, "option 'defaultStdout' must be a Writable stream, a file descriptor or { file, append? }, received number 1.5"],
    ['defaultStdout', '/tmp/out', "option 'defaultStdout' must be a Writable stream, a file descriptor or { file, append? }, received string \"/tmp/out\""],
    ['defaultStdout', { file: '' }, "option 'defaultStdout.file' must be a non-empty string, received string \"\""],
    ['defaultStdout', { file: '/x', append: 'yes' }, "option 'defaultStdout.append' must be a boolean, received string \"yes\""],
    ['defaultStderr', { path: '/x' }, "option 'defaultStderr' must be a Writable stream, a file descriptor or { file, append? }, received an object (Object)"],
    ['defaultStderr', Readable.from([]), "option 'defaultStderr' must be a Writable stream, a file descriptor or { file, append? }, received an object (Readable)"],
  ];
  it.each(bad)('%s = %o is a TypeError naming the option', (name, value, message) => {
    expectTypeError(() => conn({ [name]: value }), message);
  });
});

describe('defaultStdin, defaultStdout, defaultStderr: which slots they fill', () => {
  const w = new PassThrough();
  const e = new PassThrough();
  const r = new PassThrough();
  const defaults: CommandDefaults = { streams: { stdin: { kind: 'stream', stream: r }, stdout: { kind: 'stream', stream: w }, stderr: { kind: 'stream', stream: e }, files: [] } };
  const call = (mode: CallMode, options: object = {}, pipes?: object) => normalizeCall(options, defaults, mode, pipes as never);
  const kinds = (c: ReturnType<typeof call>) => [c.stdin.kind, c.stdout.kind, c.stderr.kind];

  it('system(): all three', () => {
    const c = call('system');
    expect([c.stdin, c.stdout, c.stderr]).toEqual([defaults.streams!.stdin, defaults.streams!.stdout, defaults.streams!.stderr]);
  });

  it('run(), capture(): stdin only: they hand stdout and stderr back', () => {
    expect(kinds(call('run'))).toEqual(['stream', 'capture', 'capture']);
    expect(kinds(call('capture'))).toEqual(['stream', 'capture', 'capture']);
  });

  it('test(): stdin only; output still discarded', () => {
    const c = call('test');
    expect(kinds(c)).toEqual(['stream', 'ignore', 'ignore']);
    expect(c.flags.stdoutDiscard).toBe(true);
  });

  it('spawn(): none; its pipes are the point', () => {
    expect(kinds(call('spawn'))).toEqual(['pipe', 'pipe', 'pipe']);
  });

  it('makeRemoteCommand(): none', () => {
    expect(kinds(call('command'))).toEqual(['ignore', 'capture', 'capture']);
  });

  it('stream methods: the slots they do not hand out', () => {
    expect(kinds(call('stream', {}, { method: 'pipeIn()', stdin: true }))).toEqual(['pipe', 'stream', 'stream']);
    expect(kinds(call('stream', {}, { method: 'pipeOut()', stdout: true }))).toEqual(['stream', 'pipe', 'stream']);
    expect(kinds(call('stream', {}, { method: 'open3()', stdin: true, stdout: true, stderr: true }))).toEqual(['pipe', 'pipe', 'pipe']);
  });

  it("the call's own options win", () => {
    const c = call('system', { stdinData: 'x', stdoutDiscard: true, stderrToStdout: true });
    expect(kinds(c)).toEqual(['data', 'ignore', 'stdout']);
    const d = call('system', { stdout: 'inherit', stderrFile: '/tmp/x' });
    expect(kinds(d)).toEqual(['stream', 'inherit', 'file']);
  });
});

describe('SharedFile', () => {
  it('a missing file is a SlaveError OSSH_SLAVE_PIPE_FAILED naming the option', () => {
    const f = new SharedFile('defaultStdin', '/nonexistent-dir/in', 'r');
    let caught: unknown;
    try {
      f.acquire({ host: 'h' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ name: 'SlaveError', code: 'OSSH_SLAVE_PIPE_FAILED', host: 'h' });
    expect((caught as Error).message).toMatch(/^unable to open defaultStdin \/nonexistent-dir\/in: ENOENT/);
  });
});
