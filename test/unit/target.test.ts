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

  it('refuses a numeric string as the default port', () => {
    expectTypeError(
      () => parseTarget('bar', { port: '2022' as unknown as number }),
      'option \'port\' must be an integer port between 1 and 65535 (a number, not a string), received string "2022"',
    );
  });

  it('accepts an empty default password', () => {
    expect(parseTarget('bar', { password: '' }).password).toBe('');
  });

  it('does not validate a default port the target overrides', () => {
    expect(parseTarget('bar:22', { port: 'nope' as unknown as number }).port).toBe(22);
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
    expectTypeError(() => parseTarget('bar:0'), badTarget('bar:0', 'the port 0 is not from 1 to 65535'));
    expectTypeError(() => parseTarget('bar:65536'), badTarget('bar:65536', 'the port 65536 is not from 1 to 65535'));
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
      () => parseTarget('bar', { port: 'abc' as unknown as number }),
      'option \'port\' must be an integer port between 1 and 65535 (a number, not a string), received string "abc"',
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

describe('parseTarget: hosts and users ssh could misread', () => {
  const USER_FORM = "a user name (not starting with '-', without white space, control characters or bidi controls)";

  it("refuses a host starting with '-' (ssh would read it as an option)", () => {
    const why = "the host starts with '-', which ssh would read as an option";
    expectTypeError(() => parseTarget('-V'), badTarget('-V', why));
    expectTypeError(() => parseTarget('-oProxyCommand=x'), badTarget('-oProxyCommand=x', why));
    expectTypeError(() => parseTarget('me@-V:22'), badTarget('me@-V:22', why));
  });

  it("refuses a user starting with '-'", () => {
    expectTypeError(
      () => parseTarget('-oProxyCommand=x@host'),
      badTarget('-oProxyCommand=x@host', "the user starts with '-', which ssh would read as an option"),
    );
  });

  it('refuses NUL, white space and control characters in the host', () => {
    expectTypeError(() => parseTarget('ho\0st'), badTarget('ho\0st', 'the host contains a NUL byte'));
    expectTypeError(() => parseTarget('ho\tst'), badTarget('ho\tst', 'the host contains white space'));
    expectTypeError(() => parseTarget('ho\u00a0st'), badTarget('ho\u00a0st', 'the host contains white space'));
    expectTypeError(() => parseTarget('ho\x07st'), badTarget('ho\x07st', 'the host contains the control character U+0007'));
    // C1 controls are escaped in the message too (JSON.stringify alone leaves them raw).
    expectTypeError(
      () => parseTarget('ho\x85st'),
      'bad target "ho\\u0085st": the host contains the control character U+0085; expected [user[:password]@]host[:port], ' +
        'with IPv6 literals bare (fe80::1) or in brackets ([fe80::1%eth0]:22)',
    );
  });

  it('refuses Unicode bidi controls, escaped in the message so it cannot be reordered', () => {
    const tail = '; expected [user[:password]@]host[:port], with IPv6 literals bare (fe80::1) or in brackets ([fe80::1%eth0]:22)';
    expectTypeError(
      () => parseTarget('evil\u202emoc.example'),
      `bad target "evil\\u202emoc.example": the host contains the Unicode bidi control U+202E${tail}`,
    );
    for (const c of [0x202a, 0x202b, 0x202c, 0x202d, 0x2066, 0x2067, 0x2068, 0x2069, 0x200e, 0x200f]) {
      const ch = String.fromCharCode(c);
      const hex = c.toString(16);
      expectTypeError(
        () => parseTarget(`a${ch}b`),
        `bad target "a\\u${hex}b": the host contains the Unicode bidi control U+${hex.toUpperCase()}${tail}`,
      );
    }
    expectTypeError(
      () => parseTarget('r\u200foot@host'),
      `bad target "r\\u200foot@host": the user contains the Unicode bidi control U+200F${tail}`,
    );
  });

  it('refuses shell metacharacters in the host (ProxyCommand substitutes %h unquoted)', () => {
    expectTypeError(() => parseTarget('host;id'), badTarget('host;id', 'the host contains the shell metacharacter ";"'));
    expectTypeError(() => parseTarget('$(id)'), badTarget('$(id)', 'the host contains the shell metacharacter "$"'));
  });

  it('refuses a host longer than a DNS name can be', () => {
    const long = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`;
    expect(long.length).toBe(254);
    expectTypeError(() => parseTarget(long), badTarget(long, 'the host is 254 characters long, more than the 253 of the longest DNS name'));
    const label = `${'a'.repeat(64)}.example.com`;
    expectTypeError(() => parseTarget(label), badTarget(label, 'the host has a label of 64 characters, more than the 63 DNS allows between dots'));
  });

  it('accepts the longest DNS names, ssh_config aliases, IDN names and IPv6 zones', () => {
    const longest = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    expect(parseTarget(longest).host).toBe(longest);
    expect(parseTarget('my_alias-2').host).toBe('my_alias-2');
    expect(parseTarget('bücher.example').host).toBe('bücher.example');
    expect(parseTarget('me@[fe80::1%eth0]:22').host).toBe('fe80::1%eth0');
    expect(parseTarget('DOMAIN\\user@host').user).toBe('DOMAIN\\user');
  });

  it('refuses a bad default user, naming the option', () => {
    expectTypeError(() => parseTarget('bar', { user: 'a b' }), `option 'user' must be ${USER_FORM}, received string "a b": the user contains white space`);
    expectTypeError(
      () => parseTarget('bar', { user: '-oProxyCommand=x' }),
      `option 'user' must be ${USER_FORM}, received string "-oProxyCommand=x": the user starts with '-', which ssh would read as an option`,
    );
    expectTypeError(
      () => parseTarget('bar', { user: 'ro\u202eot' }),
      `option 'user' must be ${USER_FORM}, received string "ro\\u202eot": the user contains the Unicode bidi control U+202E`,
    );
  });
});

describe('isIPv6Literal', () => {
  it('agrees with net.isIPv6 on literals and non-literals alike', async () => {
    const { isIPv6 } = await import('node:net');
    const { isIPv6Literal } = await import('../../src/options/host.js');
    const cases = ['::', '::1', 'fe80::1%eth0', '2001:db8::8:800:200c:417a', '::ffff:192.0.2.1', '1:2:3:4:5:6:7:8', '127.0.0.1', 'host', 'host:22', ':', 'a:b', ':::', '1:2:3:4:5:6:7:8:9', ''];
    for (const c of cases) expect([c, isIPv6Literal(c)]).toEqual([c, isIPv6(c)]);
  });
});
