// `leadbridge start`: the whole service (HTTP API, delivery worker, webhook processor), same as `npm start`.
import type { Command } from 'commander';

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('Run the service: HTTP API, delivery worker, webhook sync (the sandbox emulator when no amoCRM credentials are set)')
    .action(async () => {
      const { runMain } = await import('../main.js');
      await runMain();
    });
}
