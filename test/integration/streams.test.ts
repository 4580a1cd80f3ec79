import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortError, CommandError, EncodingError, MasterError, SlaveError, TimeoutError, type OpenSSH } from '../../src/index.js';
import { waitGone } from '../helpers/processes.js';
import { connect, connectForFile, TEST_ENGINE } from '../helpers/server.js';

let ssh: OpenSSH;
beforeAll(async () => {
  ssh = await connectForFile();
});
afterAll(() => ssh.disconnect());

const MiB = 1024 * 1024;

/** `total` bytes of pseudo-random data in 1 MiB chunks, and their sha256 once read. */
function randomSource(total: number): { stream: Readable; sha256: () => string } {
  const block = randomBytes(MiB);
  const hash = createHash('sha256');
  let sent = 0;
  const stream = new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      // Vary each chunk so a dropped or repeated chunk changes the hash.
      const chunk = Buffer.from(block.subarray(0, Math.min(MiB, total - sent)));
      chunk.writeUInt32LE(sent / MiB, 0);
      sent += chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, sha256: () => hash.digest('hex') };
}

/** A writable that hashes and counts what it is given. */
function hashSink(): { stream: Writable; sha256: () => string; bytes: () => number } {
  const hash = createHash('sha256');
  let bytes = 0;
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      cb();
    },
  });
  return { stream, sha256: () => hash.digest('hex'), bytes: () => bytes };
}

const settle = <T>(p: Promise<T>) => p.then(() => undefined as unknown, (e: unknown) => e);

describe('pipeIn', () => {
  it('carries 100 MiB to the remote stdin, verified by sha256 on the other side', async () => {
    const src = randomSource(100 * MiB);
    const w = ssh.pipeIn('sha256sum');
    await pipeline(src.stream, w);
    const r = await w.done;
    expect(r.stdout).toBe(`${src.sha256()}  -\n`);
    expect(r.exitCode).toBe(0);
  });

  it('returns at once and accepts writes before the slave runs', async () => {
    const w = ssh.pipeIn(['sh', '-c', 'cat; echo "[$1]"', 'sh', 'arg with space']);
    expect(w.pid).toBeUndefined();
    w.write('one ');
    w.end('two\n');
    const r = await w.done;
    expect(r.stdout).toBe('one two\n[arg with space]\n');
    // The mux engine starts no local process.
    if (TEST_ENGINE !== 'mux') expect(w.pid).toBeGreaterThan(0);
  });

  it('does not hang when the remote command stops reading early', async () => {
    const w = ssh.pipeIn('head -c 10 >/dev/null');
    await pipeline(randomSource(20 * MiB).stream, w);
    expect((await w.done).exitCode).toBe(0);
  });

  it('stops taking data while the remote command does not read (backpressure)', async () => {
    const w = ssh.pipeIn('sleep 2; exec cat >/dev/null');
    const chunk = Buffer.alloc(MiB);
    let accepted = 0;
    const until = performance.now() + 1000;
    while (performance.now() < until) {
      if (w.write(chunk)) {
        accepted += MiB;
        continue;
      }
      await Promise.race([new Promise((r) => w.once('drain', r)), new Promise((r) => setTimeout(r, until - performance.now()))]);
    }
    // The ssh channel window and the pipes hold a few MiB; nothing like the 1000+ MiB a
    // loop without backpressure would have queued in a second.
    expect(accepted).toBeLessThan(64 * MiB);
    w.end();
    await w.done;
  });

  it('a command failing after its input ended rejects done with the CommandError', async () => {
    const w = ssh.pipeIn('cat >/dev/null; echo oops >&2; exit 4');
    // Everything was written and the remote stdin closed: the pipeline itself succeeded.
    await pipeline(Readable.from([Buffer.from('x')]), w);
    const e = (await settle(w.done)) as CommandError;
    expect(e).toBeInstanceOf(CommandError);
    expect(e.code).toBe('OSSH_SLAVE_CMD_FAILED');
    expect(e.exitCode).toBe(4);
    expect(e.stderr).toBe('oops\n');
  });

  it('a command failing while data still flows errors the pipeline with the CommandError', async () => {
    const w = ssh.pipeIn('head -c 1000 >/dev/null; exit 6');
    const e = (await settle(pipeline(randomSource(512 * MiB).stream, w))) as CommandError;
    expect(e).toBeInstanceOf(CommandError);
    expect(e.exitCode).toBe(6);
    expect(await settle(w.done)).toBe(e);
  });
});

