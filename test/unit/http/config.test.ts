import { CONFIG_DEFAULTS, ConfigError, parseConfig } from '../../../src/config';

function problemsOf(http: unknown): readonly string[] {
  try {
    parseConfig({ http }, {});
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('configuration: http', () => {
  it('defaults to a disabled server on 127.0.0.1:8780 with a 1 MiB body and 1000 events', () => {
    const expected = {
      enabled: false,
      host: '127.0.0.1',
      port: 8780,
      bodyLimitBytes: 1_048_576,
      maxEventsPerRequest: 1_000,
    };
    expect(CONFIG_DEFAULTS.http).toEqual(expected);
    expect(parseConfig({}, {}).http).toEqual(expected);
    expect(parseConfig({ http: null }, {}).http).toEqual(expected);
  });

  it('takes every option', () => {
    const http = { enabled: true, host: '::', port: 0, bodyLimitBytes: 4096, maxEventsPerRequest: 1 };
    expect(parseConfig({ http }, {}).http).toEqual(http);
    for (const host of ['0.0.0.0', 'localhost', 'worker-1.internal.example', '::1', 'fe80::1']) {
      expect(parseConfig({ http: { host } }, {}).http.host).toBe(host);
    }
  });

  it.each([
    ['not a mapping', 8080, 'http: must be a mapping, got a number'],
    ['enabled not a boolean', { enabled: 'yes' }, "http.enabled: must be true or false, got 'yes'"],
    [
      'port too high',
      { port: 70_000 },
      'http.port: must be an integer from 0 to 65535 (0 picks a free port), got 70000',
    ],
    [
      'port a string',
      { port: '8780' },
      "http.port: must be an integer from 0 to 65535 (0 picks a free port), got '8780'",
    ],
    [
      'host with a scheme',
      { host: 'http://0.0.0.0' },
      "http.host: must be a host name or IP address to listen on (e.g. 127.0.0.1, 0.0.0.0, ::), got 'http://0.0.0.0'",
    ],
    ['host with a port', { host: '127.0.0.1:8780' }, 'http.host: must be a host name or IP address'],
    [
      'body limit too small',
      { bodyLimitBytes: 100 },
      'http.bodyLimitBytes: must be an integer from 1024 to 104857600 bytes (1 KiB–100 MiB), got 100',
    ],
    [
      'no events per request',
      { maxEventsPerRequest: 0 },
      'http.maxEventsPerRequest: must be an integer from 1 to 100000, got 0',
    ],
    [
      'a token in the file',
      { token: 'abcdefghijklmnopqrstuvwxyz' },
      'http.token: must not be in the configuration file: set the FLEXYSYNC_INTAKE_TOKEN environment variable or FLEXYSYNC_INTAKE_TOKEN_FILE',
    ],
    ['a typo', { prot: 8780 }, "http: unknown key 'prot' (did you mean 'port'?)"],
  ])('refuses %s, naming the key', (_title, http, expected) => {
    const problems = problemsOf(http);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(expected);
  });

  it('never echoes a token written in the file', () => {
    const token = 'abcdefghijklmnopqrstuvwxyz';
    expect(problemsOf({ token }).join('\n')).not.toContain(token);
  });

  it('reports every bad key at once', () => {
    expect(problemsOf({ port: -1, bodyLimitBytes: 1.5, host: '' })).toHaveLength(3);
  });
});
