import { describe, expect, it } from 'vitest';
import { parseCli } from '../../src/cli/args.js';
import { parseDuration } from '../../src/cli/duration.js';
import { parseHostsFile } from '../../src/cli/hosts-file.js';
import { grouped, jsonLine, summaryText } from '../../src/cli/report.js';
import { colorsFor, formatDuration, progressText } from '../../src/cli/screen.js';
import { parseShard, shardOf } from '../../src/cli/shard.js';
import { sshOptionWords } from '../../src/cli/ssh-options.js';
import { UsageError } from '../../src/cli/usage.js';
import type { HostOutcome } from '../../src/cli/outcome.js';

const usage = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('no usage error');
};

describe('command line', () => {
  it('run with hosts from flags and a file, shards and defaults', () => {
    const files: Record<string, string> = { 'h.txt': '# fleet\nweb1\n\ndb=admin@db1:2222  # primary\n  web2\n' };
    const c = parseCli(['run', '-H', 'x=u@a', '-f', 'h.txt', '-p', '20', '-t', '30s', '--user', 'u', '-o', 'ConnectTimeout=5', '--', 'uname', '-a'], (p) => files[p]!);
    expect(c.hosts).toEqual([
      { label: 'x', target: 'u@a' },
      { label: 'web1', target: 'web1' },
      { label: 'db', target: 'admin@db1:2222' },
      { label: 'web2', target: 'web2' },
    ]);
    expect(c).toMatchObject({ mode: 'run', words: ['uname', '-a'], parallel: 20, timeout: 30_000, user: 'u', sshOptions: ['-o', 'ConnectTimeout=5'], output: 'grouped', expand: false });
    expect(parseCli(['run', '-H', 'a', '-H', 'b', '-H', 'c', '--shard', '2/2', '--', 'x']).hosts.map((h) => h.label)).toEqual(['b', 'c']);
    expect(parseCli(['get', '-H', 'a', '--', '/r', './%LABEL%']).expand).toBe(true);
    expect(parseCli(['get', '-H', 'a', '--no-expand', '--', '/r', '.']).expand).toBe(false);
    expect(parseCli(['run', '-H', 'a', '--expand', '--json', '--', 'x']).output).toBe('json');
  });

  it('bad flags are usage errors naming the flag', () => {
    expect(usage(() => parseCli(['run', '--bogus']))).toBe('unknown flag --bogus (see --help)');
    expect(usage(() => parseCli(['run', '-p']))).toBe('flag -p needs a value');
    expect(usage(() => parseCli(['run', '-H', '-x']))).toBe("flag -H needs a value (a value starting with '-' is written -H=-VALUE)");
    expect(usage(() => parseCli(['run', '--json=1']))).toBe('flag --json takes no value');
    expect(usage(() => parseCli(['run', '-H', 'a', '-p', '0', '--', 'x']))).toBe('-p takes a whole number >= 1, received "0"');
    expect(usage(() => parseCli(['run', '-H', 'a', '-t', 'soon', '--', 'x']))).toMatch(/^-t takes a duration/);
    expect(usage(() => parseCli(['run', '-H', 'a']))).toBe('run needs a command after --');
    expect(usage(() => parseCli(['run', '--', 'x']))).toBe('no hosts: give -H host or -f hosts-file');
    expect(usage(() => parseCli(['frob']))).toBe('unknown command "frob": expected run, put or get (see --help)');
    expect(usage(() => parseCli([]))).toBe('missing the command: run, put or get (see --help)');
    expect(usage(() => parseCli(['run', '-H', 'a', '--json', '--stream', '--', 'x']))).toBe('--json and --stream cannot be used together');
    expect(usage(() => parseCli(['put', '-H', 'a', '--', 'only']))).toBe('put needs at least a source and a target after --');
    expect(usage(() => parseCli(['run', '-H', 'a', '--shard', '3/2', '--', 'x']))).toBe('--shard takes I/N with 1 <= I <= N (e.g. 2/4), received "3/2"');
    expect(usage(() => parseCli(['run', '-H', 'a', '--host-key-policy', 'no', '--', 'x']))).toMatch(/^--host-key-policy takes strict, tofu/);
    expect(usage(() => parseCli(['run', '-f', 'missing', '--', 'x'], () => { throw Object.assign(new Error('x'), { code: 'ENOENT' }); }))).toBe('-f missing: cannot read it (ENOENT)');
    expect(parseCli(['--help']).mode).toBe('help');
  });

  it('-o: KEY=VALUE, one argv word each, the control options refused', () => {
    expect(sshOptionWords(['ConnectTimeout=5', 'SetEnv = A=b c'])).toEqual(['-o', 'ConnectTimeout=5', '-o', 'SetEnv=A=b c']);
    expect(usage(() => sshOptionWords(['-oProxyCommand=x']))).toBe('-o takes KEY=VALUE with an ssh option name (e.g. -o ConnectTimeout=5), received "-oProxyCommand=x"');
    expect(usage(() => sshOptionWords(['Foo']))).toMatch(/^-o takes KEY=VALUE/);
    expect(usage(() => sshOptionWords(['Foo=']))).toMatch(/^-o takes KEY=VALUE/);
    expect(usage(() => sshOptionWords(['A=b\nProxyCommand=x']))).toMatch(/^-o takes KEY=VALUE/);
    expect(usage(() => sshOptionWords(['controlpath=/tmp/x']))).toBe('-o controlpath cannot be set: openssh-mux manages the control connection itself');
  });

  it('hosts files: comments, labels, one host per line', () => {
    expect(parseHostsFile('a\n#b\n c=d \r\ne # x\n', 'f')).toEqual([
      { label: 'a', target: 'a' },
      { label: 'c', target: 'd' },
      { label: 'e', target: 'e' },
    ]);
    expect(usage(() => parseHostsFile('a b\n', 'hosts'))).toBe('hosts:1: one host per line, received "a b"');
    expect(usage(() => parseHostsFile('\n=x\n', 'hosts'))).toBe('hosts:2: expected target or label=target, received "=x"');
  });

  it('shards are contiguous, cover the list exactly once and differ by at most one', () => {
    const list = Array.from({ length: 10 }, (_, i) => i);
    const parts = [1, 2, 3].map((i) => shardOf(list, i, 3));
    expect(parts).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8, 9]]);
    expect(shardOf([1, 2], 3, 3)).toEqual([2]);
    expect(shardOf([1], 1, 3)).toEqual([]);
    expect(parseShard('1/1')).toEqual({ index: 1, count: 1 });
    for (const bad of ['0/2', '1/0', 'a/b', '1', '1/2/3']) expect(() => parseShard(bad)).toThrow(UsageError);
  });

  it('durations', () => {
    expect([parseDuration('-t', '500ms'), parseDuration('-t', '30s'), parseDuration('-t', '5m'), parseDuration('-t', '1h'), parseDuration('-t', '2.5')]).toEqual([500, 30_000, 300_000, 3_600_000, 2500]);
    expect(formatDuration(850)).toBe('850ms');
    expect(formatDuration(12_340)).toBe('12.3s');
    expect(formatDuration(245_000)).toBe('4m05s');
  });
});