describe('pipeOut', () => {
  it('carries 100 MiB from the remote stdout, verified by sha256 against the remote one', async () => {
    const file = (await ssh.capture('f=$(mktemp) && head -c 104857600 /dev/urandom >"$f" && echo "$f"')).trim();
    try {
      const remoteSum = (await ssh.capture(['sha256sum', file])).split(' ')[0];
      const sink = hashSink();
      const r = ssh.pipeOut(['cat', file]);
      await pipeline(r, sink.stream);
      expect(sink.bytes()).toBe(100 * MiB);
      expect(sink.sha256()).toBe(remoteSum);
      expect((await r.done).exitCode).toBe(0);
    } finally {
      await ssh.run(['rm', '-f', file]);
    }
  });

  it('holds at most a buffer of output while nobody reads (backpressure)', async () => {
    const rssBefore = process.memoryUsage().rss;
    const r = ssh.pipeOut('cat /dev/zero');
    await new Promise((res) => r.once('readable', res));
    await new Promise((res) => setTimeout(res, 1000));
    // Readable's highWaterMark (16 KiB) plus what one read brought in, not hundreds of MiB.
    expect(r.readableLength).toBeLessThan(2 * MiB);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * MiB);
    r.destroy();
    const e = (await settle(r.done)) as AbortError;
    expect(e).toBeInstanceOf(AbortError);
    expect(e.message).toBe('the command was aborted: the stream was destroyed before the command finished');
    if (TEST_ENGINE !== 'mux') expect(await waitGone(r.pid!)).toBe(true);
  });

  it('a failing command makes the consumer throw after the output it did produce', async () => {
    const r = ssh.pipeOut('echo partial; echo why >&2; exit 3');
    let got = '';
    const e = (await settle(
      (async () => {
        for await (const c of r) got += c;
      })(),
    )) as CommandError;
    expect(got).toBe('partial\n');
    expect(e).toBeInstanceOf(CommandError);
    expect(e.code).toBe('OSSH_SLAVE_CMD_FAILED');
    expect(e.exitCode).toBe(3);
    expect(e.stderr).toBe('why\n');
    expect(e.message).toBe('command failed with exit code 3: echo partial; echo why >&2; exit 3\nwhy');
  });

  it('a caller who only awaits done gets the error there, and no unhandled stream error', async () => {
    const r = ssh.pipeOut('exit 2');
    r.resume();
    const e = (await settle(r.done)) as CommandError;
    expect(e).toBeInstanceOf(CommandError);
    expect(e.exitCode).toBe(2);
    await new Promise((res) => setTimeout(res, 50));
    expect(r.destroyed || r.readableEnded).toBe(true);
  });

  it('an AbortSignal stops the transfer with an AbortError on the stream and on done', async () => {
    const ac = new AbortController();
    const r = ssh.pipeOut('cat /dev/zero', { signal: ac.signal });
    let bytes = 0;
    const consumed = settle(
      (async () => {
        for await (const c of r) {
          bytes += (c as Buffer).length;
          if (bytes > MiB) ac.abort(new Error('enough'));
        }
      })(),
    );
    const e = (await consumed) as AbortError;
    expect(e).toBeInstanceOf(AbortError);
    expect(e.message).toBe('the command was aborted: enough');
    expect(await settle(r.done)).toBe(e);
    expect(await waitGone(r.pid!)).toBe(true);
  });

  it('a dead master fails with the MasterError, on the stream and on done', async () => {
    const s2 = await connect();
    await s2.disconnect();
    const r = s2.pipeOut('echo hi');
    const onError = new Promise<Error>((res) => r.once('error', res));
    const e = (await settle(r.done)) as MasterError;
    expect(e).toBeInstanceOf(MasterError);
    expect(e.code).toBe('OSSH_MASTER_FAILED');
    expect(e.reason).toBe('disconnected');
    expect(await onError).toBe(e);
  });
});

