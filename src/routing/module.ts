// Routing as a module of the server: once listening, the take-up deadline check every minute (when a rule has one),
// which reassigns deals left in their first stage.
import type { AppModule } from '../app-module.js';
import type { Queue } from '../queue/index.js';
import type { Routing } from './service.js';

export function routingAppModule(routing: Routing, deps: { queue: Pick<Queue, 'work' | 'schedule'>; logger?: { warn(obj: object, msg: string): void } }): AppModule {
  return {
    name: 'routing',
    start: async () => {
      if (!routing.takeUpEnabled) return;
      await deps.queue.work('routing_take_up', async () => {
        try {
          await routing.takeUpOnce();
        } catch (err) {
          deps.logger?.warn({ err }, 'take-up check failed; the next run retries');
        }
      });
      await deps.queue.schedule('routing_take_up', '* * * * *', {});
    },
  };
}
