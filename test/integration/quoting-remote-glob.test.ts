/**
 * Glob quoting and remote redirections against the real login shells (one test user per
 * shell, as in quoting-remote.test.ts).
 *
 * - Files with hostile names are created remotely, in a directory whose own name holds
 *   wildcards and quotes, and `glob()` patterns (and plain words with `glob: true`) that mix
 *   escaped specials with live wildcards must match exactly the expected names: only
 *   `* ? [ ] { }` are live, everything else (`~`, `$`, `!`, `^`, quotes, backslashes,
 *   newlines) is literal. Where a shell differs (no brace expansion in dash/posh/yash, no
 *   `[...]` wildcard in fish, tcsh never matching quoted non-ASCII characters), the test says
 *   so explicitly.
 * - Random patterns over a tree of random hostile names match what a reference matcher says,
 *   and glob-quoted words without wildcards come back byte for byte (both seeded: the seed
 *   is in the test names and failures, QUOTE_SEED replays).
 * - `stdinDiscard`, `stdoutDiscard`, `stderrDiscard` and `stderrToStdout` on array commands
 *   must redirect the remote command's descriptors, checked through /proc; under csh and
 *   tcsh, which cannot redirect stderr alone, they must throw a QuoteError instead.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QuoteError, getQuoter, type OpenSSH, glob, raw, type CommandOptions, type CommandWord } from '../../src/index.js';
import { SEED, batches, makeCases, report, show, splitNul } from '../helpers/quote-corpus.js';
import { mulberry32 } from '../helpers/prng.js';
import { connectEachShell, remoteShells, shellLabel, type RemoteShell, type ShellFamily } from '../helpers/remote-shells.js';

const PRINTF = '/usr/bin/printf';

/** The files created in the test directory. */
const NAMES = [
  'a b.txt',
  "it's.txt",
  'say "hi".txt',
  'star*.txt',
  'starry.txt',
  'what?.txt',
  'whatX.txt',
  '[x].txt',
  'x.txt',
  'a.txt',
  'b.txt',
  '{a,b}.txt',
  '$HOME.txt',
  'new\nline.txt',
  '~tilde.txt',
  'bang!.txt',
  '!.txt',
  '^.txt',
  'back\\slash.txt',
  '-rf.txt',
  'p.log',
  'q.log',
  '.hidden.log',
  '`id`.txt',
  'é.txt',
  'a{b',
  'a}b',
];

/** The test directory's own name: its wildcards must be escaped in the patterns. */
const DIR_NAME = "d i*r [1] {x} $H 'q' ~";
const DIR_PATTERN = "d i\\*r \\[1\\] \\{x\\} $H 'q' ~";

interface Ctx {
  sh: RemoteShell;
  /** fish: whether `?` is a wildcard (fish 3 without the qmark-noglob feature). */
  qmark: boolean;
}

interface Pattern {
  /** The pattern, relative to the test directory. */
  p: string;
  /** Only for these shell families (POSIX glob quoting refuses a leading `!` in brackets). */
  only?: ShellFamily[];
  /** The names it must produce (sorted on comparison). A name not in NAMES is a literal word. */
  want: string[] | ((c: Ctx) => string[]);
}

const fish = (c: Ctx) => c.sh.family === 'fish';

