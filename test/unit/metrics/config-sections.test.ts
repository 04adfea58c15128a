import { join } from 'node:path';
import { CONFIG_DEFAULTS, ConfigError, loadConfig, parseConfig } from '../../../src/config';

function problems(input: Record<string, unknown>): string[] {
  try {
    parseConfig(input, {});
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

describe('configuration: metrics, webhooks, dashboard', () => {
  it('has documented defaults, also for sections written empty', () => {
    for (const input of [{}, { metrics: null, webhooks: null, dashboard: null }]) {
      const config = parseConfig(input, {});
      expect(config.metrics).toEqual({ enabled: true, defaultMetrics: true, collectTimeoutMs: 2_000 });
      expect(config.webhooks).toEqual({ enabled: false, bodyLimitBytes: 65_536, streamMaxLength: 10_000 });
      expect(config.dashboard).toEqual({ enabled: true, basePath: '/dashboard', readOnly: false });
    }
    expect(CONFIG_DEFAULTS.webhooks.enabled).toBe(false);
  });

  it('takes valid values', () => {
    const config = parseConfig(
      {
        metrics: { enabled: false, defaultMetrics: false, collectTimeoutMs: 500 },
        webhooks: { enabled: true, bodyLimitBytes: 4_096, streamMaxLength: 500 },
        dashboard: { enabled: false, basePath: '/ops/queues', readOnly: true },
      },
      {},
    );
    expect(config.webhooks.bodyLimitBytes).toBe(4_096);
    expect(config.dashboard.basePath).toBe('/ops/queues');
    expect(Object.isFrozen(config.dashboard)).toBe(true);
  });

  it('refuses secrets in the file and says which environment variable to use', () => {
    const found = problems({
      webhooks: { secret: 'in-the-file', apiKey: 'in-the-file-too' },
      dashboard: { user: 'ops', password: 'in-the-file' },
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^webhooks\.secret: .*FLEXYSYNC_WEBHOOK_SECRET/),
        expect.stringMatching(/^webhooks\.apiKey: .*FLEXYSYNC_WEBHOOK_API_KEY/),
        expect.stringMatching(/^dashboard\.user: .*FLEXYSYNC_DASHBOARD_USER/),
        expect.stringMatching(/^dashboard\.password: .*FLEXYSYNC_DASHBOARD_PASSWORD/),
      ]),
    );
    expect(found.join('\n')).not.toContain('in-the-file');
  });

  it('names bad values by key path', () => {
    const found = problems({
      metrics: { collectTimeoutMs: 10, enabeld: true },
      webhooks: { bodyLimitBytes: 10 * 1_048_576, streamMaxLength: 'lots' },
      dashboard: { readOnly: 'yes' },
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^metrics\.collectTimeoutMs: must be an integer from 100 to 60000/),
        expect.stringMatching(/^metrics: unknown key 'enabeld' \(did you mean 'enabled'\?\)/),
        expect.stringMatching(/^webhooks\.bodyLimitBytes: must be an integer/),
        expect.stringMatching(/^webhooks\.streamMaxLength: /),
        expect.stringMatching(/^dashboard\.readOnly: must be true or false/),
      ]),
    );
  });

  it.each([
    ['dashboard', 'no leading slash'],
    ['/dashboard/', 'a trailing slash'],
    ['/Dashboard', 'upper case'],
    ['/dash board', 'a space'],
    ['/', 'the root'],
    ['/v1/dashboard', "the server's /v1"],
    ['/metrics', 'the metrics path'],
    ['/healthz/x', 'under /healthz'],
  ])('refuses dashboard.basePath %s (%s)', (basePath) => {
    expect(problems({ dashboard: { basePath } })).toEqual([
      expect.stringMatching(/^dashboard\.basePath: must/),
    ]);
  });

  it('the commented example file carries the three sections with their defaults', () => {
    const config = loadConfig({
      path: join(__dirname, '..', '..', '..', 'config', 'flexysync.example.yaml'),
      env: { FLEXYKEY_PASSWORD: 'x' },
    });
    expect(config.metrics).toEqual(CONFIG_DEFAULTS.metrics);
    expect(config.webhooks).toEqual(CONFIG_DEFAULTS.webhooks);
    expect(config.dashboard).toEqual(CONFIG_DEFAULTS.dashboard);
  });
});
