/**
 * Acceptance property test for the Unix quoters: random strings quoted by the library travel
 * through the real sshd to each login shell (sh, dash, bash, zsh, ksh93, mksh, posh, yash,
 * fish, csh and tcsh, one test user each) and come back byte for byte.
 *
 * Each call passes `remoteShell: <that shell's name>`, so the quoter is the one getQuoter()
 * picks for it. The words are printed by the external `/usr/bin/printf '%s\0'`, never a
 * builtin: fish and the csh family have their own printf, or none.
 *
 * The strings are made by a seeded PRNG; the seed is in the describe name and in every failure
 * message. Reproduce a failure with `QUOTE_SEED=<seed> npx vitest run test/integration/quoting-remote.test.ts`.
 *
 * Node passes argv as UTF-8, so the code points 128..255 (and the non-BMP ones) travel as
 * their UTF-8 bytes: the remote output is compared with `Buffer.from(input, 'utf8')`.
 */
import { realpathSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { getQuoter, raw, type OpenSSH, type Quoter } from '../../src/index.js';
import { COUNTS, FIXED, MAX_COMMAND_BYTES, SEED, batches, describeMismatch, makeCases, report, show, splitNul } from '../helpers/quote-corpus.js';
import { connectEachShell, remoteShells, shellLabel } from '../helpers/remote-shells.js';

const CASES = makeCases(SEED);
const PRINTF = '/usr/bin/printf';

/**
 * Send the strings through `printf '%s\0'` in batches; return the mismatch reports. The
 * command runs in `/`, where glob words left unquoted would match (bin, etc, ...).
 */
async function roundTrip(ssh: OpenSSH, label: string, name: string, strings: readonly string[]): Promise<string[]> {
  const quoter = getQuoter(name);
  const problems: string[] = [];
  for (const batch of batches(strings)) {
    const r = await ssh.run([raw('cd / &&'), PRINTF, '%s\\0', ...batch], { remoteShell: name, encoding: 'buffer', reject: false } as const);
    if (r.failed || r.stderr.length > 0) {
      problems.push(
        `seed ${SEED}, shell ${label}: the batch of ${batch.length} words failed (exit ${r.exitCode}, ` +
          `command ${Buffer.byteLength(r.command)} bytes)\nstderr: ${show(r.stderr.toString('utf8').slice(0, 2000))}`,
      );
    }
    const parts = splitNul(r.stdout);
    if (parts.length !== batch.length) {
      // A word split or swallowed shifts every later word: only the first mismatch is the culprit.
      const i = batch.findIndex((s, k) => parts[k] === undefined || !parts[k]!.equals(Buffer.from(s, 'utf8')));
      const at = i === -1 ? batch.length - 1 : i;
      const where = i === -1 ? 'extra words after the last input' : `first mismatch at word ${i} of the batch`;
      const note = `: the remote printed ${parts.length} words for ${batch.length} inputs; ${where}`;
      problems.push(describeMismatch(label, batch[at]!, quoter.quote(batch[at]!), Buffer.from(batch[at]!, 'utf8'), parts[at], note));
      continue;
    }
    batch.forEach((s, i) => {
      const expected = Buffer.from(s, 'utf8');
      if (!parts[i]!.equals(expected)) problems.push(describeMismatch(label, s, quoter.quote(s), expected, parts[i]));
    });
  }
  return problems;
}

const SHELLS = remoteShells();

const connections = connectEachShell(SHELLS);

describe(`Unix quoting round-trips through the remote shells (seed ${SEED})`, () => {
  it(`the ${CASES.length} generated strings are valid test data`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(300);
    for (const s of CASES) {
      expect(s.length, JSON.stringify(s)).toBeGreaterThan(0);
      expect(s.includes('\0'), JSON.stringify(s)).toBe(false);
      // No lone surrogates: they would become U+FFFD on the way to argv.
      expect(s.isWellFormed(), JSON.stringify(s)).toBe(true);
    }
    const random = CASES.slice(-COUNTS.random);
    expect(Math.max(...random.map((s) => s.length))).toBeLessThanOrEqual(200);
    // Every code point 1..255 occurs somewhere; there are non-BMP characters, leading - and ~,
    // and runs of the characters that are special to some shell.
    const seen = new Set(CASES.join(''));
    for (let c = 1; c <= 255; c++) expect(seen.has(String.fromCharCode(c)), `code point ${c}`).toBe(true);
    expect(CASES.some((s) => /[\u{10000}-\u{10ffff}]/u.test(s))).toBe(true);
    expect(CASES.some((s) => /[\u0800-\uffff]/.test(s))).toBe(true);
    for (const run of ["''", '\\\\', '\n\n', '!!', '$', '`']) expect(CASES.some((s) => s.includes(run)), run).toBe(true);
    expect(CASES.slice(FIXED.length).some((s) => s.startsWith('-'))).toBe(true);
    expect(CASES.slice(FIXED.length).some((s) => s.startsWith('~'))).toBe(true);
    // The batches stay under the budget once actually quoted, for every quoter.
    for (const name of ['sh', 'fish', 'csh']) {
      const q: Quoter = getQuoter(name);
      for (const b of batches(CASES)) {
        const cmd = ['cd / &&', ...[PRINTF, '%s\\0', ...b].map((w) => q.quote(w))].join(' ');
        expect(Buffer.byteLength(cmd), name).toBeLessThan(MAX_COMMAND_BYTES);
      }
    }
  });

  for (const sh of SHELLS) {
    const label = shellLabel(sh);
    describe.skipIf(sh.skip !== false)(sh.skip === false ? `${label}, remoteShell '${sh.name}'` : `${label}: skipped, ${sh.skip}`, () => {
      let ssh: OpenSSH;
      beforeAll(() => {
        ssh = connections.get(sh.user)!;
      });

      it('the commands run under that login shell', async () => {
        // The login shell forks /bin/sh (another command follows), whose parent it is. The
        // string is valid in sh, fish and csh alike.
        const exe = await ssh.capture("/bin/sh -c 'readlink /proc/$PPID/exe'; /bin/true");
        expect(exe.trim(), `seed ${SEED}: login shell of ${sh.user}`).toBe(realpathSync(sh.shell));
      });

      it(`${CASES.length} strings come back byte for byte through printf '%s\\0'`, async () => {
        const problems = await roundTrip(ssh, label, sh.name, CASES);
        expect(problems.length, report(problems)).toBe(0);
      });

      it('single words come back exactly through printf %s', async () => {
        const singles = [...FIXED.slice(0, 12), ...CASES.slice(FIXED.length, FIXED.length + 4)];
        const quoter = getQuoter(sh.name);
        const problems: string[] = [];
        // In parallel, 8 at a time (the server allows 10 sessions per connection).
        for (let i = 0; i < singles.length; i += 8) {
          await Promise.all(
            singles.slice(i, i + 8).map(async (s) => {
              const r = await ssh.run([PRINTF, '%s', s], { remoteShell: sh.name, encoding: 'buffer' } as const);
              const expected = Buffer.from(s, 'utf8');
              if (!r.stdout.equals(expected)) problems.push(describeMismatch(label, s, quoter.quote(s), expected, r.stdout));
            }),
          );
        }
        expect(problems.length, report(problems)).toBe(0);
      });

      it('quoteArgs: true makes a string command one literal word', async () => {
        const word = "it's a $HOME `id` test";
        const r = await ssh.run(word, { quoteArgs: true, reject: false });
        // One word naming no command: "not found" (127; csh: 1), printed unexpanded.
        expect(r.exitCode, `seed ${SEED}, ${sh.user}: ${r.command} -> ${r.stderr}`).toBe(sh.family === 'csh' ? 1 : 127);
        if (sh.family === 'fish') expect(r.stderr, r.command).toContain("it\\'s\\ a\\ \\$HOME\\ `id`\\ test"); // fish escapes it
        else expect(r.stderr, `${sh.user}: ${r.command}`).toContain(word);
        expect(r.stderr).not.toContain('uid=');
        expect(r.stdout).toBe('');
      });
    });
  }
});