describe('lines', () => {
  it('yields each line without its end, also the last one without a newline', async () => {
    const got: string[] = [];
    for await (const l of ssh.lines('printf "a\\nb\\r\\n\\nc d\\nlast"')) got.push(l);
    expect(got).toEqual(['a', 'b', '', 'c d', 'last']);
  });

  it('handles many lines split across chunks, in order', async () => {
    let n = 0;
    let ok = true;
    for await (const l of ssh.lines('seq 1 200000')) ok &&= l === String(++n);
    expect(n).toBe(200000);
    expect(ok).toBe(true);
  });

  it('decodes utf8 strictly and latin1 when asked', async () => {
    const got: string[] = [];
    for await (const l of ssh.lines("printf 'caf\\303\\251\\n'")) got.push(l);
    expect(got).toEqual(['café']);
    const latin: string[] = [];
    for await (const l of ssh.lines("printf 'caf\\351\\n'", { encoding: 'latin1' })) latin.push(l);
    expect(latin).toEqual(['café']);
    const e = (await settle(
      (async () => {
        for await (const _ of ssh.lines("printf 'ok\\ncaf\\351\\n'")) void _;
      })(),
    )) as EncodingError;
    expect(e).toBeInstanceOf(EncodingError);
    expect(e.code).toBe('OSSH_ENCODING_ERROR');
    expect(e.message).toBe("output decoding failed: stdout is not valid utf8 (use encoding: 'buffer' or 'latin1' for binary output)");
  });

  it('a failing command throws from the loop after its lines', async () => {
    const got: string[] = [];
    const e = (await settle(
      (async () => {
        for await (const l of ssh.lines('echo one; echo two; exit 7')) got.push(l);
      })(),
    )) as CommandError;
    expect(got).toEqual(['one', 'two']);
    expect(e).toBeInstanceOf(CommandError);
    expect(e.exitCode).toBe(7);
  });

  it('leaving the loop early stops the slave', async () => {
    const it = ssh.lines('yes');
    let n = 0;
    for await (const l of it) {
      expect(l).toBe('y');
      if (++n === 1000) break;
    }
    expect(n).toBe(1000);
    // The generator destroyed its stream, which killed the slave: nothing keeps reading.
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });

  it('refuses an encoding in which a line end is not one byte', () => {
    expect(() => ssh.lines('true', { encoding: 'utf16le' })).toThrow(
      new TypeError(`option 'encoding' of lines() must be one that keeps '\\n' a single byte ('utf8', 'ascii' or 'latin1'), received "utf16le"`),
    );
    expect(() => ssh.lines('true', { encoding: 'buffer' })).toThrow(/received "buffer"/);
  });
});

/** Read from `stream` until `want` has arrived; resolves with all of it. */
function readUntil(stream: Readable, want: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const onData = (c: Buffer) => {
      got += c.toString();
      if (got.includes(want)) {
        stream.off('data', onData);
        stream.pause();
        resolve(got);
      }
    };
    stream.on('data', onData);
    stream.resume();
    stream.once('end', () => reject(new Error(`stream ended before ${JSON.stringify(want)}; got ${JSON.stringify(got)}`)));
  });
}

describe('open2, open3, open2socket', () => {
  it('open2 runs a request/response conversation with bc', async () => {
    const p = await ssh.open2('bc');
    if (TEST_ENGINE !== 'mux') expect(p.pid).toBeGreaterThan(0);
    for (const [q, a] of [['2+3', '5'], ['6*7', '42'], ['2^20', '1048576']]) {
      p.stdin.write(`${q}\n`);
      expect(await readUntil(p.stdout, '\n')).toBe(`${a}\n`);
    }
    p.stdin.end();
    const r = await p.done;
    expect(r.exitCode).toBe(0);
  });

  it('open2 with a remote cat echoes what it is sent, in order', async () => {
    const p = await ssh.open2('cat');
    const sink = hashSink();
    const done = pipeline(p.stdout, sink.stream);
    const src = randomSource(8 * MiB);
    await pipeline(src.stream, p.stdin);
    await done;
    expect(sink.sha256()).toBe(src.sha256());
  });

  it('open3 keeps stderr apart from stdout', async () => {
    const p = await ssh.open3('read x; echo "out:$x"; echo "err:$x" >&2');
    p.stdin.end('hello\n');
    const [out, err] = await Promise.all([readAll(p.stdout), readAll(p.stderr)]);
    expect(out).toBe('out:hello\n');
    expect(err).toBe('err:hello\n');
    expect((await p.done).exitCode).toBe(0);
  });

  it('open2 stderr is captured into the Result (and the error)', async () => {
    const p = await ssh.open2('echo problem >&2; exit 9');
    p.stdout.resume();
    const e = (await settle(p.done)) as CommandError;
    expect(e).toBeInstanceOf(CommandError);
    expect(e.stderr).toBe('problem\n');
  });

  it('open2socket is one Duplex: write, end, read the answer', async () => {
    const d = ssh.open2socket('tr a-z A-Z');
    d.end('shout\n');
    expect(await readAll(d)).toBe('SHOUT\n');
    expect((await d.done).exitCode).toBe(0);
  });

  it('idleTimeout sees traffic in both directions and stops a silent conversation', async () => {
    const p = await ssh.open2('bc', { idleTimeout: 400 });
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 200));
      p.stdin.write('1+1\n');
      expect(await readUntil(p.stdout, '\n')).toBe('2\n');
    }
    const e = (await settle(p.done)) as TimeoutError;
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.kind).toBe('idle');
    expect(e.message).toBe('ssh slave timed out: no data for 400 ms (idleTimeout); the slave was stopped');
    expect(await waitGone(p.pid!)).toBe(true);
  });

  it('timeout stops open2socket with a deadline TimeoutError', async () => {
    const d = ssh.open2socket('cat', { timeout: 300 });
    d.on('error', () => {});
    const e = (await settle(d.done)) as TimeoutError;
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.kind).toBe('deadline');
  });

  it('an AbortSignal cancels open3', async () => {
    const ac = new AbortController();
    const p = await ssh.open3('cat', { signal: ac.signal });
    ac.abort();
    const e = (await settle(p.done)) as AbortError;
    expect(e).toBeInstanceOf(AbortError);
    expect(e.code).toBe('OSSH_ABORTED');
    expect(await waitGone(p.pid!)).toBe(true);
  });
});

