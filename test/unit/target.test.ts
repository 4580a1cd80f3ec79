import { describe, expect, it } from 'vitest';
import { parseTarget, type ParsedTarget } from '../../src/options/target.js';
import { expectTypeError } from '../helpers/expect-throw.js';

/** The full TypeError text parseTarget throws for a malformed target. */
function badTarget(target: string, why: string): string {
  return (
    `bad target ${JSON.stringify(target)}: ${why}; expected [user[:password]@]host[:port], ` +
    'with IPv6 literals bare (fe80::1) or in brackets ([fe80::1%eth0]:22)'
  );
}

function plain(host: string, extra: Partial<ParsedTarget> = {}): ParsedTarget {
  return { host, hostSquared: host, user: undefined, password: undefined, port: undefined, ipv6: false, ...extra };
}

describe('parseTarget: Net::OpenSSH t/uri.t vectors', () => {
  // [target, user, password, host]
  const vectors: Array<[string, string | undefined, string | undefined, string]> = [
    ['foo@bar', 'foo', undefined, 'bar'],
    ['foo@bar.com', 'foo', undefined, 'bar.com'],
    ['bar', undefined, undefined, 'bar'],
    ['foo:bar@doz', 'foo', 'bar', 'doz'],
    ['foo@bar@doz', 'foo@bar', undefined, 'doz'],
    ['foo:metapun@doz', 'foo', 'metapun', 'doz'],
    ['foo:meta@pun@doz', 'foo', 'meta@pun', 'doz'],
    ['foo:meta:pun@doz', 'foo', 'meta:pun', 'doz'],
    ['foo:meta:p@un@doz', 'foo', 'meta:p@un', 'doz'],
    ['foo:met@a:pun@doz', 'foo', 'met@a:pun', 'doz'],
    ['foo:met@a:p@un@doz', 'foo', 'met@a:p@un', 'doz'],
    ['foo@bar:meta@pun@doz', 'foo@bar', 'meta@pun', 'doz'],
    ['foo@bar:meta:pun@doz', 'foo@bar', 'meta:pun', 'doz'],
    ['foo@bar:meta:p@un@doz', 'foo@bar', 'meta:p@un', 'doz'],
    ['foo@bar:met@a:pun@doz', 'foo@bar', 'met@a:pun', 'doz'],
    ['foo@bar:met@a:p@un@doz', 'foo@bar', 'met@a:p@un', 'doz'],
    ['username@SAMBA.MYDOMAIN.COM@myhost.mydomain.com', 'username@SAMBA.MYDOMAIN.COM', undefined, 'myhost.mydomain.com'],
  ];

  it.each(vectors)('%s', (target, user, password, host) => {
    expect(parseTarget(target)).toEqual(plain(host, { user, password }));
  });
});

describe('parseTarget: ports and spaces', () => {
  it('reads a port as a number', () => {
    const t = parseTarget('host:22');
    expect(t).toEqual(plain('host', { port: 22 }));
    expect(typeof t.port).toBe('number');
  });

  it('reads user, password and port together', () => {
    expect(parseTarget('me:s3cret@example.org:2222')).toEqual(
      plain('example.org', { user: 'me', password: 's3cret', port: 2222 }),
    );
  });

  it('reads an IPv4 address with a port', () => {
    expect(parseTarget('root@192.168.1.10:8022')).toEqual(plain('192.168.1.10', { user: 'root', port: 8022 }));
  });

  it('accepts the port bounds 1 and 65535', () => {
    expect(parseTarget('h:1').port).toBe(1);
    expect(parseTarget('h:65535').port).toBe(65535);
  });

  it('ignores spaces, tabs and newlines around the target', () => {
    expect(parseTarget('  foo@bar:22  ')).toEqual(plain('bar', { user: 'foo', port: 22 }));
    expect(parseTarget('\tbar\n')).toEqual(plain('bar'));
  });

  it('keeps an empty password after the colon', () => {
    expect(parseTarget('foo:@bar')).toEqual(plain('bar', { user: 'foo', password: '' }));
  });
});

