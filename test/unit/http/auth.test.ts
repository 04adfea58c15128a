import crypto from 'node:crypto';
import { constantTimeEqual, parseBearer } from '../../../src/http';

describe('constantTimeEqual', () => {
  afterEach(() => jest.restoreAllMocks());

  it('is true only for the same value', () => {
    expect(constantTimeEqual('s3cret-token-value', 's3cret-token-value')).toBe(true);
    expect(constantTimeEqual('s3cret-token-value', 's3cret-token-valuf')).toBe(false);
    expect(constantTimeEqual('s3cret-token-value', 'S3cret-token-value')).toBe(false);
  });

  it('is false for prefixes, extensions and the empty string, without throwing on unequal lengths', () => {
    const secret = 'abcdefghijklmnop';
    expect(constantTimeEqual(secret.slice(0, -1), secret)).toBe(false);
    expect(constantTimeEqual(`${secret}q`, secret)).toBe(false);
    expect(constantTimeEqual('', secret)).toBe(false);
    expect(constantTimeEqual(secret, '')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
  });

  it('compares bytes: strings and Buffers of the same UTF-8 agree, other encodings do not', () => {
    expect(constantTimeEqual(Buffer.from('tökén'), 'tökén')).toBe(true);
    expect(constantTimeEqual(Buffer.from('tökén', 'latin1'), 'tökén')).toBe(false);
  });

  it('always hands crypto.timingSafeEqual two 32-byte digests, whatever the input lengths', () => {
    const spy = jest.spyOn(crypto, 'timingSafeEqual');
    constantTimeEqual('short', 'a much longer expected secret value');
    constantTimeEqual('x'.repeat(10_000), 'y');
    constantTimeEqual('same-length-aaaa', 'same-length-bbbb');
    expect(spy).toHaveBeenCalledTimes(3);
    for (const [a, b] of spy.mock.calls) {
      expect((a as Buffer).length).toBe(32);
      expect((b as Buffer).length).toBe(32);
    }
  });
});

describe('parseBearer', () => {
  it.each([
    ['Bearer abc.DEF-123_~+/=', 'abc.DEF-123_~+/='],
    ['bearer abc', 'abc'],
    ['BEARER abc', 'abc'],
    ['Bearer   abc  ', 'abc'],
  ])('reads %j', (header, token) => {
    expect(parseBearer(header)).toBe(token);
  });

  it.each([
    ['no header', undefined],
    ['empty', ''],
    ['scheme only', 'Bearer'],
    ['scheme and a space', 'Bearer '],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['no space after the scheme', 'Bearerabc'],
    ['two tokens', 'Bearer abc def'],
    ['characters a bearer token cannot hold', 'Bearer abc"def'],
    ['= in the middle', 'Bearer ab=c'],
  ])('refuses %s', (_title, header) => {
    expect(parseBearer(header)).toBeUndefined();
  });
});
