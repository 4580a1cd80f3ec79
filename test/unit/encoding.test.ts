import { describe, expect, it } from 'vitest';
import { EncodingError, ErrorCode, OpenSSHError } from '../../src/errors/index.js';
import { decodeOutput, encodeInput } from '../../src/run/encoding.js';
import { expectThrow } from '../helpers/expect-throw.js';

const details = { host: 'h', command: 'cat' };

describe('encodeInput', () => {
  it('encodes strings as utf8 by default names', () => {
    expect(encodeInput(['ñ€😀'], 'utf8', details)).toEqual([Buffer.from([0xc3, 0xb1, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80])]);
    expect(encodeInput(['ñ'], 'UTF-8', details)).toEqual([Buffer.from([0xc3, 0xb1])]);
  });

  it("encodes strings as utf8 for 'buffer'", () => {
    expect(encodeInput(['ñ', 'a'], 'buffer', details)).toEqual([Buffer.from([0xc3, 0xb1]), Buffer.from('a')]);
  });

  it('passes bytes through, sharing memory', () => {
    const backing = new Uint8Array([1, 2, 3, 4, 5]);
    const view = backing.subarray(1, 4);
    const [out] = encodeInput([view], 'ascii', details);
    expect(Buffer.isBuffer(out)).toBe(true);
    expect([...out!]).toEqual([2, 3, 4]);
    backing[2] = 99;
    expect(out![1]).toBe(99);
  });

  it('rejects a character ascii cannot hold, naming it', () => {
    const e = expectThrow(() => encodeInput(['abc', 'xñ'], 'ascii', details), EncodingError);
    expect(e.code).toBe('OSSH_ENCODING_ERROR');
    expect(e.code).toBe(ErrorCode.ENCODING_ERROR);
    expect(e).toBeInstanceOf(OpenSSHError);
    expect(e.name).toBe('EncodingError');
    expect(e.encoding).toBe('ascii');
    expect(e.message).toBe('stdin data encoding failed: character U+00F1 at index 1 cannot be encoded as ascii');
    expect(e.host).toBe('h');
    expect(e.command).toBe('cat');
  });

  it('accepts every ascii character', () => {
    const all = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i)).join('');
    expect(encodeInput([all], 'ascii', details)[0]).toEqual(Buffer.from(Array.from({ length: 128 }, (_, i) => i)));
  });

  it('round-trips ñ through latin1', () => {
    const [buf] = encodeInput(['ñ'], 'latin1', details);
    expect(buf).toEqual(Buffer.from([0xf1]));
    expect(decodeOutput(buf!, Buffer.alloc(0), 'latin1', details)).toEqual({ stdout: 'ñ', stderr: '' });
  });

  it('rejects characters above U+00FF in latin1 and binary', () => {
    expectThrow(
      () => encodeInput(['€'], 'latin1', details),
      EncodingError,
      'stdin data encoding failed: character U+20AC at index 0 cannot be encoded as latin1',
    );
    expectThrow(
      () => encodeInput(['aĀ'], 'binary', details),
      EncodingError,
      'stdin data encoding failed: character U+0100 at index 1 cannot be encoded as binary',
    );
  });

  it('uses the encoding name as given in the message', () => {
    const e = expectThrow(() => encodeInput(['ñ'], 'ASCII', details), EncodingError);
    expect(e.message).toBe('stdin data encoding failed: character U+00F1 at index 0 cannot be encoded as ASCII');
    expect(e.encoding).toBe('ASCII');
  });

  it('rejects a lone surrogate in utf8 and utf16le', () => {
    expectThrow(
      () => encodeInput(['a\ud800'], 'utf8', details),
      EncodingError,
      'stdin data encoding failed: the string has a lone surrogate and cannot be encoded as utf8',
    );
    expectThrow(
      () => encodeInput(['\udc00'], 'ucs2', details),
      EncodingError,
      'stdin data encoding failed: the string has a lone surrogate and cannot be encoded as ucs2',
    );
    expectThrow(
      () => encodeInput(['\ud800'], 'buffer', details),
      EncodingError,
      'stdin data encoding failed: the string has a lone surrogate and cannot be encoded as buffer',
    );
  });

  it('encodes utf16le, hex and base64', () => {
    expect(encodeInput(['ñ'], 'utf16le', details)).toEqual([Buffer.from([0xf1, 0x00])]);
    expect(encodeInput(['ff00'], 'hex', details)).toEqual([Buffer.from([0xff, 0x00])]);
    expect(encodeInput(['AQI='], 'base64', details)).toEqual([Buffer.from([1, 2])]);
  });
});