describe('output', () => {
  const plain = colorsFor({ isTTY: false }, {});
  const ok: HostOutcome = { label: 'web1', target: 'u@web1', status: 'ok', exitCode: 0, signal: null, stdout: 'up 3 days\n', stderr: '', errorCode: null, error: null, durationMs: 420 };
  const bad: HostOutcome = { label: 'web2', target: 'web2', status: 'failed', exitCode: 3, signal: null, stdout: 'partial', stderr: 'boom\n', errorCode: 'OSSH_SLAVE_CMD_FAILED', error: 'the remote command failed with exit code 3', durationMs: 1500 };
  const down: HostOutcome = { ...bad, label: 'db', exitCode: 255, stdout: '', stderr: '', errorCode: 'OSSH_MASTER_FAILED', error: 'unable to establish the master connection' };

  it('grouped: header, stdout, marked stderr, the error when no output tells', () => {
    expect(grouped(ok, plain, true)).toBe('== web1 ok exit 0 420ms\nup 3 days\n');
    expect(grouped(bad, plain, true)).toBe('== web2 FAILED exit 3 1.5s\npartial\n-- web2 stderr --\nboom\n');
    expect(grouped(down, plain, true)).toBe('== db FAILED exit 255 1.5s\n!! unable to establish the master connection\n');
    expect(grouped(bad, plain, false)).toBe('== web2 FAILED exit 3 1.5s\n!! the remote command failed with exit code 3\n');
  });

  it('NDJSON: one object per host with the documented fields', () => {
    expect(JSON.parse(jsonLine(bad))).toEqual({
      label: 'web2',
      target: 'web2',
      status: 'failed',
      exitCode: 3,
      signal: null,
      stdout: 'partial',
      stderr: 'boom\n',
      errorCode: 'OSSH_SLAVE_CMD_FAILED',
      error: 'the remote command failed with exit code 3',
      durationMs: 1500,
    });
    expect(jsonLine(ok).endsWith('}\n')).toBe(true);
  });

  it('summary and progress line', () => {
    const report = { results: [], durationMs: 2000, summary: { total: 3, ok: 1, failed: 2, timedOut: 0, aborted: 0, skipped: 0 } };
    expect(summaryText(report, [ok, bad, down], plain)).toBe(
      '3 hosts: 1 ok, 2 failed, 0 timed out, 0 aborted, 0 skipped in 2.0s\n  web2: failed: exit 3 [OSSH_SLAVE_CMD_FAILED]\n  db: failed: unable to establish the master connection [OSSH_MASTER_FAILED]\n',
    );
    expect(progressText({ total: 10, queued: 3, connecting: 1, running: 2, ok: 3, failed: 1, timedOut: 0, aborted: 0, skipped: 0, done: 4 }, 3400)).toBe('[4/10] ok 3  failed 1  running 3  3.4s');
  });

  it('colours only on a TTY and never with NO_COLOR', () => {
    expect(colorsFor({ isTTY: true }, {})('red', 'x')).toBe('\x1b[31mx\x1b[39m');
    expect(colorsFor({ isTTY: true }, { NO_COLOR: '1' })('red', 'x')).toBe('x');
    expect(colorsFor({ isTTY: false }, {})('red', 'x')).toBe('x');
  });
});
