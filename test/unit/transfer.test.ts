import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quotePosix, RSYNC_EXIT_CODES } from '../../src/index.js';
import { buildRsyncArgv, buildScpArgv, rsyncShellWord, sshConfigValue, toolProgram, type TransferSpec } from '../../src/transfer/argv.js';
import { exitMeaning } from '../../src/transfer/exit-codes.js';
import { normalizePaths, normalizeTransfer, rsyncExtraArgs, rsyncOptionName, type TransferOptions } from '../../src/transfer/options.js';
import { escapeSftpGlob, expandLocalGlob, guardLocal, guardRemote } from '../../src/transfer/paths.js';
import { ProgressChannel, RsyncProgressParser, unescapeRsyncName, type TransferProgress } from '../../src/transfer/progress.js';
import { legacyBatches, rsyncWantsOldArgs } from '../../src/transfer/run.js';
import { expectTypeError } from '../helpers/expect-throw.js';

const spec = (over: Partial<TransferSpec> = {}): TransferSpec => ({
  sshCmd: 'ssh',
  ctlPath: '/home/u/.openssh-mux/0123456789abcdef0123',
  host: 'example.org',
  hostSquared: 'example.org',
  user: 'deploy',
  port: 2222,
  sources: ['/srv/a.txt'],
  target: 'out',
  ...over,
});

describe('scp argv', () => {
  it('SFTP mode get: glob characters escaped in sources, local target guarded', () => {
    const o = normalizeTransfer('scp', 'get', {});
    expect(buildScpArgv(spec({ sources: ['/srv/a*b?[c]\\d', '~home', '-dash', ''] }), o)).toEqual([
      'scp', '-q', '-S', 'ssh', '-o', 'ControlPath=/home/u/.openssh-mux/0123456789abcdef0123',
      '-o', 'ControlMaster=no', '-o', 'ProxyCommand=false', '-P', '2222', '--',
      'deploy@example.org:/srv/a\\*b\\?\\[c]\\\\d', 'deploy@example.org:./~home', 'deploy@example.org:./-dash', 'deploy@example.org:.', './out',
    ]);
  });

  it('SFTP mode get with glob: the pattern as given', () => {
    const o = normalizeTransfer('scp', 'get', { glob: true, recursive: true, copyAttrs: true, bwlimit: 1000, verbose: 2, sshOpts: ['-C'] });
    expect(buildScpArgv(spec({ sources: ['/srv/*.log'], target: '/tmp/x:y' }), o)).toEqual([
      'scp', '-C', '-vv', '-r', '-p', '-l', '1000', '-S', 'ssh', '-o', 'ControlPath=/home/u/.openssh-mux/0123456789abcdef0123',
      '-o', 'ControlMaster=no', '-o', 'ProxyCommand=false', '-P', '2222', '--', 'deploy@example.org:/srv/*.log', '/tmp/x:y',
    ]);
  });

  it('SFTP mode put: the remote target literal (scp does not glob it), local sources guarded', () => {
    const o = normalizeTransfer('scp', 'put', {});
    expect(buildScpArgv(spec({ sources: ['a:b', '-x', '/abs'], target: 'dir/it*s here' }), o).slice(-5)).toEqual([
      '--', './a:b', './-x', '/abs', 'deploy@example.org:dir/it*s here',
    ]);
    expect(buildScpArgv(spec({ target: undefined, user: undefined, port: undefined, hostSquared: '[::1]' }), o).slice(-3)).toEqual([
      '--', '/srv/a.txt', '[::1]:.',
    ]);
  });

  it('legacy mode: -O -T and the remote shell quoting', () => {
    const get = normalizeTransfer('scp', 'get', { scpMode: 'legacy' });
    const argv = buildScpArgv(spec({ sources: ["/srv/it's $HOME", '-dash'] }), get);
    expect(argv.slice(0, 4)).toEqual(['scp', '-q', '-O', '-T']);
    expect(argv.slice(-3)).toEqual([`deploy@example.org:${quotePosix("/srv/it's $HOME")}`, "deploy@example.org:./-dash", './out']);
    const globbed = normalizeTransfer('scp', 'get', { scpMode: 'legacy', glob: true });
    expect(buildScpArgv(spec({ sources: ['/srv/my logs/*.log'] }), globbed).at(-2)).toBe("deploy@example.org:/srv/my' logs/'*.log");
    const put = normalizeTransfer('scp', 'put', { scpMode: 'legacy', glob: true });
    expect(buildScpArgv(spec({ target: 'a b*' }), put).at(-1)).toBe("deploy@example.org:'a b*'");
  });

  it('a ControlPath with spaces or quotes is written for ssh_config parsing', () => {
    const o = normalizeTransfer('scp', 'get', {});
    const argv = buildScpArgv(spec({ ctlPath: `/tmp/sp ace 'q" $x/ctl` }), o);
    expect(argv[argv.indexOf('-o') + 1]).toBe(`ControlPath="/tmp/sp ace 'q\\" $x/ctl"`);
    expect(sshConfigValue('/a/b%c@d:e')).toBe('/a/b%c@d:e');
    expect(sshConfigValue('a\\b')).toBe('"a\\\\b"');
  });

  it('the program: command, else scp beside an ssh given by path', () => {
    expect(toolProgram('scp', '/opt/openssh/bin/ssh', undefined)).toBe('/opt/openssh/bin/scp');
    expect(toolProgram('scp', 'ssh', undefined)).toBe('scp');
    expect(toolProgram('scp', '/usr/bin/ssh-wrapper', undefined)).toBe('scp');
    expect(toolProgram('rsync', '/opt/bin/ssh', undefined)).toBe('rsync');
    expect(toolProgram('rsync', 'ssh', '/usr/local/bin/rsync')).toBe('/usr/local/bin/rsync');
  });
});