async function readAll(stream: Readable): Promise<string> {
  let s = '';
  for await (const c of stream) s += c;
  return s;
}

describe('stdinoutDpipe', () => {
  it("joins a local command's stdout to the remote stdin and the remote stdout to its stdin", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'osmux-dpipe-'));
    try {
      const out = join(dir, 'out');
      // The local side says hello, closes its output (remote EOF), then saves the answer.
      await ssh.system(['tr', 'a-z', 'A-Z'], { stdinoutDpipe: ['sh', '-c', 'echo hello; exec >&-; cat > "$0"', out] });
      expect(readFileSync(out, 'utf8')).toBe('HELLO\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a local command that fails is a SlaveError naming it', async () => {
    const e = (await settle(ssh.run('cat', { stdinoutDpipe: ['sh', '-c', 'exit 5'] }))) as SlaveError;
    expect(e).toBeInstanceOf(SlaveError);
    expect(e.code).toBe('OSSH_SLAVE_PIPE_FAILED');
    expect(e.message).toBe('the stdinoutDpipe command "sh" exited with code 5');
  });

  it('a local command that cannot start is a SlaveError with the cause', async () => {
    const e = (await settle(ssh.run('cat', { stdinoutDpipe: ['/nonexistent/osmux-no-such-program'] }))) as SlaveError;
    expect(e).toBeInstanceOf(SlaveError);
    expect(e.code).toBe('OSSH_SLAVE_PIPE_FAILED');
    expect(e.message).toMatch(/^unable to run the stdinoutDpipe command "\/nonexistent\/osmux-no-such-program": spawn .* ENOENT$/);
    expect((e.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });
});

describe('every stream method is cancelled by its AbortSignal', () => {
  const cases: Array<[string, (signal: AbortSignal) => Promise<{ done: Promise<unknown>; pid: number | undefined }>]> = [
    ['pipeIn', async (signal) => ssh.pipeIn('cat >/dev/null', { signal }).on('error', () => {})],
    ['pipeOut', async (signal) => ssh.pipeOut('sleep 3', { signal }).on('error', () => {})],
    ['open2', (signal) => ssh.open2('cat', { signal })],
    ['open3', (signal) => ssh.open3('cat', { signal })],
    ['open2socket', async (signal) => ssh.open2socket('cat', { signal }).on('error', () => {})],
  ];
  for (const [name, start] of cases) {
    it(name, async () => {
      const ac = new AbortController();
      const s = await start(ac.signal);
      // let the slave start, then cancel
      for (let i = 0; i < 100 && s.pid === undefined; i++) await new Promise((r) => setTimeout(r, 10));
      ac.abort(new Error(`stop ${name}`));
      const e = (await settle(s.done)) as AbortError;
      expect(e).toBeInstanceOf(AbortError);
      expect(e.message).toBe(`the command was aborted: stop ${name}`);
      expect(await waitGone(s.pid!)).toBe(true);
    });
  }

  it('lines', async () => {
    const ac = new AbortController();
    const got: string[] = [];
    const e = (await settle(
      (async () => {
        for await (const l of ssh.lines('echo first; sleep 3; echo never', { signal: ac.signal })) {
          got.push(l);
          ac.abort(new Error('stop lines'));
        }
      })(),
    )) as AbortError;
    expect(got).toEqual(['first']);
    expect(e).toBeInstanceOf(AbortError);
    expect(e.message).toBe('the command was aborted: stop lines');
  });
});

describe('no leaks', () => {
  it('the stream methods leave no open file descriptor behind', async () => {
    await ssh.capture('true');
    const before = readdirSync('/proc/self/fd').length;
    for (let i = 0; i < 5; i++) {
      const w = ssh.pipeIn('cat >/dev/null');
      w.end('x');
      await w.done;
      await pipeline(ssh.pipeOut('echo y'), hashSink().stream);
      for await (const _ of ssh.lines('seq 3')) void _;
      const o = await ssh.open3('cat');
      o.stdin.end('z');
      o.stdout.resume();
      o.stderr.resume();
      await o.done;
      const d = ssh.open2socket('cat');
      d.end('q');
      d.resume();
      await d.done;
      const r = ssh.pipeOut('cat /dev/zero');
      r.destroy();
      await settle(r.done);
    }
    for (let i = 0; i < 100 && readdirSync('/proc/self/fd').length > before; i++) await new Promise((r) => setTimeout(r, 20));
    expect(readdirSync('/proc/self/fd').length).toBeLessThanOrEqual(before);
  });
});
