import type { Command } from 'commander';
import { FlexyKeyNotFoundError, type WebhookConfig, type WebhookTestResult } from '../../flexykey';
import {
  CliError,
  type ConfigOption,
  cliConfig,
  EXIT,
  exitUsageErrorsWith2,
  operatorAction,
  operatorLogger,
} from '../context';
import { parseCallbackUrl, parseEnvName, parseUnitId } from '../parse-options';
import { lookUpUnit, maskUrlQuery, printJson, withSession } from './operator-session';

/** The one event the vendor guide documents: an ASTAT status message arrived from the unit. */
export const STATUS_CHANGED_EVENT = 'control.statusChanged';

interface UnitOptions extends ConfigOption {
  unit: number;
  json?: boolean;
}

interface RegisterOptions extends UnitOptions {
  url: string;
  event: string;
  secretEnv?: string;
  apiKeyEnv?: string;
  method: 'POST' | 'PUT' | 'PATCH';
  inactive?: boolean;
  test: boolean;
}

interface DeleteOptions extends UnitOptions {
  event: string;
}

const CONFIG_HELP = 'configuration file (default: $FLEXYSYNC_CONFIG; else the environment)';

function parseMethod(value: string): string {
  const upper = value.toUpperCase();
  if (!['POST', 'PUT', 'PATCH'].includes(upper)) {
    throw new CliError(`--method: expected POST, PUT or PATCH, got '${value}'`, EXIT.usage);
  }
  return upper;
}

/** The value of the environment variable an option names; a usage error when it is not set. */
function secretFrom(option: string, name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new CliError(`${option}: the environment variable ${name} is not set (or empty)`, EXIT.usage);
  }
  return value;
}

export function registerWebhooksCommands(program: Command): void {
  const webhooks = exitUsageErrorsWith2(program.command('webhooks')).description(
    "Manage the unit's FlexyKey webhooks (door status changes delivered to flexysync)",
  );

  webhooks
    .command('register')
    .description(
      `Create or update the ${STATUS_CHANGED_EVENT} webhook of a unit (PUT /Webhooks), then test it`,
    )
    .requiredOption('--unit <unitId>', 'the unit', parseUnitId)
    .requiredOption('--url <callback>', 'where FlexyKey delivers (absolute http(s) URL)', parseCallbackUrl)
    .option('--secret-env <NAME>', 'environment variable holding the HMAC secret (X-Signature)', parseEnvName)
    .option('--api-key-env <NAME>', 'environment variable holding the X-Api-Key value', parseEnvName)
    .option('--method <method>', 'HTTP method of deliveries: POST, PUT or PATCH', 'POST')
    .option('--event <name>', 'the event', STATUS_CHANGED_EVENT)
    .option('--inactive', 'register it switched off (isActive 0)')
    .option('--no-test', 'do not send a test delivery (POST /Webhooks/Test)')
    .option('-c, --config <file>', CONFIG_HELP)
    .option('--json', 'print the webhook and the test result as JSON')
    .addHelpText(
      'after',
      `
Secrets never go on the command line: name the environment variables that hold them. The webhook is
replaced as a whole, so registering again without --secret-env removes its secret.

Example:
  FLEXYSYNC_WEBHOOK_SECRET=… flexysync webhooks register --unit 3023 \\
    --url https://flexysync.example.com/v1/webhooks/flexykey --secret-env FLEXYSYNC_WEBHOOK_SECRET

Exit codes: 0 registered and the test delivered, 3 registered but the test was not delivered,
1 error (unknown unit, another company's unit, FlexyKey refused), 2 usage (bad URL, unset variable).`,
    )
    .action(
      operatorAction(async (options: RegisterOptions) => {
        // Everything that can be checked locally is checked before any request.
        const method = parseMethod(options.method) as RegisterOptions['method'];
        const secret = secretFrom('--secret-env', options.secretEnv);
        const apiKey = secretFrom('--api-key-env', options.apiKeyEnv);
        const config = cliConfig(options, { required: false });
        const url = new URL(options.url);
        if (url.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) {
          console.error(
            'warning: the callback is plain http: door status (and the API key) travel unencrypted',
          );
        }
        if (secret === undefined) {
          console.error(
            'warning: no --secret-env: deliveries are not signed, so the receiver cannot verify them',
          );
        }
        await withSession(config, operatorLogger(config), { needRedis: false }, async (session) => {
          const unit = await lookUpUnit(session, options.unit);
          const { created, webhook } = await session.flexykey.webhooks.put({
            unitId: unit.unitId,
            event: options.event,
            callbackUrl: options.url,
            httpMethod: method,
            ...(secret === undefined ? {} : { secret }),
            ...(apiKey === undefined ? {} : { apiKey }),
            isActive: options.inactive ? 0 : 1,
          });
          const test = options.test
            ? await session.flexykey.webhooks.test({ unitId: unit.unitId, event: options.event })
            : undefined;
          const delivered = test === undefined ? undefined : testDelivered(test);
          if (options.json) {
            printJson({
              unitId: unit.unitId,
              created,
              webhook: maskWebhook(webhook),
              test: test ?? null,
              delivered,
            });
          } else {
            console.log(`unit ${unit.unitId}: ${options.event} webhook ${created ? 'created' : 'updated'}`);
            console.log(`  ${describeWebhook(webhook)}`);
            if (test !== undefined) console.log(`  test delivery: ${describeTest(test, delivered)}`);
          }
          if (delivered === false) process.exitCode = EXIT.partial;
        });
      }),
    );

  webhooks
    .command('list')
    .description("List a unit's webhooks (GET /Webhooks)")
    .requiredOption('--unit <unitId>', 'the unit', parseUnitId)
    .option('-c, --config <file>', CONFIG_HELP)
    .option('--json', 'print the webhooks as JSON')
    .addHelpText('after', '\nExit codes: 0 listed (also when there are none), 1 error, 2 usage.')
    .action(
      operatorAction(async (options: UnitOptions) => {
        const config = cliConfig(options, { required: false });
        await withSession(config, operatorLogger(config), { needRedis: false }, async (session) => {
          const unit = await lookUpUnit(session, options.unit);
          const list = await session.flexykey.webhooks.list({ unitId: unit.unitId });
          if (options.json) {
            printJson(list.map(maskWebhook));
            return;
          }
          if (list.length === 0) {
            console.log(`unit ${unit.unitId}: no webhooks`);
            return;
          }
          for (const webhook of list) console.log(`unit ${unit.unitId}: ${describeWebhook(webhook)}`);
        });
      }),
    );

  webhooks
    .command('delete')
    .description("Remove a unit's webhook (DELETE /Webhooks)")
    .requiredOption('--unit <unitId>', 'the unit', parseUnitId)
    .option('--event <name>', 'the event', STATUS_CHANGED_EVENT)
    .option('-c, --config <file>', CONFIG_HELP)
    .addHelpText('after', '\nExit codes: 0 deleted, or there was none; 1 error; 2 usage.')
    .action(
      operatorAction(async (options: DeleteOptions) => {
        const config = cliConfig(options, { required: false });
        await withSession(config, operatorLogger(config), { needRedis: false }, async (session) => {
          const unit = await lookUpUnit(session, options.unit);
          try {
            await session.flexykey.webhooks.delete({ unitId: unit.unitId, event: options.event });
          } catch (error) {
            // The unit exists (looked up above): a 404 means there was no such webhook.
            if (!(error instanceof FlexyKeyNotFoundError)) throw error;
            console.log(`unit ${unit.unitId}: no ${options.event} webhook; nothing to delete`);
            return;
          }
          console.log(`unit ${unit.unitId}: ${options.event} webhook deleted`);
        });
      }),
    );
}

