import { Command } from 'commander';
import { registerSimulatorCommand } from './commands/simulator';

export function buildProgram(): Command {
  const program = new Command()
    .name('flexysync')
    .description('Keeps FlexyKey door units in step with booking calendars.')
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true });
  registerSimulatorCommand(program);
  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    });
}
