import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ErrorCode, SlaveError } from '../../src/errors/index.js';
import { checkSize, createPtyEngine, type PtyEngineOptions, type PtyProcess } from '../../src/pty/engine.js';
import { loadPty, ptyAvailable } from '../../src/pty/load.js';
import { waitForRawMode } from '../../src/pty/raw.js';
import type { SpawnRequest } from '../../src/run/engine.js';
import { expectThrow, expectTypeError } from '../helpers/expect-throw.js';
import { checkPtyLeaks } from '../helpers/pty-leaks.js';
import { alive, waitGone } from '../helpers/processes.js';

/**
 * The pty engine on local programs (no sshd): the terminal, exit statuses, the separate
 * stderr, resize, holding input, and no fd or temp dir left behind.
 */

const sh = (script: string, stderr: SpawnRequest['stdio'][2] = 'pipe'): SpawnRequest => ({
  file: 'sh',
  args: ['-c', script],
  stdio: ['pipe', 'pipe', stderr],
});

function start(script: string, options: PtyEngineOptions = {}, stderr: SpawnRequest['stdio'][2] = 'pipe'): PtyProcess {
  return createPtyEngine(options).spawn(sh(script, stderr));
}

/** Everything read from a stream until it ends (as text). */
function collect(stream: NodeJS.ReadableStream | null): Promise<string> {
  if (!stream) return Promise.resolve('');
  return new Promise((resolve) => {
    let text = '';
    stream.on('data', (c: Buffer | string) => (text += c.toString()));
    stream.on('end', () => resolve(text));
    stream.on('close', () => resolve(text));
  });
}

/** Resolve once `text` shows up in the terminal's output. */
function waitFor(p: PtyProcess, text: string): Promise<string> {
  return new Promise((resolve) => {
    let seen = '';
    const on = (c: Buffer | string) => {
      seen += c.toString();
      if (seen.includes(text)) {
        p.terminal.off('data', on);
        resolve(seen);
      }
    };
    p.terminal.on('data', on);
  });
}

checkPtyLeaks();

