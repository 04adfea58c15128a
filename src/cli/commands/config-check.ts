import type { Command } from 'commander';
import { stringify } from 'yaml';
import { redactUrl, resolveFeedSources } from '../../adapters';
import { ConfigError, ENV, type FlexysyncConfig, loadConfig } from '../../config';
import {
  type FlexyKeyClient,
  FlexyKeyError,
  FlexyKeyForbiddenError,
  FlexyKeyNotFoundError,
  type Unit,
} from '../../flexykey';
import type * as HttpModule from '../../http';
import { EXIT, exitUsageErrorsWith2, operatorAction, operatorLogger, redactRedisUrl } from '../context';
import {
  describeOutput,
  explainFlexyKeyError,
  printJson,
  unitForbiddenMessage,
  unitNotFoundMessage,
  withSession,
} from './operator-session';

interface ConfigCheckOptions {
  config?: string;
  json?: boolean;
  offline?: boolean;
}

/** How serious a finding is: errors exit 1, warnings 3; notes never change the exit code. */
export type CheckLevel = 'ok' | 'note' | 'warning' | 'error';

export interface CheckFinding {
  level: CheckLevel;
  /** What was checked, as a configuration path where there is one (`resources.flat-1.units[0]`). */
  subject: string;
  message: string;
}

const MASK = '********';
/** Keys whose values are secrets wherever they appear (`passwordEnv`-style names are not). */
const SECRET_KEY = /(password|secret|token|api_?key|credential)/i;

/**
 * FLEXYKEY: the guide names an entry's action `R1`, `R2` ("relay/action") and the unit's main relays
 * `F1`, `F2`, but never says how they relate. We assume R1 switches relay F1 and R2 relay F2; access
 * groups (`G13`) are defined in FlexyWeb and cannot be read through the API.
 */
export function relayOfAction(action: string): string | undefined {
  const match = /^R([12])$/.exec(action);
  return match ? `F${match[1]}` : undefined;
}

export function registerConfigCommands(program: Command): void {
  const config = exitUsageErrorsWith2(program.command('config'))
    .description('Check the configuration')
    .addHelpText('after', '\nSee: flexysync config check --help');
  config
    .command('check')
    .description(
      'Validate the configuration, print it with secrets masked, and check every configured unit, action and booking object against the FlexyKey account',
    )
    .option('-c, --config <file>', 'configuration file (default: $FLEXYSYNC_CONFIG)')
    .option('--json', 'print the effective configuration and the findings as JSON')
    .option('--offline', 'only validate and print; contact neither Redis nor FlexyKey')
    .addHelpText(
      'after',
      `
Units are checked with GET /Units: the unit exists, is visible to the FlexyKey user and is online.
Actions R1 and R2 are checked against the unit's main relays F1 and F2 (our reading of the API
guide); access groups (G1–G99) cannot be checked through the API. Booking objects are probed with
GET /Bookings.

Exit codes: 0 all good, 3 warnings only, 1 errors (an invalid configuration, an unknown unit or
action, FlexyKey or Redis unreachable), 2 usage.`,
    )
    .action(operatorAction(runConfigCheck));
}