describe('parseTarget: IPv6', () => {
  it('takes a bare ::1 as a host without port', () => {
    expect(parseTarget('::1')).toEqual({
      host: '::1',
      hostSquared: '[::1]',
      user: undefined,
      password: undefined,
      port: undefined,
      ipv6: true,
    });
  });

  it('takes a bare link-local address with a user', () => {
    expect(parseTarget('foo@fe80::1:f6ff:fe01:47')).toEqual({
      host: 'fe80::1:f6ff:fe01:47',
      hostSquared: '[fe80::1:f6ff:fe01:47]',
      user: 'foo',
      password: undefined,
      port: undefined,
      ipv6: true,
    });
  });

  it('takes a bracketed address with a port', () => {
    expect(parseTarget('[::1]:2222')).toEqual({
      host: '::1',
      hostSquared: '[::1]',
      user: undefined,
      password: undefined,
      port: 2222,
      ipv6: true,
    });
  });

  it('takes a bracketed address without a port', () => {
    expect(parseTarget('[fe80::1:f6ff:fe01:47]')).toMatchObject({
      host: 'fe80::1:f6ff:fe01:47',
      hostSquared: '[fe80::1:f6ff:fe01:47]',
      port: undefined,
      ipv6: true,
    });
  });

  it('keeps the zone of a bracketed address, with user and port', () => {
    expect(parseTarget('foo@[fe80::1:f6ff:fe01:47%eth0]:2222')).toEqual({
      host: 'fe80::1:f6ff:fe01:47%eth0',
      hostSquared: '[fe80::1:f6ff:fe01:47%eth0]',
      user: 'foo',
      password: undefined,
      port: 2222,
      ipv6: true,
    });
  });

  it('does not flag a host name or IPv4 address as IPv6', () => {
    expect(parseTarget('example.com').ipv6).toBe(false);
    expect(parseTarget('10.0.0.1').ipv6).toBe(false);
    expect(parseTarget('10.0.0.1').hostSquared).toBe('10.0.0.1');
  });
});

describe('parseTarget: defaults', () => {
  const defaults = { user: 'duser', port: 2200, password: 'dpw' };

  it('fills user, port and password when the target lacks them', () => {
    expect(parseTarget('bar', defaults)).toEqual(plain('bar', { user: 'duser', password: 'dpw', port: 2200 }));
  });

  it('prefers the parts found in the target', () => {
    expect(parseTarget('foo:pw@bar:22', defaults)).toEqual(plain('bar', { user: 'foo', password: 'pw', port: 22 }));
  });

  it('uses each default independently', () => {
    expect(parseTarget('foo@bar', defaults)).toEqual(plain('bar', { user: 'foo', password: 'dpw', port: 2200 }));
    expect(parseTarget('bar:22', defaults)).toEqual(plain('bar', { user: 'duser', password: 'dpw', port: 22 }));
  });

  it('accepts a numeric string as the default port', () => {
    expect(parseTarget('bar', { port: '2022' }).port).toBe(2022);
  });

  it('accepts an empty default password', () => {
    expect(parseTarget('bar', { password: '' }).password).toBe('');
  });

  it('does not validate a default port the target overrides', () => {
    expect(parseTarget('bar:22', { port: 'nope' }).port).toBe(22);
  });

  it('fills defaults for an IPv6 target too', () => {
    expect(parseTarget('[::1]', { user: 'u', port: 10 })).toMatchObject({ host: '::1', user: 'u', port: 10, ipv6: true });
  });
});

