import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { glob, raw } from '../../src/index.js';
import { connect, defaultUser, sshd } from '../helpers/server.js';

describe('expandVars on one connection, against the sshd', () => {
  it('expands %HOST% %USER% %PORT% and vars in commands (string and words, raw and glob), %% stays a %', async () => {
    const ssh = await connect({ expandVars: true, vars: { ID: 42 } });
    expect(await ssh.capture('echo %HOST%-%USER%-%PORT%-%ID%-%%')).toBe(`127.0.0.1-${defaultUser()}-${sshd().port}-42-%\n`);
    ssh.setVar('WORD', 'a b');
    // Expanded before quoting: the value stays one word.
    expect(await ssh.capture(['printf', '[%s]', '%WORD%', raw('%ID%'), glob('/nonexistent-%ID%*')])).toBe('[a b][42][/nonexistent-42*]');
    expect(ssh.getVar('WORD')).toBe('a b');
  });

  it('an undefined variable throws a TypeError before anything runs; without expandVars nothing is expanded', async () => {
    const ssh = await connect({ expandVars: true });
    expect(() => ssh.capture('echo %NOPE%')).toThrow(/^variable %NOPE% used in the command is not defined/);
    ssh.expandVars = false;
    expect(await ssh.capture('echo %NOPE%')).toBe('%NOPE%\n');
  });

  it('expands file options and transfer paths', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'osmux-expand-'));
    const ssh = await connect({ expandVars: true, vars: { DIR: dir } });
    const remote = (await ssh.capture('mktemp -d')).trim();
    try {
      await ssh.system('echo to-file', { stdoutFile: '%DIR%/out-%USER%.txt' });
      expect(readFileSync(join(dir, `out-${defaultUser()}.txt`), 'utf8')).toBe('to-file\n');
      writeFileSync(join(dir, 'in.txt'), 'fed\n');
      expect(await ssh.capture('cat', { stdinFile: '%DIR%/in.txt' })).toBe('fed\n');
      ssh.setVar('R', remote);
      await ssh.scpPut('%DIR%/in.txt', '%R%/copy-%HOST%.txt');
      expect(await ssh.capture(['cat', `${remote}/copy-127.0.0.1.txt`])).toBe('fed\n');
      await ssh.rsyncGet('%R%/copy-%HOST%.txt', '%DIR%/back.txt');
      expect(readFileSync(join(dir, 'back.txt'), 'utf8')).toBe('fed\n');
    } finally {
      ssh.expandVars = false;
      await ssh.capture(['rm', '-rf', remote]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('expands masterOpts at construction (ssh -G with the master options shows the value)', async () => {
    const ssh = await connect({ expandVars: true, vars: { ENVV: 'from-var' }, masterOpts: ['-o', 'SetEnv=OSMUX_X=%ENVV%-%PORT%'] });
    const config = await ssh.sshConfiguration();
    expect(JSON.stringify(config.setenv)).toContain(`OSMUX_X=from-var-${sshd().port}`);
    expect(await ssh.capture('echo ok')).toBe('ok\n');
  });
});
