import { describe, expect, it } from 'vitest';
import { connect } from '../helpers/server.js';
import { expectTypeError } from '../helpers/expect-throw.js';

describe('argumentEncoding against the real sshd', () => {
  it("latin1: the remote command gets the single bytes, not UTF-8's", async () => {
    const ssh = await connect();
    const word = "caf\u00e9 it's 100%";
    const got = await ssh.capture(['printf', '%s', word], { argumentEncoding: 'latin1', encoding: 'buffer' });
    expect(got).toEqual(Buffer.from(word, 'latin1'));
    // Default: UTF-8.
    expect(await ssh.capture(['printf', '%s', word], { encoding: 'buffer' })).toEqual(Buffer.from(word, 'utf8'));
  });

  it('the constructor default applies to every command; a call can go back to utf8', async () => {
    const ssh = await connect({ argumentEncoding: 'latin1' });
    const dir = (await ssh.capture('mktemp -d')).trim();
    try {
      // A latin1 file name is created remotely, and found again by the same encoding.
      await ssh.run(['touch', `${dir}/\u00e9t\u00e9`]);
      const names = await ssh.capture(['ls', dir], { encoding: 'buffer' });
      expect(names).toEqual(Buffer.from('\u00e9t\u00e9\n', 'latin1'));
      expect(await ssh.test(['test', '-e', `${dir}/\u00e9t\u00e9`])).toBe(true);
      expect(await ssh.test(['test', '-e', `${dir}/\u00e9t\u00e9`], { argumentEncoding: 'utf8' })).toBe(false);
    } finally {
      await ssh.run(['rm', '-rf', dir]);
    }
  });

  it('bad values and impossible commands are immediate TypeErrors', async () => {
    const ssh = await connect();
    expectTypeError(() => ssh.capture('true', { argumentEncoding: 'utf16le' as never }), "option 'argumentEncoding' must be 'utf8', 'latin1' or 'ascii', received string \"utf16le\"");
    expectTypeError(() => ssh.capture(['echo', '\u20ac'], { argumentEncoding: 'latin1' }), /^option 'argumentEncoding' is 'latin1', but the command has the character U\+20AC at index \d+, which latin1 cannot encode$/);
    expectTypeError(() => ssh.capture(['echo', '\u00e9'], { argumentEncoding: 'latin1', remoteShell: 'csh' }), /^option 'argumentEncoding: 'latin1'' needs a POSIX remote shell .*remoteShell is 'csh'$/);
    expectTypeError(() => ssh.capture(['127.0.0.1', '22'], { tunnel: true, argumentEncoding: 'latin1' }), "option 'argumentEncoding' cannot be used with 'tunnel': no remote shell command is run");
  });
});
