import { describe, expect, it } from 'vitest';
import { chainQuoters, cshQuoter, fishQuoter, getQuoter, glob, msCmdQuoter, msWinQuoter, posixQuoter, QuoteError, raw, renderTemplate, type Quoter } from '../../src/index.js';
import { withHelpers } from '../../src/template/result.js';
import { checkTemplateOptions, templateTag } from '../../src/template/tag.js';
import type { Result } from '../../src/run/result.js';
import { expectTypeError } from '../helpers/expect-throw.js';

/** The literal parts and values of a tagged template, as the tag receives them. */
const parts = (strings: TemplateStringsArray, ...values: unknown[]) => ({ strings: [...strings.raw], values });
const render = (q: Quoter, t: { strings: string[]; values: unknown[] }, literal?: (s: string) => string) =>
  renderTemplate(t.strings, t.values, { quoter: q, literal, tag: 'ssh.$' });

const QUOTERS: Array<[string, Quoter]> = [
  ['POSIX', posixQuoter],
  ['csh', cshQuoter],
  ['fish', fishQuoter],
  ['MSWin', msWinQuoter],
  ['MSCmd', msCmdQuoter],
  ['MSCmd,MSWin', chainQuoters(msCmdQuoter, msWinQuoter)],
];

describe('renderTemplate: values quoted by the remote shell quoter', () => {
  const hostile = ["it's", 'a b', '$HOME', '`id`', '%PATH%', 'x"y', '', '-n', 'semi;colon', 'tab\there'];
  for (const [name, q] of QUOTERS) {
    it(`${name}: literal parts as they are, each value quoted by quoter.quote()`, () => {
      for (const v of hostile) {
        expect(render(q, parts`ls -l ${v} | wc -l`)).toBe(`ls -l ${q.quote(v)} | wc -l`);
      }
    });

    it(`${name}: an array gives one quoted word per element, an empty array nothing`, () => {
      const files = ['a b', "c'd", 'e'];
      expect(render(q, parts`rm -- ${files}`)).toBe(`rm -- ${files.map((f) => q.quote(f)).join(' ')}`);
      expect(render(q, parts`ls ${[]}x`)).toBe('ls x');
    });

    it(`${name}: raw() as is, glob() through quoteGlob(), numbers as their decimal text`, () => {
      expect(render(q, parts`echo ${raw('>')} ${glob('/var/log/*.log')} ${-1.5} ${[1, raw('|'), 'x y']}`)).toBe(
        `echo > ${q.quoteGlob('/var/log/*.log')} ${q.quote('-1.5')} ${q.quote('1')} | ${q.quote('x y')}`,
      );
    });
  }

  it('matches getQuoter by name, as the OpenSSH object resolves its remoteShell', () => {
    expect(render(getQuoter('tcsh'), parts`echo ${'a!b'}`)).toBe(`echo ${cshQuoter.quote('a!b')}`);
    expect(render(getQuoter('bash'), parts`echo ${"it's"}`)).toBe("echo it\\'s");
  });

  it('a template without values is its literal text; the literal function sees only literal parts', () => {
    expect(render(posixQuoter, parts`uptime`)).toBe('uptime');
    const seen: string[] = [];
    const out = render(posixQuoter, parts`echo %HOST% ${'%HOST%'} end`, (s) => (seen.push(s), s.replaceAll('%HOST%', 'web1')));
    expect(out).toBe("echo web1 '%HOST%' end");
    expect(seen).toEqual(['echo %HOST% ', ' end']);
  });

  it('undefined, null, booleans, objects, non-finite numbers and nested arrays are TypeErrors naming the position', () => {
    expectTypeError(() => render(posixQuoter, parts`ls ${'a'} ${undefined}`), 'ssh.$: the value interpolated at position 1 (after " ") must be a string, a finite number, raw(), glob() or an array of them, received undefined');
    expectTypeError(() => render(posixQuoter, parts`rm -rf ${null}`), 'ssh.$: the value interpolated at position 0 (after "rm -rf ") must be a string, a finite number, raw(), glob() or an array of them, received null');
    expectTypeError(() => render(posixQuoter, parts`x ${{ a: 1 }}`), 'ssh.$: the value interpolated at position 0 (after "x ") must be a string, a finite number, raw(), glob() or an array of them, received an object (Object)');
    expectTypeError(() => render(posixQuoter, parts`x ${true}`), 'ssh.$: the value interpolated at position 0 (after "x ") must be a string, a finite number, raw(), glob() or an array of them, received boolean true');
    expectTypeError(() => render(posixQuoter, parts`x ${NaN}`), 'ssh.$: the value interpolated at position 0 (after "x ") must be a string, a finite number, raw(), glob() or an array of them, received number NaN');
    expectTypeError(() => render(posixQuoter, parts`a very long literal part before the value ${[1, ['n']]}`), 'ssh.$: element 1 of the array interpolated at position 0 (after "...eral part before the value ") must be a string, a finite number, raw() or glob(), received an array of length 1');
  });

  it('a NUL byte in a value is the quoter\'s QuoteError', () => {
    expect(() => render(posixQuoter, parts`echo ${'a\0b'}`)).toThrow(QuoteError);
  });

  it('an invalid escape in a literal part (no cooked text) is a TypeError', () => {
    expectTypeError(() => renderTemplate(['a', undefined], ['x'], { quoter: posixQuoter, tag: 'ssh.$' }), 'ssh.$: the literal part at position 1 has an invalid escape sequence (write \\\\ for a backslash)');
  });
});

