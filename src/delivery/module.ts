// The delivery worker as a module of the server: the replay routes, the `delivery` check, and the worker started
// once the server listens (behind the connection's hold, when one is given).
import type { AppModule } from '../app-module.js';
import type { Database } from '../db/index.js';
import { deliveryRoutes } from './routes.js';
import type { Delivery } from './worker.js';

export function deliveryAppModule(deps: { delivery: Delivery; db: Database; hold?: (delivery: Delivery) => void }): AppModule {
  const { delivery } = deps;
  return {
    name: 'delivery',
    routes: (ctx) => deliveryRoutes({ db: deps.db, requireAdmin: ctx.requireAdmin, onReplayed: () => delivery.wake() }),
    health: { delivery: async () => ({ ...(await delivery.health()) }) },
    start: async () => {
      deps.hold?.(delivery);
      delivery.start();
    },
  };
}