async function runConfigCheck(options: ConfigCheckOptions): Promise<void> {
  const path = options.config ?? process.env[ENV.config];
  let config: FlexysyncConfig;
  try {
    config = loadConfig(path === undefined ? {} : { path });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (options.json) printJson({ file: path ?? null, valid: false, problems: error.problems });
    console.error(error.message);
    process.exitCode = EXIT.failure;
    return;
  }

  const findings: CheckFinding[] = [];
  // Loaded here, not at start-up: the HTTP module brings fastify, which other verbs never need.
  const { INTAKE_TOKEN_ENV, readIntakeToken }: typeof HttpModule = require('../../http');
  let intakeToken: string | undefined;
  try {
    intakeToken = readIntakeToken();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems)
      findings.push({ level: 'error', subject: 'http', message: problem });
  }
  if (config.http.enabled && intakeToken === undefined) {
    findings.push({
      level: 'note',
      subject: 'http',
      message: `no ${INTAKE_TOKEN_ENV.token}: the booking intake stays closed`,
    });
  }
  try {
    resolveFeedSources(config);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems)
      findings.push({ level: 'error', subject: 'sources', message: problem });
  }

  const credentials = Boolean(config.flexykey.username && config.flexykey.password);
  if (!credentials) {
    findings.push({
      level: 'error',
      subject: 'flexykey',
      message: `credentials missing: set ${ENV.username} (or flexykey.username) and ${ENV.password} (or ${ENV.passwordFile})`,
    });
  }
  if (options.offline) {
    findings.push({
      level: 'note',
      subject: 'account',
      message: 'Redis and FlexyKey not contacted (--offline)',
    });
  } else if (credentials) {
    await withSession(
      config,
      operatorLogger(config),
      { needRedis: false, announceFallback: false },
      async (session) => {
        if (session.redisProblem)
          findings.push({ level: 'error', subject: 'redis', message: session.redisProblem });
        findings.push(...(await checkAccount(config, session.flexykey)));
      },
    );
  }

  const errors = findings.filter((f) => f.level === 'error').length;
  const warnings = findings.filter((f) => f.level === 'warning').length;
  const effective = maskedConfig(config, intakeToken !== undefined);
  if (options.json) {
    printJson({ file: path ?? null, valid: true, config: effective, findings, errors, warnings });
  } else {
    console.log(`configuration ${path}: valid\n`);
    console.log('effective configuration (secrets masked):');
    console.log(indent(stringify(effective, { lineWidth: 0 })));
    console.log('checks:');
    for (const finding of findings) {
      const label =
        finding.level === 'ok' || finding.level === 'note' ? finding.level : finding.level.toUpperCase();
      console.log(`  ${label.padEnd(8)} ${finding.subject}: ${finding.message}`);
    }
    console.log(
      `\n${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`,
    );
  }
  process.exitCode = errors > 0 ? EXIT.failure : warnings > 0 ? EXIT.partial : EXIT.ok;
}

/** Every configured unit, action and booking object against what the FlexyKey user can see. */
async function checkAccount(config: FlexysyncConfig, flexykey: FlexyKeyClient): Promise<CheckFinding[]> {
  const findings: CheckFinding[] = [];
  let visible: Unit[];
  try {
    visible = await flexykey.units.list();
  } catch (error) {
    if (!(error instanceof FlexyKeyError)) throw error;
    return [{ level: 'error', subject: 'flexykey', message: explainFlexyKeyError(error, config) }];
  }
  findings.push({
    level: 'ok',
    subject: 'flexykey',
    message: `${config.flexykey.baseUrl} as '${config.flexykey.username}': ${visible.length} unit(s) visible`,
  });
  const byId = new Map(visible.map((unit) => [unit.unitId, unit]));

  // Units configured but not in the list: ask for each, to tell "no such unit" from "not yours".
  const usages = Object.entries(config.resources).flatMap(([key, resource]) =>
    (resource.units ?? []).map((unit, index) => ({
      path: `resources.${key}.units[${index}]`,
      unitId: unit.unitId,
      action: unit.action,
    })),
  );
  const problems = new Map<number, string>();
  for (const unitId of new Set(usages.map((u) => u.unitId))) {
    if (byId.has(unitId)) continue;
    try {
      byId.set(unitId, await flexykey.units.get(unitId));
    } catch (error) {
      if (error instanceof FlexyKeyNotFoundError) problems.set(unitId, unitNotFoundMessage(unitId));
      else if (error instanceof FlexyKeyForbiddenError) {
        problems.set(unitId, unitForbiddenMessage(unitId, config.flexykey.username));
      } else if (error instanceof FlexyKeyError) problems.set(unitId, explainFlexyKeyError(error, config));
      else throw error;
    }
  }

  const offlineReported = new Set<number>();
  for (const usage of usages) {
    const subject = `${usage.path} (unit ${usage.unitId}, ${usage.action})`;
    const problem = problems.get(usage.unitId);
    const unit = byId.get(usage.unitId);
    if (problem || !unit) {
      findings.push({ level: 'error', subject, message: problem ?? unitNotFoundMessage(usage.unitId) });
      continue;
    }
    const name = unit.name ? ` "${unit.name}"` : '';
    if (unit.online === false && !offlineReported.has(unit.unitId)) {
      offlineReported.add(unit.unitId);
      findings.push({
        level: 'warning',
        subject: `unit ${unit.unitId}${name}`,
        message: `offline${unit.lastSeenIso ? ` since ${unit.lastSeenIso}` : ''}: changes wait until it is back`,
      });
    }
    const relay = relayOfAction(usage.action);
    if (relay === undefined) {
      findings.push({
        level: 'note',
        subject,
        message: `unit${name} exists; access group ${usage.action} cannot be checked through the API (groups are defined in FlexyWeb)`,
      });
      continue;
    }
    if (unit.relays.length === 0) {
      findings.push({
        level: 'warning',
        subject,
        message: `unit${name} reports no relays, so ${usage.action} (relay ${relay}) cannot be checked`,
      });
      continue;
    }
    const output = unit.relays.find((io) => io.globalNumber.toUpperCase() === relay);
    findings.push(
      output
        ? {
            level: 'ok',
            subject,
            message: `${usage.action} → relay ${describeOutput(output)} on unit${name}`,
          }
        : {
            level: 'error',
            subject,
            message: `action ${usage.action} needs relay ${relay}, which unit${name} does not have; its relays: ${unit.relays.map(describeOutput).join(', ')}`,
          },
    );
  }

  for (const [key, resource] of Object.entries(config.resources)) {
    if (resource.bookingObjectId === undefined) continue;
    findings.push(await checkBookingObject(config, flexykey, key, resource.bookingObjectId));
  }
  return findings;
}

