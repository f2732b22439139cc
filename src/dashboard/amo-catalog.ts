// The analytics catalog's source over THE amoCRM client: pipelines with their stages, and users (manager names).
import type { AmoClient } from '../amocrm/index.js';
import type { CatalogSource } from '../analytics/index.js';

export function amoCatalogSource(amo: AmoClient): CatalogSource {
  return {
    async pipelines() {
      const list = await amo.pipelines.list();
      return list.map((p) => ({
        id: p.id,
        name: p.name,
        isMain: p.is_main,
        stages: (p._embedded?.statuses ?? []).map((s) => ({ id: s.id, name: s.name, sort: s.sort, color: s.color })),
      }));
    },
    async users() {
      const users: { id: number; name: string }[] = [];
      for await (const u of amo.users.iterate()) users.push({ id: u.id, name: u.name });
      return users;
    },
  };
}
