/**
 * Property test of `ssh.$`: random strings interpolated into `` ssh.$`cd / && printf '%s\0' ${words}` ``
 * travel through the real sshd to each login shell of the quoting suite (sh, dash, bash, zsh,
 * ksh93, mksh, posh, yash, fish, csh, tcsh) and come back byte for byte. The literal parts are
 * shell text, read by that shell: `cd / &&` and the single-quoted format are valid in all of
 * them. The corpus, the seed (QUOTE_SEED) and the shells are those of quoting-remote.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { getQuoter } from '../../src/index.js';
import { SEED, batches, describeMismatch, makeCases, report, show, splitNul } from '../helpers/quote-corpus.js';
import { connectEachShell, remoteShells, shellLabel } from '../helpers/remote-shells.js';

const CASES = makeCases(SEED);
const PRINTF = '/usr/bin/printf';
const SHELLS = remoteShells();
const connections = connectEachShell(SHELLS);

describe(`ssh.$ quotes interpolated values for every remote shell (seed ${SEED})`, () => {
  for (const sh of SHELLS) {
    const label = shellLabel(sh);
    describe.skipIf(sh.skip !== false)(sh.skip === false ? `${label}, remoteShell '${sh.name}'` : `${label}: skipped, ${sh.skip}`, () => {
      it(`${CASES.length} strings come back byte for byte through \`printf '%s\\0' \${batch}\``, async () => {
        const ssh = connections.get(sh.user)!;
        // The object's remoteShell is the shell's name (connectEachShell): no per-call option.
        const $ = ssh.$({ encoding: 'buffer', reject: false });
        const quoter = getQuoter(sh.name);
        const problems: string[] = [];
        for (const batch of batches(CASES)) {
          const r = await $`cd / && ${PRINTF} '%s\0' ${batch}`;
          if (r.failed || r.stderr.length > 0) {
            problems.push(`seed ${SEED}, shell ${label}: a batch of ${batch.length} failed (exit ${r.exitCode})\nstderr: ${show(r.stderr.toString('utf8').slice(0, 2000))}`);
            continue;
          }
          const parts = splitNul(r.stdout);
          batch.forEach((s, i) => {
            const expected = Buffer.from(s, 'utf8');
            if (!parts[i]?.equals(expected)) problems.push(describeMismatch(label, s, quoter.quote(s), expected, parts[i]));
          });
          if (parts.length !== batch.length) problems.push(`seed ${SEED}, shell ${label}: ${parts.length} words printed for ${batch.length} values`);
        }
        expect(problems.length, report(problems)).toBe(0);
      });

      it('one value, a number and an array mixed with literal shell text', async () => {
        const ssh = connections.get(sh.user)!;
        const word = "it's $HOME `id` \"x\" !1 {a,b} *";
        const r = await ssh.$`${PRINTF} '[%s]' ${word} ${42} ${['a b', '']}`;
        expect(r.stdout, r.command).toBe(`[${word}][42][a b][]`);
        expect(r.text()).toBe(r.stdout);
      });
    });
  }
});
