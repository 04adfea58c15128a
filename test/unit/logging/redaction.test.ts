import { Writable } from 'node:stream';
import { createLogger } from '../../../src/logging';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', destination }) };
}

class EntryError extends Error {
  constructor(
    readonly unitId: number,
    readonly idNumber: string,
  ) {
    super(`entry trouble on unit ${unitId}`);
  }
}

describe('log redaction', () => {
  it.each([
    ['a PIN', { pin: '583920' }, '583920'],
    ['a codeTag in a request body', { body: { codeTag: '583920' } }, '583920'],
    ['a codeTag two levels down', { req: { body: { codeTag: '583920' } } }, '583920'],
    ['a password', { flexykey: { password: 'hunter2-secret' } }, 'hunter2-secret'],
    ['a bearer token', { token: 'tok-abcdef' }, 'tok-abcdef'],
    ['an Authorization header', { headers: { authorization: 'Basic dXNlcjpwYXNz' } }, 'dXNlcjpwYXNz'],
    ['an X-Api-Key header', { headers: { 'x-api-key': 'key-123456' } }, 'key-123456'],
    ['a nested X-Api-Key header', { req: { headers: { 'x-api-key': 'key-123456' } } }, 'key-123456'],
    ["a guest's phone", { event: { guest: { phone: '+46703918274' } } }, '46703918274'],
    ['an idNumber', { entry: { idNumber: '+46703918274' } }, '46703918274'],
  ])('censors %s', (_what, fields, secret) => {
    const { lines, logger } = capture();
    logger.info(fields, 'something happened');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(secret);
    expect(lines[0]).toContain('[redacted]');
  });

  it("censors an error's own fields: an error carrying an idNumber logged as err", () => {
    const { lines, logger } = capture();
    logger.error({ err: new EntryError(7001, '+46703918274') }, 'booking failed');
    expect(lines[0]).not.toContain('46703918274');
    // The rest of the error is kept: it is what an operator needs.
    expect(lines[0]).toContain('entry trouble on unit 7001');
    expect(lines[0]).toContain('"unitId":7001');
  });

  it('keeps what is not secret', () => {
    const { lines, logger } = capture();
    logger.info({ booking: 'pms/R-1', unitId: 7001, entryId: 42 }, 'applied');
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ booking: 'pms/R-1', unitId: 7001, entryId: 42 });
  });
});
