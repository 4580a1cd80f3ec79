import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { bootstrapScript, buildFrame, goodbyeCommand, newMarker, printfFormat, singleQuote, tokens } from '../../src/shell/frame.js';
import { mulberry32 } from '../helpers/prng.js';

const M = 'AbCdEf0123456789.xyz_Q';

describe('shell frame builder', () => {
  it('newMarker() is 22 fresh characters of [A-Za-z0-9._] (128 bits)', () => {
    const a = newMarker();
    expect(a).toMatch(/^[A-Za-z0-9._]{22}$/);
    expect(newMarker()).not.toBe(a);
    expect(tokens(a)).toEqual({ begin: `${a}:B`, end: `${a}:E` });
  });

  it('singleQuote() keeps every byte literal', () => {
    expect(singleQuote("it's")).toBe("'it'\\''s'");
    expect(singleQuote('')).toBe("''");
  });

  it('printfFormat() escapes everything printf or the quoting would read', () => {
    expect(printfFormat(Buffer.from("a'%\\\n\0\xff-b", 'latin1'))).toBe("'a\\047\\045\\134\\012\\000\\377\\055b'");
    expect(printfFormat(Buffer.alloc(0))).toBe("''");
    expect(printfFormat(Buffer.from('plain text 123'))).toBe("'plain text 123'");
  });

  it('a plain command (and test()): the bootstrap functions, the command in a quoted word', () => {
    expect(buildFrame({ marker: M, command: "echo 'hi'" })).toBe(`__osmux_c='echo '\\''hi'\\''';__osmux_x;__osmux_e ${M}\n`);
    expect(buildFrame({ marker: M, command: 'true', stdoutDiscard: true, stderrDiscard: true })).toBe(`__osmux_c='true';__osmux_q;__osmux_e ${M}\n`);
    expect(buildFrame({ marker: M, command: 'true', begin: true })).toBe(`__osmux_p ${M};__osmux_c='true';__osmux_x;__osmux_e ${M}\n`);
  });

  it('stdinData, cwd, env and stderrToStdout', () => {
    const file = `"$__osmux_d/in.${M}"`;
    expect(
      buildFrame({ marker: M, command: 'cat', stdin: Buffer.from("a'%\\\n\0\xff", 'latin1'), cwd: '/t', env: { A: "x'y" }, stderrToStdout: true, begin: true }),
    ).toBe(
      `__osmux_p ${M};{ printf 'a\\047\\045\\134\\012\\000\\377'; } >${file};__osmux_c='cat';` +
        `{ (cd -- '/t' || exit;A='x'\\''y';export A;__osmux_run)\n} <${file} >&7 2>&1;` +
        `__osmux_s=$?;__osmux_in=;__osmux_c=;rm -f ${file};__osmux_e ${M}\n`,
    );
  });

  it('empty stdinData makes an empty file; discards go to /dev/null (fd 9)', () => {
    const f = buildFrame({ marker: M, command: 'x', stdoutDiscard: true, stderrDiscard: true, stdin: Buffer.alloc(0) });
    expect(f).toContain(`{ :; } >"$__osmux_d/in.${M}";`);
    expect(f).toContain(` >&9 2>&9;`);
  });

  it('stdinData over 64 KiB is split into several printf calls', () => {
    const f = buildFrame({ marker: M, command: 'cat', stdin: Buffer.alloc(150 * 1024, 'a') });
    expect(f.match(/printf 'a+'/g)).toHaveLength(3);
  });

  it('goodbyeCommand() kills the session and exits', () => {
    expect(goodbyeCommand('123')).toMatch(/^\/bin\/sh -c '.*' sh '123' \$\$ \$PPID >\/dev\/null 2>&1;exit 0$/s);
  });
});

/** Run frames through a local sh (the same dash or bash a server would have). */
function runLocal(shell: string, frames: string[]): { stdout: Buffer; stderr: Buffer } {
  const r = spawnSync(shell, [], { input: bootstrapScript() + frames.join(''), maxBuffer: 64 * 1024 * 1024 });
  return { stdout: r.stdout, stderr: r.stderr };
}

describe.each(['/bin/sh', '/bin/bash'])('frames run by a local %s', (shell) => {
  it('deliver random stdinData byte-exact and report exit codes', () => {
    const rnd = mulberry32(0x5eed);
    const cases = Array.from({ length: 20 }, (_, i) => {
      const data = Buffer.alloc(Math.floor(rnd() * 300));
      for (let j = 0; j < data.length; j++) data[j] = Math.floor(rnd() * 256);
      return { marker: newMarker(), data, code: i % 7 };
    });
    const { stdout, stderr } = runLocal(
      shell,
      cases.map((c) => buildFrame({ marker: c.marker, command: `cat; cat /dev/null >&2; exit_now() { return ${c.code}; }; exit_now`, stdin: c.data, begin: true })),
    );
    let at = 0;
    for (const c of cases) {
      const { begin, end } = tokens(c.marker);
      const b = stdout.indexOf(begin, at) + begin.length;
      const e = stdout.indexOf(end, b);
      expect(stdout.subarray(b, e)).toEqual(c.data);
      const nl = stdout.indexOf(0x0a, e);
      expect(stdout.toString('latin1', e + end.length, nl)).toBe(String(c.code));
      at = nl;
    }
    expect(stderr.toString('latin1')).toBe(cases.map((c) => `${c.marker}:B${c.marker}:E\n`).join(''));
  });

  it('a syntax error, unbalanced quotes and a fake frame inside a command stay inside it', () => {
    const [a, b] = [newMarker(), newMarker()];
    const evil = `echo one'\n${buildFrame({ marker: a, command: 'echo forged', begin: true })}`;
    const { stdout } = runLocal(shell, [buildFrame({ marker: a, command: evil, begin: true }), buildFrame({ marker: b, command: 'echo two', begin: true })]);
    const text = stdout.toString('latin1');
    expect(text).toMatch(new RegExp(`^${a}:B.*${a}:E[1-9]\\d*\\n${b}:Btwo\\n${b}:E0\\n$`, 's'));
  });

  it('the shell survives `exec >/dev/null` and closing stdin inside a command', () => {
    const [a, b] = [newMarker(), newMarker()];
    const { stdout } = runLocal(shell, [buildFrame({ marker: a, command: 'exec >/dev/null <&-; echo hidden', begin: true }), buildFrame({ marker: b, command: 'echo shown', begin: true })]);
    expect(stdout.toString()).toBe(`${a}:B${a}:E0\n${b}:Bshown\n${b}:E0\n`);
  });
});