describe('rsync argv', () => {
  it('the -e transport names our ssh and socket, the remote names are quoted for the shell', () => {
    const o = normalizeTransfer('rsync', 'get', {});
    expect(buildRsyncArgv(spec({ sources: ["/srv/it's", '~x'], oldArgs: true }), o)).toEqual([
      'rsync', '--old-args', '-e', 'ssh -o ControlMaster=no -o ProxyCommand=false -S /home/u/.openssh-mux/0123456789abcdef0123 -p 2222',
      '-q', '--', `deploy@example.org:${quotePosix("/srv/it's")}`, "deploy@example.org:'./~x'", './out',
    ]);
  });

  it('options: verbose drops -q, copyAttrs -pt, bwlimit in KiB/s, progress output, extra options in order', () => {
    const o = normalizeTransfer('rsync', 'put', {
      verbose: true, recursive: true, copyAttrs: true, bwlimit: 8192, progress: true,
      exclude: ['*~', '*.bak'], safe_links: true, delete: false, chmod: 'u+rw', maxSize: 1000,
    });
    const argv = buildRsyncArgv(spec({ ctlPath: "/tmp/sp ace/it's", sshCmd: '/opt/ssh', target: 'dst dir', oldArgs: false }), o);
    expect(argv).toEqual([
      'rsync', '-e', "/opt/ssh -o ControlMaster=no -o ProxyCommand=false -S '/tmp/sp ace/it''s' -p 2222",
      '-v', '-r', '-pt', '--bwlimit=1000', '--info=name1,progress1',
      '--exclude=*~', '--exclude=*.bak', '--safe-links', '--no-delete', '--chmod=u+rw', '--max-size=1000',
      '--', './srv/a.txt'.replace('./', '/'), "deploy@example.org:'dst dir'",
    ]);
  });

  it('idleTimeout turns on the progress output rsync needs to show activity', () => {
    const o = normalizeTransfer('rsync', 'get', { idleTimeout: 5000 });
    const argv = buildRsyncArgv(spec(), o);
    expect(argv).toContain('--info=name1,progress1');
    expect(argv).not.toContain('-q');
  });

  it('rsync -e words: whitespace and quotes inside single quotes, a quote doubled', () => {
    expect(rsyncShellWord('-oControlMaster=no')).toBe('-oControlMaster=no');
    expect(rsyncShellWord('a b')).toBe("'a b'");
    expect(rsyncShellWord(`it's "x"`)).toBe(`'it''s "x"'`);
  });

  it('rsync option names and values', () => {
    expect(rsyncOptionName('safeLinks')).toBe('safe-links');
    expect(rsyncOptionName('safe_links')).toBe('safe-links');
    expect(rsyncOptionName('delete-after')).toBe('delete-after');
    expect(rsyncExtraArgs([['noImpliedDirs', true], ['noTimes', false], ['compressLevel', 9], ['filter', ['- *.o', '+ *']]])).toEqual([
      '--no-implied-dirs', '--times', '--compress-level=9', '--filter=- *.o', '--filter=+ *',
    ]);
    for (const key of ['rsh', 'e', 'port', 'protect_args', 'noProtectArgs', 'secludedArgs', 'oldArgs', 'daemon', 'timeout', 'passwordFile', 'listOnly']) {
      expectTypeError(() => rsyncExtraArgs([[key, true]]), new RegExp(`^rsync option '${key}' \\(--[a-z-]+\\) is forbidden`));
    }
    expectTypeError(() => rsyncExtraArgs([['timeout', 5]]), /use the 'timeout' or 'idleTimeout' option, in ms\)$/);
    expectTypeError(() => rsyncExtraArgs([['bad name', true]]), "rsync option 'bad name' is not a valid option name (letters, digits, '-', '_', camelCase)");
    expectTypeError(() => rsyncExtraArgs([['exclude', { x: 1 }]]), "option 'exclude' must be true, false, a string, a number or an array of strings/numbers (an rsync option), received an object (Object)");
    expectTypeError(() => rsyncExtraArgs([['exclude', ['a\0b']]]), /^option 'exclude' must be/);
  });
});

