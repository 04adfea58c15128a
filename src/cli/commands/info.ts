import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { RequestUnitInfoResult, UnitMessage } from '../../flexykey';
import {
  type ConfigOption,
  cliConfig,
  EXIT,
  exitUsageErrorsWith2,
  operatorAction,
  operatorLogger,
} from '../context';
import { parseIntervalMs, parseUnitId, parseWaitSeconds } from '../parse-options';
import { lookUpUnit, printJson, withSession } from './operator-session';

/** The profile asked for when neither --profile nor --type is given. */
export const DEFAULT_PROFILE = 'controlStatusFull';
/** GET /UnitMessages answers at most 100 rows (guide). */
const MESSAGES_LIMIT = 100;

interface InfoOptions extends ConfigOption {
  unit: number;
  profile?: string;
  type?: string[];
  wait: number;
  interval: number;
  json?: boolean;
}

type ResultRow = RequestUnitInfoResult['results'][number];

/** An answer shown to the operator: new (arrived while we waited), cached, or the latest known one. */
interface Answer {
  id: string | number | null;
  typeName: string;
  timestampIso: string | null;
  message: unknown;
  via: 'new' | 'cached' | 'latest';
}

function parseTypeName(value: string, previous: string[] = []): string[] {
  const upper = value.trim().toUpperCase();
  if (!/^CHECK[A-Z0-9]+$/.test(upper)) {
    const error = new InvalidArgumentError(`expected a command type such as CHECKTEMP, got '${value}'`);
    (error as { exitCode: number }).exitCode = EXIT.usage;
    throw error;
  }
  return [...previous, upper];
}

function parseProfile(value: string): string {
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(value)) {
    const error = new InvalidArgumentError(
      `expected a profile name such as ${DEFAULT_PROFILE}, got '${value}'`,
    );
    (error as { exitCode: number }).exitCode = EXIT.usage;
    throw error;
  }
  return value;
}

export function registerInfoCommand(program: Command): void {
  exitUsageErrorsWith2(program.command('info'))
    .description(
      'Ask a unit for its status (CHECK commands, POST /RequestUnitInfo) and show the answers as they arrive (GET /UnitMessages)',
    )
    .requiredOption('--unit <unitId>', 'the unit', parseUnitId)
    .addOption(
      new Option(
        '--profile <name>',
        `a profile of commands (default ${DEFAULT_PROFILE}; also controlStatusMedium)`,
      )
        .argParser(parseProfile)
        .conflicts('type'),
    )
    .addOption(
      new Option('--type <CHECK…>', 'one command type, e.g. CHECKTEMP; repeat for several').argParser(
        parseTypeName,
      ),
    )
    .option('--wait <seconds>', 'how long to wait for the answers', parseWaitSeconds, 10)
    .option('--interval <ms>', 'how often to read UnitMessages while waiting', parseIntervalMs, 1_000)
    .option('-c, --config <file>', 'configuration file (default: $FLEXYSYNC_CONFIG; else the environment)')
    .option('--json', 'print the request results and the answers as JSON when done')
    .addHelpText(
      'after',
      `
Each command is answered from FlexyKey's cache (Cached), skipped because it was sent moments ago
(RateLimited: the latest answer is shown), or queued to the unit (Queued: its answer is awaited).

Exit codes: 0 every command has an answer to show, 3 some have none within --wait (unit offline or
slow; answers keep arriving in UnitMessages), 1 error (unknown unit, another company's unit), 2 usage.`,
    )
    .action(operatorAction(runInfo));
}

