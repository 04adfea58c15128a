import { type Command, Option } from 'commander';
import { FlexyKeyConnectionError } from '../../flexykey';
import {
  CliError,
  type ConfigOption,
  cliConfig,
  EXIT,
  exitUsageErrorsWith2,
  operatorAction,
  operatorLogger,
} from '../context';
import { parseOutputNumber, parsePulseSeconds, parseUnitId } from '../parse-options';
import { describeOutput, lookUpUnit, outputsOf, printJson, withSession } from './operator-session';

/** Pulse length when neither --pulse, --on nor --off is given: long enough to push a door open. */
export const DEFAULT_PULSE_SECONDS = 5;

interface OpenOptions extends ConfigOption {
  unit: number;
  output: string;
  pulse?: number;
  on?: boolean;
  off?: boolean;
  json?: boolean;
}

export function registerOpenCommand(program: Command): void {
  exitUsageErrorsWith2(program.command('open'))
    .description(
      'Pulse a relay of a unit (open a door for a locked-out guest), or switch it on or off (POST /Control)',
    )
    .requiredOption('--unit <unitId>', 'the unit', parseUnitId)
    .requiredOption(
      '--output <F1|F2|X1–X64>',
      "the output's globalNumber (see flexysync units)",
      parseOutputNumber,
    )
    .addOption(
      new Option('--pulse <seconds>', `pulse length, 1–99999 s (default ${DEFAULT_PULSE_SECONDS})`)
        .argParser(parsePulseSeconds)
        .conflicts(['on', 'off']),
    )
    .addOption(new Option('--on', 'switch the output on and leave it on').conflicts(['off', 'pulse']))
    .addOption(new Option('--off', 'switch the output off').conflicts(['on', 'pulse']))
    .option('-c, --config <file>', 'configuration file (default: $FLEXYSYNC_CONFIG; else the environment)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  flexysync open --unit 3023 --output F1             pulse F1 for ${DEFAULT_PULSE_SECONDS} s
  flexysync open --unit 3024 --output X3 --pulse 10
  flexysync open --unit 3023 --output F2 --off

The output and the pulse are checked before anything is sent, and the output must exist on the unit.
A command is sent once and never repeated automatically (a second pulse would open the door again).

Exit codes: 0 done, 3 accepted but the unit is offline (it runs when the unit is back),
1 error (unknown unit, another company's unit, output not on the unit, FlexyKey refused), 2 usage.`,
    )
    .action(
      operatorAction(async (options: OpenOptions) => {
        const outputAction = options.on
          ? 'ON'
          : options.off
            ? 'OFF'
            : String(options.pulse ?? DEFAULT_PULSE_SECONDS);
        const config = cliConfig(options, { required: false });
        await withSession(config, operatorLogger(config), { needRedis: false }, async (session) => {
          const unit = await lookUpUnit(session, options.unit);
          const outputs = outputsOf(unit);
          const output = outputs.find((o) => o.globalNumber.toUpperCase() === options.output);
          if (outputs.length > 0 && !output) {
            throw new CliError(
              `unit ${unit.unitId} has no output ${options.output}; its outputs: ${outputs.map(describeOutput).join(', ')}`,
            );
          }
          const label = output ? describeOutput(output) : options.output;
          if (outputs.length === 0) {
            console.error(
              `warning: unit ${unit.unitId} reports no relays; sending to ${options.output} anyway`,
            );
          }
          let result: Awaited<ReturnType<typeof session.flexykey.control.send>>;
          try {
            result = await session.flexykey.control.send({
              unitId: unit.unitId,
              outputNumber: options.output,
              outputAction,
            });
          } catch (error) {
            if (error instanceof FlexyKeyConnectionError && error.requestSent) {
              throw new CliError(
                `the connection to FlexyKey broke after the command was sent (${error.message}): it may or may not have reached unit ${unit.unitId}. Check the door before sending it again.`,
              );
            }
            throw error;
          }
          if (result.status.toUpperCase() !== 'OK') {
            throw new CliError(`FlexyKey did not accept the command: status '${result.status}'`);
          }
          const offline = unit.online === false;
          const what =
            outputAction === 'ON'
              ? 'switched ON'
              : outputAction === 'OFF'
                ? 'switched OFF'
                : `pulsed for ${outputAction} s`;
          if (options.json) {
            printJson({
              unitId: unit.unitId,
              unitName: unit.name ?? null,
              online: unit.online ?? null,
              outputNumber: options.output,
              description: output?.description ?? null,
              outputAction,
              result,
            });
          } else {
            const name = unit.name ? ` "${unit.name}"` : '';
            console.log(`unit ${unit.unitId}${name}: ${label} ${what} (FlexyKey: ${result.status})`);
          }
          if (outputAction === 'ON') {
            console.error(
              `warning: ${options.output} stays ON until switched off: flexysync open --unit ${unit.unitId} --output ${options.output} --off`,
            );
          }
          if (offline) {
            console.error(
              `warning: unit ${unit.unitId} is offline${unit.lastSeenIso ? ` (last seen ${unit.lastSeenIso})` : ''}: FlexyKey keeps the command until the unit is back; nothing happens at the door now`,
            );
            process.exitCode = EXIT.partial;
          }
        });
      }),
    );
}
