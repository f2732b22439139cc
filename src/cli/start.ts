// `leadbridge start`: the whole service (HTTP API, delivery worker, webhook processor), same as `npm start`.
import type { Command } from 'commander';
import { COMMANDS } from './commands.js';

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description(COMMANDS['start'])
    .action(async () => {
      const { runMain } = await import('../main.js');
      await runMain();
    });
}