describe('parseTarget: errors', () => {
  it('rejects an empty target', () => {
    expectTypeError(
      () => parseTarget(''),
      'bad target "": the host is empty; expected [user[:password]@]host[:port], ' +
        'with IPv6 literals bare (fe80::1) or in brackets ([fe80::1%eth0]:22)',
    );
  });

  it('rejects a target of spaces only', () => {
    expectTypeError(() => parseTarget('   '), badTarget('   ', 'the host is empty'));
  });

  it('rejects an empty host after the user', () => {
    expectTypeError(() => parseTarget('foo@'), badTarget('foo@', 'the host is empty'));
  });

  it('rejects an empty user', () => {
    expectTypeError(() => parseTarget('@bar'), badTarget('@bar', 'the user part is empty'));
    // The password is hidden from the message.
    expectTypeError(() => parseTarget(':pw@bar'), badTarget(':***@bar', 'the user part is empty'));
  });

  it('rejects a non-numeric port', () => {
    expectTypeError(() => parseTarget('bar:ssh'), badTarget('bar:ssh', 'the port "ssh" is not a number'));
    expectTypeError(() => parseTarget('[::1]:x22'), badTarget('[::1]:x22', 'the port "x22" is not a number'));
  });

  it('rejects a port out of range', () => {
    expectTypeError(
      () => parseTarget('bar:0'),
      'option \'port\' must be an integer port between 1 and 65535, received string "0"',
    );
    expectTypeError(
      () => parseTarget('bar:65536'),
      'option \'port\' must be an integer port between 1 and 65535, received string "65536"',
    );
  });

  it('rejects a trailing colon', () => {
    expectTypeError(() => parseTarget('bar:'), badTarget('bar:', 'cannot read host[:port] from "bar:"'));
  });

  it('rejects two ports', () => {
    expectTypeError(() => parseTarget('bar:22:23'), badTarget('bar:22:23', 'cannot read host[:port] from "bar:22:23"'));
  });

  it('rejects bracket content that is not IPv6', () => {
    expectTypeError(
      () => parseTarget('foo@[not-v6]:22'),
      badTarget('foo@[not-v6]:22', 'not-v6 in brackets is not an IPv6 address'),
    );
    expectTypeError(
      () => parseTarget('[10.0.0.1]'),
      badTarget('[10.0.0.1]', '10.0.0.1 in brackets is not an IPv6 address'),
    );
  });

  it('rejects an unclosed bracket', () => {
    expectTypeError(() => parseTarget('[::1'), badTarget('[::1', 'cannot read host[:port] from "[::1"'));
  });

  it('rejects white space inside the host', () => {
    expectTypeError(() => parseTarget('foo bar'), badTarget('foo bar', 'the host contains white space'));
    expectTypeError(
      () => parseTarget('[fe80::1%et h0]'),
      badTarget('[fe80::1%et h0]', 'the host contains white space'),
    );
  });

  it('rejects a non-string target', () => {
    expectTypeError(
      () => parseTarget(42 as unknown as string),
      'option \'target\' must be a string like "user@host:port", received number 42',
    );
    expectTypeError(
      () => parseTarget(undefined as unknown as string),
      'option \'target\' must be a string like "user@host:port", received undefined',
    );
    expectTypeError(
      () => parseTarget(null as unknown as string),
      'option \'target\' must be a string like "user@host:port", received null',
    );
  });

  it('rejects a bad default port', () => {
    expectTypeError(
      () => parseTarget('bar', { port: 'abc' }),
      'option \'port\' must be an integer port between 1 and 65535, received string "abc"',
    );
    expectTypeError(
      () => parseTarget('bar', { port: 70000 }),
      "option 'port' must be an integer port between 1 and 65535, received number 70000",
    );
    expectTypeError(
      () => parseTarget('bar', { port: 22.5 }),
      "option 'port' must be an integer port between 1 and 65535, received number 22.5",
    );
  });

  it('rejects an empty default user', () => {
    expectTypeError(
      () => parseTarget('bar', { user: '' }),
      'option \'user\' must be a non-empty string, received string ""',
    );
  });
});
