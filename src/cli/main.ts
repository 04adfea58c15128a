import { Command } from 'commander';
import { registerConfigCommands } from './commands/config-check';
import { registerDemoCommand } from './commands/demo';
import { registerEnqueueCommand } from './commands/enqueue';
import { registerFeedsCommand } from './commands/feeds';
import { registerInfoCommand } from './commands/info';
import { registerOpenCommand } from './commands/open';
import { registerReconcileCommands } from './commands/reconcile';
import { registerSimulatorCommand } from './commands/simulator';
import { registerStatusCommand } from './commands/status';
import { registerUnitSyncCommands } from './commands/unit-sync';
import { registerUnitsCommand } from './commands/units';
import { registerWebhooksCommands } from './commands/webhooks';
import { registerWorkerCommand } from './commands/worker';
import { exitUsageErrorsWith2 } from './context';

export function buildProgram(): Command {
  const program = new Command()
    .name('flexysync')
    .description('Keeps FlexyKey door units in step with booking calendars.')
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true });
  // Usage mistakes exit 2 for every verb (subcommands inherit it): scripts tell them from failures.
  exitUsageErrorsWith2(program);
  registerWorkerCommand(program);
  registerEnqueueCommand(program);
  registerStatusCommand(program);
  registerReconcileCommands(program);
  registerFeedsCommand(program);
  registerSimulatorCommand(program);
  registerDemoCommand(program);
  // Operator verbs (issue #5).
  registerConfigCommands(program);
  registerUnitsCommand(program);
  registerUnitSyncCommands(program);
  registerOpenCommand(program);
  registerInfoCommand(program);
  registerWebhooksCommands(program);
  return program;
}

/** Runs the CLI; failures print their message and set a non-zero exit code. */
export function runCli(argv: readonly string[] = process.argv): Promise<void> {
  // `flexysync status | head`: the reader went away; stop quietly instead of crashing on EPIPE.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
  return buildProgram()
    .parseAsync([...argv])
    .then(
      () => undefined,
      (error: unknown) => {
        console.error(error instanceof Error ? error.message : error);
        process.exitCode = 1;
      },
    );
}

if (require.main === module) void runCli();