describe('option checks', () => {
  it('scp refuses unknown options, naming the known ones', () => {
    expectTypeError(() => normalizeTransfer('scp', 'get', { exclude: 'x' } as TransferOptions), /^unknown option 'exclude' for scpGet\(\); known options are: async, bwlimit, command, copyAttrs, /);
  });

  it('bad values are TypeErrors naming the option', () => {
    const bad: Array<[TransferOptions, string]> = [
      [{ bwlimit: -1 }, "option 'bwlimit' must be a number of Kbit/s >= 0 (0: no limit), received number -1"],
      [{ verbose: 9 }, "option 'verbose' must be a boolean or a count from 0 to 4, received number 9"],
      [{ onProgress: 'x' as never }, "option 'onProgress' must be a function, received string \"x\""],
      [{ stdout: 'pipe' as never }, "option 'stdout' must be 'ignore', 'inherit', a file descriptor or a Writable stream, received string \"pipe\""],
      [{ scpMode: 'rcp' as never }, "option 'scpMode' must be one of 'sftp', 'legacy', received string \"rcp\""],
      [{ timeout: -5 }, "option 'timeout' must be a number of milliseconds from 0 to 2147483647, about 24.8 days (0 or Infinity: no limit), received number -5"],
      [{ recursive: 'yes' as never }, "option 'recursive' must be a boolean, received string \"yes\""],
      [{ sshOpts: '-C' as never }, /^option 'sshOpts' must be an array of strings, one argv word each/],
      [{ stderr: 'ignore', stderrToStdout: true }, "options 'stderr' and 'stderrToStdout' both set the stderr; give only one of them"],
    ] as Array<[TransferOptions, string]>;
    for (const [o, msg] of bad) expectTypeError(() => normalizeTransfer('scp', 'get', o), msg);
  });

  it('defaults: quiet, SFTP mode, the connection defaults', () => {
    const ac = new AbortController();
    const n = normalizeTransfer('rsync', 'get', undefined, { defaultSshOpts: ['-4'], idleTimeout: 100, timeout: 200, signal: ac.signal });
    expect(n).toMatchObject({ quiet: true, scpMode: 'sftp', sshOpts: ['-4'], idleTimeout: 100, timeout: 200, signal: ac.signal, progress: false, async: false });
    expect(normalizeTransfer('rsync', 'get', { sshOpts: [], timeout: 0 }, { defaultSshOpts: ['-4'], timeout: 200 })).toMatchObject({ sshOpts: [], timeout: undefined });
  });

  it('sources and target', () => {
    expect(normalizePaths('scpGet', 'a', undefined)).toEqual({ sources: ['a'], target: undefined });
    expectTypeError(() => normalizePaths('scpGet', [], 'x'), 'scpGet(): sources must be a non-empty string or a non-empty array of them (no NUL bytes), received an array of length 0');
    expectTypeError(() => normalizePaths('rsyncPut', ['a', ''], 'x'), /^rsyncPut\(\): sources must be/);
    expectTypeError(() => normalizePaths('rsyncPut', 'a', 5), 'rsyncPut(): target must be a string without NUL bytes (or undefined), received number 5');
  });
});