describe('pty engine', () => {
  it('node-pty is installed here (the tests below need it)', () => {
    expect(ptyAvailable()).toBe(true);
  });

  it('runs the program on a terminal it controls', async () => {
    const p = start('tty; stty size; echo "TERM=$TERM"', { cols: 100, rows: 30 });
    expect(p.pid).toBeTypeOf('number');
    const [out, exit] = await Promise.all([collect(p.terminal), p.exited]);
    expect(out).toMatch(/^\/dev\/pts\/\d+\r\n30 100\r\nTERM=xterm-256color\r\n$/);
    expect(exit).toEqual({ exitCode: 0, signal: null });
    expect(p.ptsName).toMatch(/^\/dev\/pts\/\d+$/);
  });

  it('reports the exit code, and a term of our choice', async () => {
    const p = start('echo "$TERM"; exit 3', { term: 'vt100' });
    const [out, exit] = await Promise.all([collect(p.terminal), p.exited]);
    expect(out).toBe('vt100\r\n');
    expect(exit).toEqual({ exitCode: 3, signal: null });
  });

  it('keeps stderr apart from the terminal', async () => {
    const p = start('echo out; echo err >&2; exit 1');
    const [out, err, exit] = await Promise.all([collect(p.terminal), collect(p.stderr), p.exited]);
    expect(out).toBe('out\r\n');
    expect(err).toBe('err\n');
    expect(exit.exitCode).toBe(1);
  });

  it('puts stderr on the terminal with stderrOnPty', async () => {
    const p = start('echo out; echo err >&2', { stderrOnPty: true });
    expect(p.stderr).toBeNull();
    expect(await collect(p.terminal)).toBe('out\r\nerr\r\n');
    await p.exited;
  });

  it("discards stderr for 'ignore'", async () => {
    const p = start('echo err >&2; echo out', {}, 'ignore');
    expect(p.stderr).toBeNull();
    expect(await collect(p.terminal)).toBe('out\r\n');
    await p.exited;
  });

  it('stdoutOnPty: false reads stdout from a pipe of its own, untouched by the terminal', async () => {
    // Typed input is still read from the terminal (which echoes it there, unseen).
    const p = start("read -r x; printf 'got %s\\nnext' \"$x\"; echo err >&2; test -t 1 || echo ' stdout-not-a-tty'; tty", { stdoutOnPty: false });
    const [out, err] = [collect(p.terminal), collect(p.stderr)];
    p.terminal.write('typed\r');
    expect(await out).toMatch(/^got typed\nnext stdout-not-a-tty\n\/dev\/pts\/\d+\n$/);
    expect(await err).toBe('err\n');
    expect(await p.exited).toEqual({ exitCode: 0, signal: null });
  });

  it('stdoutOnPty: false with stderrOnPty puts stderr on that pipe too', async () => {
    const p = start('echo out; echo err >&2', { stdoutOnPty: false, stderrOnPty: true });
    expect(p.stderr).toBeNull();
    expect(await collect(p.terminal)).toBe('out\nerr\n');
    await p.exited;
  });

  it('resizes: the program gets SIGWINCH and sees the new size', async () => {
    const p = start('trap "stty size" WINCH; echo ready; while :; do sleep 0.02; done', { cols: 80, rows: 24 });
    await waitFor(p, 'ready');
    const seen = waitFor(p, '50 132');
    p.resize(132, 50);
    await seen;
    expect([p.cols, p.rows]).toEqual([132, 50]);
    expect(p.kill()).toBe(true);
    expect(await p.exited).toEqual({ exitCode: null, signal: 'SIGTERM' });
    expect(p.kill()).toBe(false);
    p.resize(10, 10); // ignored once gone
    expect([p.cols, p.rows]).toEqual([132, 50]);
  });

  it('refuses bad sizes', () => {
    expectTypeError(() => checkSize('cols', 0), 'cols must be an integer from 1 to 65535, received number 0');
    expectTypeError(() => checkSize('rows', 1.5), 'rows must be an integer from 1 to 65535, received number 1.5');
    expectTypeError(() => checkSize('rows', '24'), 'rows must be an integer from 1 to 65535, received string "24"');
  });

  it('the terminal is a Duplex: what we write, the program reads', async () => {
    const p = start('read -r line; echo "got:$line"');
    const out = collect(p.terminal);
    p.terminal.write('hello\r');
    expect(await out).toBe('hello\r\ngot:hello\r\n');
    await p.exited;
  });

  it('holds writes until the program has made the terminal raw (no local echo)', async () => {
    // The program takes a while to go raw; what was written before must not be echoed by
    // the still-cooked terminal.
    const script = 'sleep 0.3; stty raw -echo; head -c 3';
    const held = start(script, { holdInputUntilRaw: true });
    const heldOut = collect(held.terminal);
    held.terminal.write('abc');
    expect(await heldOut).toBe('abc');
    await held.exited;
    // Without holding, the cooked terminal echoes it first.
    const plain = start(script);
    const plainOut = collect(plain.terminal);
    plain.terminal.write('abc');
    setTimeout(() => plain.terminal.write('\n'), 500);
    expect(await plainOut).toMatch(/^abc/);
    expect((await plainOut).split('abc').length - 1).toBe(2);
    await plain.exited;
  });

  it('a program that does not exist fails through exited, like the default engine', async () => {
    const p = createPtyEngine().spawn({ file: 'no-such-program-osmux', args: [], stdio: ['pipe', 'pipe', 'pipe'] });
    expect(p.pid).toBeUndefined();
    const exit = await p.exited;
    expect(exit.exitCode).toBeNull();
    expect(exit.error?.message).toBe('spawn no-such-program-osmux ENOENT');
    expect((exit.error as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('refuses stdio slots other than pipes for stdin and stdout', () => {
    expectTypeError(
      () => createPtyEngine().spawn({ file: 'true', args: [], stdio: ['ignore', 'pipe', 'pipe'] }),
      `a pty engine connects stdin and stdout to the terminal: both stdio slots must be 'pipe', received ["ignore","pipe","pipe"]`,
    );
  });

  it('destroying the terminal stops the program', async () => {
    const p = start('echo ready; sleep 30');
    await waitFor(p, 'ready');
    p.terminal.destroy();
    expect((await p.exited).signal).toBe('SIGTERM');
    expect(await waitGone(p.pid!)).toBe(true);
  });

  it('the readable side ends only once deferEnd settles; a failure reaches error listeners', async () => {
    const p = start('echo hi');
    let fail!: (e: Error) => void;
    p.terminal.deferEnd(new Promise((_, reject) => (fail = reject)));
    const errors: Error[] = [];
    p.terminal.on('error', (e) => errors.push(e));
    p.terminal.resume();
    await p.exited;
    expect(p.terminal.readableEnded).toBe(false);
    fail(new Error('it failed'));
    await new Promise((r) => setTimeout(r, 10));
    expect(errors.map((e) => e.message)).toEqual(['it failed']);
    expect(alive(p.pid!)).toBe(false);
  });
});

describe('waitForRawMode', () => {
  it('resolves at once when stty cannot tell (holding would not help)', async () => {
    const t = performance.now();
    await waitForRawMode('/dev/pts/no-such-terminal', () => false);
    expect(performance.now() - t).toBeLessThan(2000);
  });

  it('stops asking once the process is over, and waits while the terminal is cooked', async () => {
    const p = start('echo ready; sleep 30');
    await waitFor(p, 'ready');
    let over = false;
    let settled = false;
    const wait = waitForRawMode(p.ptsName!, () => over).then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(settled).toBe(false);
    over = true;
    await wait;
    p.kill();
    await p.exited;
  });
});

describe('pty loader', () => {
  const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

  it('a missing package is a SlaveError OSSH_PTY_UNAVAILABLE saying how to install it', () => {
    const e = expectThrow(
      () => loadPty('node-pty-not-installed-osmux'),
      SlaveError,
      "a pseudo-terminal needs the optional package 'node-pty-not-installed-osmux', which is not installed: " +
        "run 'npm install node-pty-not-installed-osmux' (openssh-mux does not install it: it is an optional peer dependency, and it builds a native addon: python3, make and a C++ compiler are needed)",
    );
    expect(e.code).toBe(ErrorCode.PTY_UNAVAILABLE);
    expect((e.cause as NodeJS.ErrnoException).code).toBe('MODULE_NOT_FOUND');
  });

  it('a package whose native addon fails to load says so, with the cause', () => {
    const path = fixture('broken-pty.cjs');
    const e = expectThrow(
      () => loadPty(path),
      SlaveError,
      `a pseudo-terminal needs the optional package '${path}', which is installed but could not be loaded ` +
        `(reinstall or rebuild it: 'npm rebuild ${path}'): Failed to load native module: pty.node, checked: build/Release, build/Debug`,
    );
    expect(e.code).toBe(ErrorCode.PTY_UNAVAILABLE);
  });

  it('a module without spawn() is not taken for node-pty', () => {
    const path = fixture('not-a-pty.cjs');
    const e = expectThrow(() => loadPty(path), SlaveError, new RegExp(`could not be loaded .*: '${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}' has no spawn\\(\\) function$`));
    expect(e.code).toBe(ErrorCode.PTY_UNAVAILABLE);
  });

  it('the engine reports it from spawn()', () => {
    const e = expectThrow(
      () => createPtyEngine({ module: 'node-pty-not-installed-osmux' }).spawn(sh('true')),
      SlaveError,
      /^a pseudo-terminal needs the optional package 'node-pty-not-installed-osmux', which is not installed/,
    );
    expect(e.code).toBe('OSSH_PTY_UNAVAILABLE');
  });
});