/** The row as FlexyKey returns it (it never returns secrets), with the callback's query masked. */
function maskWebhook(webhook: WebhookConfig): WebhookConfig {
  return { ...webhook, callbackUrl: maskUrlQuery(webhook.callbackUrl) };
}

function describeWebhook(webhook: WebhookConfig): string {
  const flags = [
    webhook.httpMethod ?? 'POST',
    webhook.hasSecret ? 'signed' : 'NOT signed',
    webhook.hasApiKey ? 'API key' : 'no API key',
    webhook.isActive === false ? 'INACTIVE' : 'active',
  ];
  return `${webhook.event} → ${maskUrlQuery(webhook.callbackUrl)} (${flags.join(', ')})`;
}

/**
 * FLEXYKEY: the Test answer is undocumented; we read `delivered` or, failing that, a 2xx `statusCode`.
 * Undefined when neither is there (then the raw answer is shown).
 */
function testDelivered(test: WebhookTestResult): boolean | undefined {
  if (typeof test.delivered === 'boolean') return test.delivered;
  if (typeof test.statusCode === 'number') return test.statusCode >= 200 && test.statusCode < 300;
  return undefined;
}

function describeTest(test: WebhookTestResult, delivered: boolean | undefined): string {
  if (delivered === undefined) return `FlexyKey answered ${JSON.stringify(test)}`;
  const status = typeof test.statusCode === 'number' ? `HTTP ${test.statusCode}` : 'no answer';
  const elapsed = typeof test.elapsedMs === 'number' ? ` in ${test.elapsedMs} ms` : '';
  const error = typeof test.error === 'string' && test.error !== '' ? ` (${test.error})` : '';
  return `${delivered ? 'delivered' : 'NOT delivered'} — ${status}${elapsed}${error}`;
}