describe('legacy scp and newlines in names', () => {
  const legacy = (direction: 'get' | 'put') => normalizeTransfer('scp', direction, { scpMode: 'legacy' });
  it('a source with a newline in its name gets a run of its own with the target name spelt out', () => {
    expect(legacyBatches(legacy('put'), ['/l/a', '/l/b\nc', '/l/d'], '/r/dir')).toEqual([
      { sources: ['/l/a', '/l/d'], target: '/r/dir' },
      { sources: ['/l/b\nc'], target: '/r/dir/b\nc' },
    ]);
    expect(legacyBatches(legacy('put'), ['/l/b\nc/'], undefined)).toEqual([{ sources: ['/l/b\nc/'], target: 'b\nc' }]);
    expect(legacyBatches(legacy('put'), ['/l/b\nc'], 'dir/')).toEqual([{ sources: ['/l/b\nc'], target: 'dir/b\nc' }]);
    expect(legacyBatches(legacy('get'), ['/r/x\ny'], tmpdir())).toEqual([{ sources: ['/r/x\ny'], target: `${tmpdir()}/x\ny` }]);
  });
  it('nothing to split: a target file name, no newline, SFTP mode or rsync', () => {
    expect(legacyBatches(legacy('put'), ['/l/b\nc'], '/r/file')).toEqual([{ sources: ['/l/b\nc'], target: '/r/file' }]);
    expect(legacyBatches(legacy('get'), ['/r/x\ny'], join(tmpdir(), 'no-such-dir-here'))).toEqual([{ sources: ['/r/x\ny'], target: join(tmpdir(), 'no-such-dir-here') }]);
    expect(legacyBatches(legacy('get'), ['/r/x\ny'], '/etc/hostname/x')).toEqual([{ sources: ['/r/x\ny'], target: '/etc/hostname/x' }]);
    expect(legacyBatches(legacy('put'), ['/l/a', '/l/d\n/e'], '/r/dir')).toEqual([{ sources: ['/l/a', '/l/d\n/e'], target: '/r/dir' }]);
    expect(legacyBatches(normalizeTransfer('scp', 'put', {}), ['/l/b\nc'], '/r/')).toEqual([{ sources: ['/l/b\nc'], target: '/r/' }]);
    expect(legacyBatches(normalizeTransfer('rsync', 'put', {}), ['/l/b\nc'], '/r/')).toEqual([{ sources: ['/l/b\nc'], target: '/r/' }]);
  });
});