describe('decodeOutput', () => {
  it("returns the Buffers themselves for 'buffer'", () => {
    const out = Buffer.from([0xff, 0x00]);
    const err = Buffer.from([0xfe]);
    const r = decodeOutput(out, err, 'buffer', details);
    expect(r.stdout).toBe(out);
    expect(r.stderr).toBe(err);
  });

  it('decodes valid utf8', () => {
    expect(decodeOutput(Buffer.from('ñ😀\n'), Buffer.from('warn'), 'utf8', details)).toEqual({ stdout: 'ñ😀\n', stderr: 'warn' });
    expect(decodeOutput(Buffer.from('ñ'), Buffer.alloc(0), 'utf-8', details)).toEqual({ stdout: 'ñ', stderr: '' });
  });

  it('rejects invalid utf8 in stdout, carrying the raw Buffers', () => {
    const stdout = Buffer.from([0xff]);
    const stderr = Buffer.from('fine');
    const e = expectThrow(() => decodeOutput(stdout, stderr, 'utf8', details), EncodingError);
    expect(e.code).toBe('OSSH_ENCODING_ERROR');
    expect(e.encoding).toBe('utf8');
    expect(e.message).toBe("output decoding failed: stdout is not valid utf8 (use encoding: 'buffer' or 'latin1' for binary output)");
    expect(e.stdout).toBe(stdout);
    expect(e.stderr).toBe(stderr);
    expect(e.host).toBe('h');
    expect(e.command).toBe('cat');
  });

  it('rejects invalid utf8 in stderr, naming stderr', () => {
    const stdout = Buffer.from('ok');
    const stderr = Buffer.from([0x61, 0xc3]); // truncated sequence
    const e = expectThrow(() => decodeOutput(stdout, stderr, 'utf8', details), EncodingError);
    expect(e.message).toBe("output decoding failed: stderr is not valid utf8 (use encoding: 'buffer' or 'latin1' for binary output)");
    expect(e.stdout).toBe(stdout);
    expect(e.stderr).toBe(stderr);
  });

  it('rejects bytes above 0x7f in ascii', () => {
    const e = expectThrow(() => decodeOutput(Buffer.from([0x41, 0x80]), Buffer.alloc(0), 'ascii', details), EncodingError);
    expect(e.message).toBe("output decoding failed: stdout is not valid ascii (use encoding: 'buffer' or 'latin1' for binary output)");
    expect(decodeOutput(Buffer.from([0x41, 0x7f]), Buffer.alloc(0), 'ascii', details).stdout).toBe('A\x7f');
  });

  it('rejects an odd number of bytes in utf16le', () => {
    const e = expectThrow(() => decodeOutput(Buffer.from([0x41]), Buffer.alloc(0), 'utf16le', details), EncodingError);
    expect(e.message).toBe("output decoding failed: stdout is not valid utf16le (use encoding: 'buffer' or 'latin1' for binary output)");
    expect(decodeOutput(Buffer.from([0x41, 0x00]), Buffer.alloc(0), 'utf16le', details).stdout).toBe('A');
  });

  it('decodes any bytes with latin1 and hex', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const r = decodeOutput(all, Buffer.alloc(0), 'latin1', details);
    expect(r.stdout).toBe(Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join(''));
    expect(decodeOutput(Buffer.from([0xde, 0xad]), Buffer.from([0xff]), 'hex', details)).toEqual({ stdout: 'dead', stderr: 'ff' });
  });
});
