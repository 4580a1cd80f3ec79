import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MasterError, OpenSSH } from '../../src/index.js';
import { alive, waitGone } from '../helpers/processes.js';
import { connect, target, track } from '../helpers/server.js';
import { expectTypeError, rejection } from '../helpers/expect-throw.js';

describe('masterExited()', () => {
  it('a master killed outside: the object stops using it at once, with a sticky MasterError', async () => {
    const ssh = await connect();
    const pid = ssh.masterPid!;
    const ctl = ssh.ctlPath!;
    process.kill(pid, 'SIGKILL');
    ssh.masterExited();
    expect(ssh.state).toBe('gone');
    expect(ssh.error).toBeInstanceOf(MasterError);
    expect(ssh.error!.code).toBe('OSSH_MASTER_FAILED');
    expect((ssh.error as MasterError).reason).toBe('exited');
    expect(ssh.error!.message).toBe(`unable to establish or keep the master SSH connection to ${ssh.host}: the master was reported gone by masterExited(): the object no longer uses it`);
    const e = await rejection<MasterError>(ssh.capture('true'));
    expect(e).toBe(ssh.error);
    expect(existsSync(ctl)).toBe(false);
    expect(await waitGone(pid)).toBe(true);
    // restart() logs in again.
    await ssh.restart();
    expect(await ssh.capture('echo back')).toBe('back\n');
    await ssh.disconnect();
  });

  it('on an external master: the object lets go of it and never signals it; the owner keeps working', async () => {
    const owner = await connect();
    const ext = track(new OpenSSH(target(), { externalMaster: true, ctlPath: owner.ctlPath! }));
    expect(await ext.capture('echo via-ext')).toBe('via-ext\n');
    ext.masterExited();
    expect((await rejection<MasterError>(ext.capture('true'))).reason).toBe('exited');
    await ext.disconnect();
    expect(alive(owner.masterPid!)).toBe(true);
    expect(await owner.capture('echo owner')).toBe('owner\n');
  });

  it('a second call, or one after disconnect(), changes nothing', async () => {
    const ssh = await connect();
    await ssh.disconnect();
    const before = ssh.error;
    ssh.masterExited();
    ssh.masterExited();
    expect(ssh.error).toBe(before);
    expect((ssh.error as MasterError).reason).toBe('disconnected');
  });
});

describe('makeRemoteCommandString()', () => {
  it('one string for a local shell that runs the command', async () => {
    const ssh = await connect();
    const words = ['printf', '%s|', 'a b', "it's", '$HOME'];
    const line = await ssh.makeRemoteCommandString(words);
    const argv = await ssh.makeRemoteCommand(words);
    expect(line.startsWith(argv[0]!)).toBe(true);
    expect(execSync(line, { encoding: 'utf8', shell: '/bin/sh' })).toBe("a b|it's|$HOME|");
  });

  it('throws like makeRemoteCommand: bad options are an immediate TypeError', async () => {
    const ssh = await connect();
    expectTypeError(() => ssh.makeRemoteCommandString('true', { tty: 'yes' as never }), "option 'tty' must be a boolean, received string \"yes\"");
  });
});