describe('paths', () => {
  it('guards', () => {
    expect(guardRemote('')).toBe('.');
    expect(guardRemote('~')).toBe('./~');
    expect(guardRemote('-r')).toBe('./-r');
    expect(guardRemote(':module')).toBe('./:module'); // never rsync's host::module
    expect(guardRemote('a:b')).toBe('a:b');
    expect(guardRemote('/x')).toBe('/x');
    expect(guardLocal('a:b')).toBe('./a:b');
    expect(guardLocal('./a')).toBe('./a');
    expect(guardLocal('')).toBe('.');
    expect(guardLocal('.')).toBe('.');
    expect(guardLocal('..')).toBe('..');
    expect(guardLocal('../a:b')).toBe('../a:b');
    expect(guardLocal('-x')).toBe('./-x');
    expect(escapeSftpGlob('a*b?c[d]e\\f{g}')).toBe('a\\*b\\?c\\[d]e\\\\f{g}');
  });

  describe('local glob expansion', () => {
    let d: string;
    beforeAll(() => {
      d = mkdtempSync(join(tmpdir(), 'osmux-glob-'));
      mkdirSync(join(d, 'sub', 'deep'), { recursive: true });
      for (const f of ['a1.txt', 'a2.txt', 'b.log', '.hidden.txt', 'sub/c.txt', 'sub/deep/d.txt', 'star*.txt', 'sp ace.txt']) writeFileSync(join(d, f), f);
      symlinkSync('nowhere', join(d, 'dangling.txt'));
      symlinkSync('loop', join(d, 'loop'));
      chmodSync(d, 0o755);
    });
    afterAll(() => rmSync(d, { recursive: true, force: true }));

    it('expands like a shell', async () => {
      expect(await expandLocalGlob(`${d}/*.txt`)).toEqual(['a1.txt', 'a2.txt', 'dangling.txt', 'sp ace.txt', 'star*.txt'].map((f) => `${d}/${f}`));
      expect(await expandLocalGlob(`${d}/.*.txt`)).toEqual([`${d}/.hidden.txt`]);
      expect(await expandLocalGlob(`${d}/a[12].txt`)).toEqual([`${d}/a1.txt`, `${d}/a2.txt`]);
      expect(await expandLocalGlob(`${d}/{b.log,sub}`)).toEqual([`${d}/b.log`, `${d}/sub`]);
      expect(await expandLocalGlob(`${d}/*/c.txt`)).toEqual([`${d}/sub/c.txt`]);
      expect(await expandLocalGlob(`${d}/s*/`)).toEqual([`${d}/sub/`]);
      expect(await expandLocalGlob(`${d}/star\\*.txt`)).toEqual([`${d}/star*.txt`]);
      expect(await expandLocalGlob(`${d}/sp ace.txt`)).toEqual([`${d}/sp ace.txt`]);
      expect(await expandLocalGlob(`${d}/nothing*`)).toEqual([]);
      expect(await expandLocalGlob(`${d}/missing/*.txt`)).toEqual([]);
      // a symlink loop (ELOOP when followed) is no directory, not an error
      expect(await expandLocalGlob(`${d}/loop/*.txt`)).toEqual([]);
    });

    it('relative patterns stay relative', async () => {
      const cwd = process.cwd();
      process.chdir(d);
      try {
        expect(await expandLocalGlob('sub/*/*.txt')).toEqual(['sub/deep/d.txt']);
      } finally {
        process.chdir(cwd);
      }
    });

    it('reads the file system asynchronously: the event loop turns while a tree is expanded', async () => {
      const tree = mkdtempSync(join(tmpdir(), 'osmux-glob-async-'));
      try {
        for (let i = 0; i < 20; i++) {
          mkdirSync(join(tree, `dir${String(i).padStart(2, '0')}`));
          for (let j = 0; j < 10; j++) writeFileSync(join(tree, `dir${String(i).padStart(2, '0')}`, `f${j}.txt`), '');
        }
        let turns = 0;
        let stop = false;
        const tick = (): void => {
          turns++;
          if (!stop) setImmediate(tick);
        };
        setImmediate(tick);
        const pending = expandLocalGlob(`${tree}/dir*/*.txt`);
        expect(pending).toBeInstanceOf(Promise);
        const found = await pending;
        stop = true;
        expect(found.length).toBe(200);
        expect(found[0]).toBe(`${tree}/dir00/f0.txt`);
        expect(found[199]).toBe(`${tree}/dir19/f9.txt`);
        // A synchronous walk would finish before a single setImmediate callback ran.
        expect(turns).toBeGreaterThan(0);
      } finally {
        rmSync(tree, { recursive: true, force: true });
      }
    });
  });
});

