import { ConfigError } from '../../../src/config';
import { MIN_INTAKE_TOKEN_LENGTH, readIntakeToken } from '../../../src/http';

const GOOD = 'Zm9vYmFyYmF6cXV4cXV1eA==';

function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('readIntakeToken', () => {
  it('is undefined when neither variable is set, or both are empty (the intake is then disabled)', () => {
    expect(readIntakeToken({ env: {} })).toBeUndefined();
    expect(
      readIntakeToken({ env: { FLEXYSYNC_INTAKE_TOKEN: '', FLEXYSYNC_INTAKE_TOKEN_FILE: '' } }),
    ).toBeUndefined();
  });

  it('reads FLEXYSYNC_INTAKE_TOKEN', () => {
    expect(readIntakeToken({ env: { FLEXYSYNC_INTAKE_TOKEN: GOOD } })).toBe(GOOD);
  });

  it('reads the file named by FLEXYSYNC_INTAKE_TOKEN_FILE, without its trailing newline', () => {
    const read: string[] = [];
    const token = readIntakeToken({
      env: { FLEXYSYNC_INTAKE_TOKEN_FILE: '/run/secrets/intake' },
      readFile: (path) => {
        read.push(path);
        return `${GOOD}\r\n`;
      },
    });
    expect(token).toBe(GOOD);
    expect(read).toEqual(['/run/secrets/intake']);
  });

  it('refuses both variables at once', () => {
    expect(
      problemsOf(() =>
        readIntakeToken({ env: { FLEXYSYNC_INTAKE_TOKEN: GOOD, FLEXYSYNC_INTAKE_TOKEN_FILE: '/x' } }),
      ),
    ).toEqual([
      'FLEXYSYNC_INTAKE_TOKEN and FLEXYSYNC_INTAKE_TOKEN_FILE (environment): set one of them, not both',
    ]);
  });

  it('refuses an unreadable or empty file', () => {
    const missing = problemsOf(() =>
      readIntakeToken({
        env: { FLEXYSYNC_INTAKE_TOKEN_FILE: '/nope' },
        readFile: () => {
          throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
        },
      }),
    );
    expect(missing).toEqual(["FLEXYSYNC_INTAKE_TOKEN_FILE (environment): cannot read '/nope' (ENOENT)"]);
    const empty = problemsOf(() =>
      readIntakeToken({ env: { FLEXYSYNC_INTAKE_TOKEN_FILE: '/empty' }, readFile: () => '\n' }),
    );
    expect(empty).toEqual(["FLEXYSYNC_INTAKE_TOKEN_FILE ('/empty') (environment): the file is empty"]);
  });

  it(`refuses a token shorter than ${MIN_INTAKE_TOKEN_LENGTH} characters, without quoting it`, () => {
    const short = 'abc123';
    const problems = problemsOf(() => readIntakeToken({ env: { FLEXYSYNC_INTAKE_TOKEN: short } }));
    expect(problems).toEqual([
      expect.stringMatching(/^FLEXYSYNC_INTAKE_TOKEN \(environment\): the token must be at least 16/),
    ]);
    expect(problems.join('\n')).not.toContain(short);
    expect(
      readIntakeToken({ env: { FLEXYSYNC_INTAKE_TOKEN: 'a'.repeat(MIN_INTAKE_TOKEN_LENGTH) } }),
    ).toHaveLength(16);
  });

  it('refuses a token a Bearer header cannot carry (spaces, quotes, non-ASCII)', () => {
    for (const token of ['with a space in it ok?', 'quote"quote"quote"', 'tökén-tökén-tökén-x']) {
      const problems = problemsOf(() => readIntakeToken({ env: { FLEXYSYNC_INTAKE_TOKEN: token } }));
      expect(problems).toEqual([expect.stringMatching(/may only hold letters, digits/)]);
      expect(problems.join('\n')).not.toContain(token);
    }
  });
});
