import { describe, expect, it } from 'vitest';
import { expandVars, protectVars } from '../../src/expand/expand.js';
import { Variables } from '../../src/expand/vars.js';
import { OpenSSH, glob, raw } from '../../src/index.js';

const vars: Record<string, string> = { HOST: 'localhost', ID: '42', LABEL: 'web1' };
const lookup = (n: string) => vars[n];

describe('expandVars()', () => {
  it('replaces %NAME% and %% as Net::OpenSSH does', () => {
    expect(expandVars('echo %HOST%-%ID%-%%', lookup)).toBe('echo localhost-42-%');
    expect(expandVars('ls >/tmp/ls.out-%HOST%-%ID%', lookup)).toBe('ls >/tmp/ls.out-localhost-42');
    expect(expandVars('100%% %%%% %LABEL%%%', lookup)).toBe('100% %% web1%');
  });

  it('leaves a % that does not start a %NAME% alone', () => {
    expect(expandVars('date +%Y-%m-%d', lookup)).toBe('date +%Y-%m-%d');
    expect(expandVars('50% done', lookup)).toBe('50% done');
    expect(expandVars('%', lookup)).toBe('%');
    expect(expandVars('no percent', lookup)).toBe('no percent');
  });

  it('an undefined variable is a TypeError naming it, never an empty string', () => {
    expect(() => expandVars('echo %NOPE%', lookup, 'the command')).toThrow(
      new TypeError(
        'variable %NOPE% used in the command is not defined: set it with vars: { NOPE: ... } or setVar(\'NOPE\', ...), or write %% for a literal % (received "echo %NOPE%")',
      ),
    );
    // A name is case-sensitive.
    expect(() => expandVars('%host%', lookup)).toThrow(TypeError);
  });

  it('protectVars() escapes so that expansion gives the text back', () => {
    for (const s of ['a%b', '%%', '%HOST%', '100%', '']) expect(expandVars(protectVars(s), () => undefined)).toBe(s);
    expect(protectVars('%HOST%')).toBe('%%HOST%%');
  });
});

describe('Variables', () => {
  it('HOST, USER and PORT come from the target; setVar refuses them', () => {
    const v = Variables.forConnection('deploy@web1:2222', { expandVars: true, vars: { ID: 42 } });
    expect(v.get('HOST')).toBe('web1');
    expect(v.get('USER')).toBe('deploy');
    expect(v.get('PORT')).toBe('2222');
    expect(v.get('ID')).toBe('42');
    expect(v.get('NOPE')).toBeUndefined();
    expect(() => v.set('HOST', 'x')).toThrow(new TypeError('setVar() cannot set HOST: HOST, USER and PORT come from the connection target'));
    expect(() => v.set('a-b', 'x')).toThrow(new TypeError('setVar() takes a variable name made of letters, digits and \'_\', received "a-b"'));
    expect(() => v.set('X', {})).toThrow(new TypeError('setVar(): the value of variable X must be a string or a finite number, received object'));
  });

  it('the user and port options count when the target has none; no user means %USER% is undefined', () => {
    expect(Variables.forConnection('h', { user: 'u', port: 22 }).get('USER')).toBe('u');
    expect(Variables.forConnection('h', { port: 22 }).get('PORT')).toBe('22');
    const v = Variables.forConnection('h', { expandVars: true });
    expect(v.get('USER')).toBeUndefined();
    expect(() => v.command('echo %USER%')).toThrow(/variable %USER% used in the command is not defined/);
  });

  it('expands command words, raw and glob markers, and leaves numbers', () => {
    const v = Variables.forConnection('web1', { expandVars: true, vars: { D: '/srv' } });
    const out = v.command(['ls', '%D%/%HOST%', raw('>%D%/x'), glob('%D%/*.log'), 7]) as unknown[];
    expect(out[0]).toBe('ls');
    expect(out[1]).toBe('/srv/web1');
    expect((out[2] as { value: string }).value).toBe('>/srv/x');
    expect((out[3] as { value: string }).value).toBe('/srv/*.log');
    expect(out[4]).toBe(7);
  });

  it('does nothing while disabled (the default)', () => {
    const v = Variables.forConnection('web1', {});
    expect(v.enabled).toBe(false);
    expect(v.command('echo %NOPE%')).toBe('echo %NOPE%');
    expect(v.paths('%X%', '%Y%')).toEqual(['%X%', '%Y%']);
  });

  it('expands the file options, sshOpts, transfer paths and the connection options', () => {
    const v = Variables.forConnection('u@web1', { expandVars: true });
    expect(v.callOptions({ stdinFile: 'in-%HOST%', stdoutFile: { path: 'o-%USER%', append: true }, stderrFile: 'e%%', sshOpts: ['-o', 'SetEnv=H=%HOST%'] })).toEqual({
      stdinFile: 'in-web1',
      stdoutFile: { path: 'o-u', append: true },
      stderrFile: 'e%',
      sshOpts: ['-o', 'SetEnv=H=web1'],
    });
    expect(v.paths(['/var/log/%HOST%.log', 'b'], './%USER%/')).toEqual([['/var/log/web1.log', 'b'], './u/']);
    expect(v.connectionOptions({ ctlDir: '/tmp/%HOST%', masterOpts: ['-o', 'SetEnv=X=%USER%'], expandVars: true })).toEqual({
      ctlDir: '/tmp/web1',
      masterOpts: ['-o', 'SetEnv=X=u'],
      expandVars: true,
    });
  });

  it('bad expandVars and vars options are TypeErrors naming them', () => {
    expect(() => Variables.forConnection('h', { expandVars: 'yes' as unknown as boolean })).toThrow(new TypeError('option \'expandVars\' must be a boolean, received "yes"'));
    expect(() => Variables.forConnection('h', { vars: [] as unknown as Record<string, string> })).toThrow(
      new TypeError("option 'vars' must be an object of variable names to strings or numbers, e.g. { ID: 42 }, received an array"),
    );
    expect(() => Variables.forConnection('h', { vars: { HOST: 'x' } })).toThrow(new TypeError("option 'vars' cannot set HOST: HOST, USER and PORT come from the connection target"));
  });
});

describe('OpenSSH expandVars, setVar, getVar, shellQuote', () => {
  it('expands in shellQuote() only when enabled, and the accessors work without connecting', () => {
    const ssh = new OpenSSH('deploy@web1:2222', { connect: false, expandVars: true, vars: { ID: 42 } });
    expect(ssh.expandVars).toBe(true);
    expect(ssh.getVar('ID')).toBe('42');
    ssh.setVar('ID', 'x y');
    expect(ssh.shellQuote('%HOST%', '%ID%', '100%%')).toBe("web1 'x y' '100%'");
    ssh.expandVars = false;
    expect(ssh.shellQuote('%HOST%')).toBe("'%HOST%'");
    expect(OpenSSH.shellQuote('%HOST%')).toBe("'%HOST%'");
  });
});