describe('progress', () => {
  it("parses rsync's progress output, in any chunking", () => {
    const text =
      'big\n\r         32,768   1%    0.00kB/s    0:00:00  \r      1,081,344  36% 1000.98kB/s    0:00:01  ' +
      '\r      3,000,000 100%    1.01MB/s    0:00:02 (xfr#1, to-chk=3/4)\ntree/\ntree/a\\#012b\n\r              2 100%    0.00kB/s    0:00:00 (xfr#2, to-chk=0/4)\n';
    for (const size of [1, 7, text.length]) {
      const seen: TransferProgress[] = [];
      const p = new RsyncProgressParser((e) => seen.push(e));
      for (let i = 0; i < text.length; i += size) p.push(text.slice(i, i + size));
      expect(seen).toEqual([
        { file: 'big', bytes: 32768, totalBytes: 3276800, percent: 1, rate: 0, done: false },
        { file: 'big', bytes: 1081344, totalBytes: 3003733, percent: 36, rate: 1025004, done: false },
        { file: 'big', bytes: 3000000, totalBytes: 3000000, percent: 100, rate: 1059062, done: true },
        { file: 'tree/a\nb', bytes: 2, totalBytes: 2, percent: 100, rate: 0, done: true },
      ]);
    }
  });

  it('unescapes the \\#ooo bytes of names', () => {
    expect(unescapeRsyncName('caf\\#303\\#251')).toBe('caf\u00e9');
    expect(unescapeRsyncName('plain\\name')).toBe('plain\\name');
  });

  it('the channel drops the oldest unread events and ends when closed', async () => {
    const ch = new ProgressChannel(2);
    const ev = (bytes: number): TransferProgress => ({ file: undefined, bytes, totalBytes: undefined, percent: undefined, rate: undefined, done: false });
    ch.push(ev(1));
    ch.push(ev(2));
    ch.push(ev(3));
    ch.close();
    ch.push(ev(4));
    const got: number[] = [];
    for await (const p of ch) got.push(p.bytes);
    expect(got).toEqual([2, 3]);
  });
});

describe('exit codes', () => {
  it('maps rsync and scp codes to their meaning', () => {
    expect(RSYNC_EXIT_CODES[23]).toBe('partial transfer due to error');
    expect(exitMeaning('rsync', 30)).toBe('timeout in data send/receive');
    expect(exitMeaning('rsync', 77)).toBe('unknown rsync error');
    expect(exitMeaning('scp', 1)).toBe('scp failed (see its error output)');
    expect(exitMeaning('scp', 255)).toBe('scp stopped on a fatal error, or its ssh failed (see its error output)');
  });
});

describe('rsync version check', () => {
  let d: string;
  beforeAll(() => {
    d = mkdtempSync(join(tmpdir(), 'osmux-rsyncver-'));
    for (const [name, v] of <Array<[string, string]>>[['old', '3.2.3'], ['new', '3.2.4'], ['newer', '3.10.0'], ['odd', 'unknown']]) {
      writeFileSync(join(d, name), `#!/bin/sh\necho "rsync  version ${v}  protocol version 31"\n`, { mode: 0o755 });
    }
  });
  afterAll(() => rmSync(d, { recursive: true, force: true }));

  it('asks for --old-args from 3.2.4 on, and when the version cannot be read', async () => {
    expect(await rsyncWantsOldArgs(join(d, 'old'))).toBe(false);
    expect(await rsyncWantsOldArgs(join(d, 'new'))).toBe(true);
    expect(await rsyncWantsOldArgs(join(d, 'newer'))).toBe(true);
    expect(await rsyncWantsOldArgs(join(d, 'odd'))).toBe(true);
  });
});