const PATTERNS: Pattern[] = [
  { p: '*.log', want: ['p.log', 'q.log'] },
  { p: 'a b*', want: ['a b.txt'] },
  { p: "it's*", want: ["it's.txt"] },
  { p: 'say "hi"*', want: ['say "hi".txt'] },
  { p: 'star\\*.txt', want: ['star*.txt'] },
  { p: 'star*', want: ['star*.txt', 'starry.txt'] },
  { p: 'what\\?.txt', want: ['what?.txt'] },
  { p: 'what?.txt', want: (c) => (fish(c) && !c.qmark ? ['what?.txt'] : ['what?.txt', 'whatX.txt']) },
  {
    p: '?.txt',
    want: (c) => (fish(c) && !c.qmark ? ['?.txt'] : ['!.txt', '^.txt', 'a.txt', 'b.txt', 'x.txt', ...(c.sh.multibyte ? ['é.txt'] : [])]),
  },
  { p: '\\[x].txt', want: ['[x].txt'] },
  // fish has no [...] wildcard: the brackets match themselves.
  { p: '[x].txt', want: (c) => (fish(c) ? ['[x].txt'] : ['x.txt']) },
  { p: '[ab].txt', want: (c) => (fish(c) ? ['[ab].txt'] : ['a.txt', 'b.txt']) },
  // ! and ^ are literal, also in brackets: [^a] is "^ or a", not "anything but a".
  { p: '[a!].txt', want: (c) => (fish(c) ? ['[a!].txt'] : ['!.txt', 'a.txt']) },
  { p: '[!a].txt', want: (c) => (fish(c) ? ['[!a].txt'] : ['!.txt', 'a.txt']), only: ['fish', 'csh'] },
  { p: '[^a].txt', want: (c) => (fish(c) ? ['[^a].txt'] : ['^.txt', 'a.txt']) },
  // dash, posh and yash have no brace expansion: {a,b} is literal there.
  { p: '{a,b}.txt', want: (c) => (c.sh.braces ? ['a.txt', 'b.txt'] : ['{a,b}.txt']) },
  { p: '\\{a,b}.txt', want: ['{a,b}.txt'] },
  { p: '\\{a,b\\}.txt', want: ['{a,b}.txt'] },
  {
    p: '{a,b}*',
    want: (c) => (c.sh.braces ? ['a b.txt', 'a.txt', 'a{b', 'a}b', 'b.txt', 'back\\slash.txt', 'bang!.txt'] : ['{a,b}.txt']),
  },
  // A brace without its partner is literal in every shell.
  { p: 'a{*', want: ['a{b'] },
  { p: 'a}*', want: ['a}b'] },
  { p: '$HOME*', want: ['$HOME.txt'] },
  { p: 'new\nline*', want: ['new\nline.txt'] },
  { p: '~*', want: ['~tilde.txt'] },
  { p: '*!*', want: ['!.txt', 'bang!.txt'] },
  { p: '!*', want: ['!.txt'] },
  { p: '^*', want: ['^.txt'] },
  { p: 'back\\slash*', want: ['back\\slash.txt'] },
  { p: '*\\\\*', want: ['back\\slash.txt'] },
  { p: '-*', want: ['-rf.txt'] },
  { p: '`*', want: ['`id`.txt'] },
  // tcsh never matches a quoted non-ASCII character; csh drops a pattern that matches
  // nothing when another word of the command matches.
  { p: 'é*', want: (c) => (c.sh.name === 'tcsh' ? [] : ['é.txt']) },
];

/** A word that separates the results of the patterns in one printf. */
const SEP = '//end-of-pattern//';

/** Run `printf '%s\0' P1 SEP P2 SEP ...` and split the output per pattern, relative to `dir`. */
async function expandAll(ssh: OpenSSH, sh: RemoteShell, dir: string, words: CommandWord[], options: CommandOptions = {}) {
  const cmd = [PRINTF, '%s\\0', ...words.flatMap((w) => [w, SEP])];
  const r = await ssh.run(cmd, { ...options, remoteShell: sh.name, encoding: 'buffer', reject: false } as const);
  const parts = splitNul(r.stdout).map((b) => b.toString('utf8'));
  const groups: string[][] = [[]];
  for (const part of parts) {
    if (part === SEP) groups.push([]);
    else groups.at(-1)!.push(part.startsWith(`${dir}/`) ? part.slice(dir.length + 1) : `(outside the directory) ${part}`);
  }
  groups.pop();
  return { r, groups };
}

const patternsFor = (sh: RemoteShell) => PATTERNS.filter((pat) => pat.only === undefined || pat.only.includes(sh.family));