describe('templateTag', () => {
  const tag = templateTag('ssh.$', (strings, values, options) => ({ strings: [...strings], values, options }));

  it('as a tag, passes the raw literal parts and no options; with options, returns a tag with them merged', () => {
    expect(tag`a ${1} b`).toEqual({ strings: ['a ', ' b'], values: [1], options: undefined });
    expect(tag`printf '%s\n\0' \${x} \``.strings).toEqual(["printf '%s\\n\\0' \\${x} \\`"]);
    const t = tag({ timeout: 5 })({ reject: false, timeout: 9 });
    expect(t`x`).toEqual({ strings: ['x'], values: [], options: { timeout: 9, reject: false } });
  });

  it('anything but a template or one options object is a TypeError', () => {
    const f = tag as unknown as (...a: unknown[]) => unknown;
    expectTypeError(() => f('ls'), 'ssh.$ is a tagged template (ssh.$`ls -l ${dir}`) or takes one options object (ssh.$({ timeout: 5000 })`...`), received string "ls"');
    expectTypeError(() => f(['ls']), 'ssh.$ is a tagged template (ssh.$`ls -l ${dir}`) or takes one options object (ssh.$({ timeout: 5000 })`...`), received an array of length 1');
    expectTypeError(() => f({}, {}), 'ssh.$ is a tagged template (ssh.$`ls -l ${dir}`) or takes one options object (ssh.$({ timeout: 5000 })`...`), received an object (Object) and 1 more argument(s)');
  });

  it('refuses quoteArgs, glob, tunnel and subsystem', () => {
    for (const key of ['quoteArgs', 'glob', 'tunnel', 'subsystem']) {
      expectTypeError(() => checkTemplateOptions('ssh.$', { [key]: true }), `option '${key}' cannot be used with ssh.$: the template quotes each interpolated value itself (use raw() or glob() on a value instead)`);
    }
    expect(() => checkTemplateOptions('ssh.$', { timeout: 1, quoteArgs: undefined })).not.toThrow();
  });
});

describe('withHelpers: text(), lines(), json()', () => {
  const result = (stdout: string | Buffer): Result<string | Buffer> =>
    ({ host: 'h', command: 'c', argv: [], stdout, stderr: '', exitCode: 0, signal: undefined, durationMs: 1, timedOut: false, aborted: false, failed: false }) as Result<string | Buffer>;

  it('text() drops one final newline; lines() splits on \\n and \\r\\n; json() parses', () => {
    const r = withHelpers(result('a\nb\r\n\n'));
    expect(r.text()).toBe('a\nb\r\n');
    expect(r.lines()).toEqual(['a', 'b', '']);
    expect(withHelpers(result('x\r\n')).text()).toBe('x');
    expect(withHelpers(result('')).lines()).toEqual([]);
    expect(withHelpers(result('{"a":[1]}\n')).json()).toEqual({ a: [1] });
    expect(() => withHelpers(result('nope')).json()).toThrow(SyntaxError);
    expect(withHelpers(result(Buffer.from('é\n'))).text()).toBe('é');
  });

  it('the helpers are not enumerable: the Result compares equal to run()\'s', () => {
    const plain = result('x');
    expect(withHelpers(result('x'))).toEqual(plain);
    expect(Object.keys(withHelpers(result('x')))).toEqual(Object.keys(plain));
  });
});