async function runInfo(options: InfoOptions): Promise<void> {
  const config = cliConfig(options, { required: false });
  await withSession(config, operatorLogger(config), { needRedis: false }, async (session) => {
    const { flexykey } = session;
    const unitId = options.unit;
    const unit = await lookUpUnit(session, unitId);
    if (unit.online === false) {
      console.error(`warning: unit ${unitId} is offline: queued commands are answered when it is back`);
    }
    // What is already there, so that an answer is recognised by its id, not by comparing clocks.
    const before = await flexykey.unitInfo.messages({ unitId, limit: MESSAGES_LIMIT });
    const seen = new Set(before.map((m) => String(m.id)));

    const requests = options.type ?? [];
    const results: ResultRow[] = [];
    if (requests.length === 0) {
      const profile = options.profile ?? DEFAULT_PROFILE;
      results.push(...(await flexykey.unitInfo.request({ unitId, profile })).results);
    } else {
      for (const typeName of new Set(requests)) {
        results.push(...(await flexykey.unitInfo.request({ unitId, typeName })).results);
      }
    }

    const answers: Answer[] = [];
    const show = (answer: Answer) => {
      answers.push(answer);
      if (!options.json) console.log(formatAnswer(answer));
    };
    const awaited = new Set<string>();
    const wanted = new Set(results.map((r) => r.typeName ?? '').filter((t) => t !== ''));
    for (const result of results) {
      const typeName = result.typeName ?? '?';
      if (!options.json) console.log(`${typeName.padEnd(20)} ${describeStatus(result.status)}`);
      if (result.status === 'Queued') {
        awaited.add(typeName);
      } else if (result.status === 'Cached') {
        const cached =
          before.find((m) => result.messageId != null && String(m.id) === String(result.messageId)) ??
          (await latestOf(typeName));
        if (cached) show(toAnswer(cached, 'cached'));
      } else {
        // Rate limited: someone asked moments ago. Show the latest answer, or wait for theirs.
        const latest = await latestOf(typeName);
        if (latest) show(toAnswer(latest, 'latest'));
        else awaited.add(typeName);
      }
    }

    async function latestOf(typeName: string): Promise<UnitMessage | undefined> {
      const known = before.find((m) => m.typeName === typeName);
      if (known) return known;
      try {
        return (await flexykey.unitInfo.messages({ unitId, typeName, limit: 1 }))[0];
      } catch {
        return undefined; // a type the server cannot filter by: nothing to show, not an error
      }
    }

    const deadline = Date.now() + options.wait * 1_000;
    while (awaited.size > 0 && Date.now() < deadline) {
      await sleep(Math.min(options.interval, Math.max(0, deadline - Date.now())));
      const latest = await flexykey.unitInfo.messages({ unitId, limit: MESSAGES_LIMIT });
      // Newest first from the server; shown oldest first, each id once.
      for (const message of [...latest].reverse()) {
        const id = String(message.id);
        if (seen.has(id) || !wanted.has(message.typeName)) continue;
        seen.add(id);
        show(toAnswer(message, 'new'));
        awaited.delete(message.typeName);
      }
    }

    const shown = new Set(answers.map((a) => a.typeName));
    const unanswered = [...wanted].filter((typeName) => !shown.has(typeName));
    if (options.json) {
      printJson({ unitId, online: unit.online ?? null, requested: results, answers, unanswered });
    } else if (unanswered.length > 0) {
      console.error(
        `no answer within ${options.wait} s from: ${unanswered.join(', ')}${unit.online === false ? ' (the unit is offline)' : ''}; answers keep arriving — run flexysync info again later`,
      );
    }
    process.exitCode = unanswered.length > 0 ? EXIT.partial : EXIT.ok;
  });
}

function describeStatus(status: string): string {
  switch (status) {
    case 'Queued':
      return 'queued to the unit';
    case 'Cached':
      return 'answered from FlexyKey’s cache';
    case 'RateLimited':
      return 'rate limited (asked moments ago); the latest answer, if any, follows';
    default:
      return status;
  }
}

function toAnswer(message: UnitMessage, via: Answer['via']): Answer {
  return {
    id: message.id ?? null,
    typeName: message.typeName,
    timestampIso: message.timestampIso ?? null,
    message: message.message ?? null,
    via,
  };
}

function formatAnswer(answer: Answer): string {
  const text = typeof answer.message === 'string' ? answer.message : JSON.stringify(answer.message);
  const tag = answer.via === 'new' ? '' : ` (${answer.via})`;
  return `  ${answer.typeName.padEnd(18)} ${answer.timestampIso ?? '-'}  ${text}${tag}`;
}