function checkGroups(c: Ctx, mode: string, groups: string[][], stderr: string): string[] {
  const problems: string[] = [];
  const patterns = patternsFor(c.sh);
  if (groups.length !== patterns.length) problems.push(`${mode}: ${groups.length} result groups for ${patterns.length} patterns; stderr ${show(stderr)}`);
  patterns.forEach((pat, i) => {
    const want = (typeof pat.want === 'function' ? pat.want(c) : pat.want).slice().sort();
    const got = (groups[i] ?? []).slice().sort();
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      problems.push(`${shellLabel(c.sh)}, ${mode}: pattern ${show(pat.p)} (quoted ${show(getQuoter(c.sh.name).quoteGlob(pat.p))}) gave ${show(got.join(' | '))}, expected ${show(want.join(' | '))}`);
    }
  });
  return problems;
}

/** What a glob-quoted word without wildcards prints: an escaped backslash is one backslash. */
const unescapeGlob = (s: string) => s.replace(/\\\\/g, '\\');

/** Seeded strings without `* ? [ ] { }`, so glob quoting must give them back as they are. */
const LITERALS = [...new Set(makeCases(SEED).map((s) => s.replace(/[*?[\]{}]/g, '')))].filter((s) => s !== '');

// ---------------------------------------------------------------------------------------------
// Random patterns over a tree of random hostile names, checked against a reference matcher

/** The characters of the random names: every ASCII special, no `/` and no NUL. */
const ALPHABET = [...'ab!^$~\'" \\*?[]{}()|&;<>#%=,:@-.`\n\t+'];
const FUZZ_PATTERNS = 60;

/** A tree `<d1>/<d2>/<file>` of random names (4 x 2 directories, 6 files in each). */
function fuzzTree(seed: number): string[] {
  const rnd = mulberry32(seed ^ 0x6b5f1d3);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const name = () => {
    let s = '';
    for (let n = 1 + Math.floor(rnd() * 6); n > 0; n--) s += pick(ALPHABET);
    return s === '.' || s === '..' ? 'x' : s;
  };
  const files = new Set<string>();
  for (let i = 0; i < 4; i++) {
    const d1 = name();
    for (let j = 0; j < 2; j++) {
      const d2 = name();
      for (let k = 0; k < 6; k++) files.add(`${d1}/${d2}/${name()}`);
    }
  }
  return [...files];
}

/**
 * Patterns made from paths of the tree: some characters become `?`, some runs `*`, some a
 * bracket set holding the character (with `!`, `^`, braces... as members; not for fish,
 * which has no bracket wildcard), the rest literal with `* ? [ ] { } \` escaped. Each comes
 * with the paths it must match: its regular expression, component by component, where a
 * wildcard does not match a leading dot (and names starting with a dot get no wildcard).
 */
function fuzzPatterns(seed: number, files: readonly string[], c: Ctx): Array<{ pattern: string; want: string[] }> {
  const rnd = mulberry32(seed ^ 0x2c1b3c6d);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const esc = (ch: string) => ('*?[]{}\\'.includes(ch) ? `\\${ch}` : ch);
  const reEsc = (ch: string) => ch.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  const out: Array<{ pattern: string; want: string[] }> = [];
  const quoter = getQuoter(c.sh.name);
  while (out.length < FUZZ_PATTERNS) {
    const comps = pick(files).split('/').map((comp) => {
      let p = '';
      let re = '';
      const chars = [...comp];
      // No wildcard in a name that starts with a dot: whether `.*` also matches `.` and `..`
      // depends on the shell (dash, yash and csh say yes), not on the quoting.
      const dotted = comp.startsWith('.');
      for (let i = 0; i < chars.length; i++) {
        const ch = chars[i]!;
        const x = rnd();
        const leadingDot = dotted;
        if (x < 0.1 && !leadingDot && c.sh.family !== 'fish') {
          const set = [ch, pick(ALPHABET), pick(ALPHABET)];
          // POSIX glob quoting refuses & and | in brackets, and a leading ! (see quoteGlobPosix).
          if (c.sh.family === 'posix' && set[0] === '!') set.push(set.shift()!);
          if (set.some((m) => '[]\\-/'.includes(m)) || (c.sh.family === 'posix' && (set.includes('&') || set.includes('|') || set[0] === '!'))) {
            p += esc(ch);
            re += reEsc(ch);
          } else {
            p += `[${set.join('')}]`;
            re += `[${set.map(reEsc).join('')}]`;
          }
        } else if (x < 0.18 && !leadingDot && (c.sh.family !== 'fish' || c.qmark)) {
          p += '?';
          re += '[^/]';
        } else if (x < 0.26 && !leadingDot && !p.endsWith('*')) {
          p += '*';
          re += '[^/]*';
          i += Math.floor(rnd() * 3) - 1; // the * stands for 0, 1 or 2 characters of the name
        } else {
          p += esc(ch);
          re += reEsc(ch);
        }
      }
      return { p, re: new RegExp(`^${re}$`, 's'), dot: p.startsWith('.') };
    });
    const want = files.filter((f) => f.split('/').every((name, i) => comps[i]!.re.test(name) && (!name.startsWith('.') || comps[i]!.dot)));
    const pattern = comps.map((x) => x.p).join('/');
    try {
      quoter.quoteGlob(pattern);
    } catch (err) {
      // A directory that POSIX glob quoting cannot write for ksh93 (see quoteGlobPosix): the
      // unit tests cover the refusal; draw another pattern.
      if (err instanceof QuoteError) continue;
      throw err;
    }
    out.push({ pattern, want });
  }
  return out;
}