/**
 * FLEXYKEY: the API has no "get booking object" call; listing its bookings over one minute answers
 * 404 for an unknown object and 403 for another company's, which is all we need to know.
 */
async function checkBookingObject(
  config: FlexysyncConfig,
  flexykey: FlexyKeyClient,
  key: string,
  bookingObjectId: number,
): Promise<CheckFinding> {
  const subject = `resources.${key}.bookingObjectId (${bookingObjectId})`;
  const from = new Date();
  try {
    await flexykey.bookings.list({
      bookingObjectId,
      fromIso: from.toISOString(),
      toIso: new Date(from.getTime() + 60_000).toISOString(),
    });
    return { level: 'ok', subject, message: 'booking object found' };
  } catch (error) {
    if (error instanceof FlexyKeyNotFoundError) {
      return {
        level: 'error',
        subject,
        message: `booking object ${bookingObjectId} not found on the account`,
      };
    }
    if (error instanceof FlexyKeyForbiddenError) {
      return {
        level: 'error',
        subject,
        message: `booking object ${bookingObjectId}: forbidden — it belongs to another company; FlexyKey user '${config.flexykey.username}' has no rights to it`,
      };
    }
    if (error instanceof FlexyKeyError) {
      return {
        level: 'warning',
        subject,
        message: `could not be checked: ${explainFlexyKeyError(error, config)}`,
      };
    }
    throw error;
  }
}

/**
 * The configuration as the process runs it, fit to print: passwords, tokens and secrets masked,
 * the Redis URL without its password, feed URLs reduced to scheme, host and path shape.
 */
export function maskedConfig(config: FlexysyncConfig, intakeTokenSet: boolean): Record<string, unknown> {
  const plain = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
  const masked = maskSecrets(plain) as Record<string, unknown> & {
    flexykey: Record<string, unknown>;
    redis: Record<string, unknown>;
    http: Record<string, unknown>;
    sources?: Record<string, Record<string, unknown>>;
  };
  masked.flexykey.password = config.flexykey.password ? MASK : '(not set)';
  masked.redis.url = redactRedisUrl(config.redis.url);
  masked.http.intakeToken = intakeTokenSet ? MASK : '(not set: the intake is closed)';
  for (const source of Object.values(masked.sources ?? {})) {
    if (typeof source.url === 'string') source.url = redactUrl(source.url);
  }
  return masked;
}

function maskSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      SECRET_KEY.test(key) && !key.endsWith('Env') && typeof inner === 'string' ? MASK : maskSecrets(inner),
    ]),
  );
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? line : `  ${line}`))
    .join('\n');
}