const SHELLS = remoteShells();
const FUZZ_TREE = fuzzTree(SEED);

const connections = connectEachShell(SHELLS);

describe(`glob quoting and redirections in the remote shells (seed ${SEED})`, () => {
  for (const sh of SHELLS) {
    const label = shellLabel(sh);
    describe.skipIf(sh.skip !== false)(sh.skip === false ? `${label}, remoteShell '${sh.name}'` : `${label}: skipped, ${sh.skip}`, () => {
      let ssh: OpenSSH;
      let base: string;
      let dir: string;
      const ctx: Ctx = { sh, qmark: true };

      beforeAll(async () => {
        ssh = connections.get(sh.user)!;
        base = `/tmp/osmux-glob-${sh.user}-${randomBytes(6).toString('hex')}`;
        dir = `${base}/${DIR_NAME}`;
        const tree = FUZZ_TREE.map((f) => `${base}/fuzz/${f}`);
        const dirs = [dir, ...new Set(tree.map((f) => f.slice(0, f.lastIndexOf('/'))))];
        // mkdir, then touch: one command, and `&&` is the same in sh, fish 3 and csh.
        await ssh.run(['mkdir', '-p', '--', ...dirs, raw('&&'), '/usr/bin/touch', '--', ...NAMES.map((n) => `${dir}/${n}`), ...tree]);
        if (sh.family === 'fish') ctx.qmark = !(await ssh.test('status test-feature qmark-noglob'));
      });
      afterAll(async () => {
        if (base) await ssh?.run(['rm', '-rf', '--', base]);
      });

      it(`the ${NAMES.length} hostile file names were created as they are`, async () => {
        const out = await ssh.capture(['/usr/bin/find', dir, '-mindepth', '1', '-printf', '%f\\0']);
        expect(out.split('\0').slice(0, -1).sort()).toEqual([...NAMES].sort());
      });

      it(`${patternsFor(sh).length} glob() patterns match exactly the expected names`, async () => {
        const { r, groups } = await expandAll(ssh, sh, dir, patternsFor(sh).map((pat) => glob(`${base}/${DIR_PATTERN}/${pat.p}`)));
        const problems = checkGroups(ctx, 'glob()', groups, r.stderr.toString());
        expect(problems, problems.join('\n')).toEqual([]);
        expect(r.exitCode, r.stderr.toString()).toBe(0);
      });

      it(`the same ${patternsFor(sh).length} patterns as plain words with glob: true`, async () => {
        const { r, groups } = await expandAll(ssh, sh, dir, patternsFor(sh).map((pat) => `${base}/${DIR_PATTERN}/${pat.p}`), { glob: true });
        const problems = checkGroups(ctx, 'glob: true', groups, r.stderr.toString());
        expect(problems, problems.join('\n')).toEqual([]);
        expect(r.exitCode, r.stderr.toString()).toBe(0);
      });

      it(`${FUZZ_PATTERNS} random glob() patterns over ${FUZZ_TREE.length} random hostile names match what they should`, async () => {
        const fuzz = fuzzPatterns(SEED, FUZZ_TREE, ctx);
        const { r, groups } = await expandAll(ssh, sh, `${base}/fuzz`, fuzz.map((f) => glob(`${base}/fuzz/${f.pattern}`)));
        const quoter = getQuoter(sh.name);
        const problems = fuzz.flatMap((f, i) => {
          const got = (groups[i] ?? []).slice().sort();
          const want = f.want.slice().sort();
          return JSON.stringify(got) === JSON.stringify(want)
            ? []
            : [`seed ${SEED}, ${label}: pattern ${show(f.pattern)} quoted ${show(quoter.quoteGlob(f.pattern))} gave ${show(got.join(' | '))}, expected ${show(want.join(' | '))}`];
        });
        expect(problems, `${problems.slice(0, 5).join('\n')}\nstderr: ${show(r.stderr.toString().slice(0, 500))}`).toEqual([]);
        expect(groups).toHaveLength(fuzz.length);
      });

      it('a pattern that matches nothing', async () => {
        const r = await ssh.run([PRINTF, '%s\\0', glob(`${base}/no match*`)], { reject: false });
        if (sh.family === 'posix' && sh.name !== 'zsh') {
          // POSIX shells pass it on as it is.
          expect(r.exitCode).toBe(0);
          expect(r.stdout).toBe(`${base}/no match*\0`);
        } else {
          // zsh, fish and csh refuse to run the command.
          expect(r.exitCode).not.toBe(0);
          expect(r.stdout).toBe('');
          expect(r.stderr).toMatch({ zsh: /no matches found/, fish: /No matches for wildcard/, csh: /No match/ }[sh.family === 'posix' ? 'zsh' : sh.family]);
        }
      });

      if (sh.name === 'tcsh') {
        it('tcsh: a pattern with a quoted non-ASCII character never matches (a tcsh bug): the command fails', async () => {
          const r = await ssh.run([PRINTF, '%s\\0', glob(`${base}/${DIR_PATTERN}/é*`)], { reject: false });
          expect(r.exitCode).toBe(1);
          expect(r.stdout).toBe('');
          expect(r.stderr).toContain('No match.');
        });
      }

      it(`${LITERALS.length} glob-quoted words without wildcards come back byte for byte`, async () => {
        const problems: string[] = [];
        const quoter = getQuoter(sh.name);
        for (const batch of batches(LITERALS)) {
          const r = await ssh.run([PRINTF, '%s\\0', ...batch], { glob: true, encoding: 'buffer', reject: false } as const);
          if (r.failed) problems.push(`seed ${SEED}, ${label}: a batch failed (exit ${r.exitCode}): ${show(r.stderr.toString().slice(0, 1000))}`);
          const parts = splitNul(r.stdout);
          batch.forEach((s, k) => {
            const want = Buffer.from(unescapeGlob(s));
            if (!parts[k]?.equals(want)) {
              problems.push(`seed ${SEED}, ${label}: ${show(s)} glob-quoted as ${show(quoter.quoteGlob(s))} printed ${show(parts[k]?.toString() ?? '(nothing)')}`);
            }
          });
          if (problems.length > 0) break;
        }
        expect(problems.length, report(problems)).toBe(0);
      });

      describe('redirections for the stream options', () => {
        const cases: Array<{ options: CommandOptions; want: (fd: string[]) => void; csh?: string }> = [
          { options: {}, want: ([i, o, e]) => expect([i, o, e].includes('/dev/null') || o === e).toBe(false) },
          { options: { stdinDiscard: true }, want: ([i, o, e]) => expect([i, o === '/dev/null', e === '/dev/null']).toEqual(['/dev/null', false, false]) },
          { options: { stdoutDiscard: true }, want: ([i, o, e]) => expect([i === '/dev/null', o, e === '/dev/null']).toEqual([false, '/dev/null', false]) },
          {
            options: { stderrDiscard: true },
            want: ([i, o, e]) => expect([i === '/dev/null', o === '/dev/null', e]).toEqual([false, false, '/dev/null']),
            csh: 'stderrDiscard',
          },
          {
            options: { stderrToStdout: true },
            want: ([i, o, e]) => expect([i === '/dev/null', o === '/dev/null', e]).toEqual([false, false, o]),
            csh: 'stderrToStdout',
          },
          { options: { stdoutDiscard: true, stderrDiscard: true }, want: ([i, o, e]) => expect([i === '/dev/null', o, e]).toEqual([false, '/dev/null', '/dev/null']) },
          { options: { stdoutDiscard: true, stderrToStdout: true }, want: ([i, o, e]) => expect([i === '/dev/null', o, e]).toEqual([false, '/dev/null', '/dev/null']) },
          { options: { stdinDiscard: true, stdoutDiscard: true, stderrDiscard: true }, want: (fd) => expect(fd).toEqual(['/dev/null', '/dev/null', '/dev/null']) },
          {
            options: { stdinDiscard: true, stderrDiscard: true },
            want: ([i, o, e]) => expect([i, o === '/dev/null', e]).toEqual(['/dev/null', false, '/dev/null']),
            csh: 'stderrDiscard',
          },
        ];
        const runnable = cases.filter((c) => sh.family !== 'csh' || c.csh === undefined);
        const refused = cases.filter((c) => sh.family === 'csh' && c.csh !== undefined);

        it(`${runnable.length} combinations redirect the remote command's descriptors`, async () => {
          // Each probe records where the descriptors 0, 1 and 2 of the /bin/sh that the login
          // shell started point to. Its report goes to a file from a subshell, since dash
          // redirects its own descriptors while it runs a command with a redirection.
          const files = runnable.map((_, i) => `${base}/fds-${i}`);
          await Promise.all(
            runnable.map((c, i) =>
              ssh.run(['/bin/sh', '-c', '(readlink /proc/$$/fd/0 /proc/$$/fd/1 /proc/$$/fd/2) >"$1"', 'probe', files[i]!], c.options),
            ),
          );
          const out = await ssh.capture(['/bin/sh', '-c', 'for f in "$@"; do cat "$f"; printf "\\0"; done', 'sh', ...files]);
          const fds = out.split('\0').slice(0, -1).map((s) => s.trim().split('\n'));
          expect(fds).toHaveLength(runnable.length);
          runnable.forEach((c, i) => {
            expect(fds[i], JSON.stringify(c.options)).toHaveLength(3);
            c.want(fds[i]!);
          });
        });

        if (refused.length > 0) {
          it(`${refused.length} combinations ${sh.name} cannot express throw a QuoteError`, () => {
            for (const c of refused) {
              let caught: unknown;
              try {
                void ssh.run(['true'], c.options);
              } catch (err) {
                caught = err;
              }
              expect(caught, JSON.stringify(c.options)).toBeInstanceOf(QuoteError);
              const e = caught as QuoteError;
              expect(e.code).toBe('OSSH_QUOTE_ERROR');
              expect(e.shell).toBe('csh');
              expect(e.message).toBe(
                `the remote shell csh has no redirection for ${c.csh}: use a string command and write the redirection yourself, add a raw() word, or handle the stream locally`,
              );
            }
          });

          it("test()'s own default (discard both outputs) is one redirection csh has", async () => {
            expect(await ssh.test(['/bin/sh', '-c', 'echo out; echo err >&2; exit 3'])).toBe(false);
            expect(await ssh.test(['true'])).toBe(true);
            // A string command is the caller's: it may carry any redirection.
            expect(await ssh.capture('/bin/sh -c "echo err >&2" |& cat')).toBe('err\n');
          });
        }
      });
    });
  }
});
