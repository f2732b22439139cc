// Links between entities (fact sheet §7.13). Write metadata uses `is_main`; read metadata uses `main_contact`.
import { Resource, embedded, type ListPage } from '../core.js';
import { path } from '../query.js';
import type { RequestOptions } from '../request.js';
import type { EntityLink, EntityType } from '../types.js';

export type LinkInput = Pick<EntityLink, 'to_entity_id' | 'to_entity_type' | 'metadata'>;

export class LinksResource extends Resource {
  /** POST /api/v4/{entity}/{id}/link */
  async link(entity: EntityType, id: number, links: readonly LinkInput[], opts?: RequestOptions): Promise<EntityLink[]> {
    const data = await this.t.request<unknown>('POST', path`/api/v4/${entity}/${id}/link`, { body: links, ...(opts ? { opts } : {}) });
    return embedded(data, 'links');
  }

  /** POST /api/v4/{entity}/{id}/unlink (same body as link). */
  async unlink(entity: EntityType, id: number, links: readonly LinkInput[], opts?: RequestOptions): Promise<void> {
    await this.t.request('POST', path`/api/v4/${entity}/${id}/unlink`, { body: links, ...(opts ? { opts } : {}) });
  }

  /** GET /api/v4/{entity}/{id}/links, optionally filtered to one target. */
  list(
    entity: EntityType,
    id: number,
    filter?: { to_entity_id?: number; to_entity_type?: EntityLink['to_entity_type'] },
    opts?: RequestOptions,
  ): Promise<ListPage<EntityLink>> {
    return this.t.list<EntityLink>(path`/api/v4/${entity}/${id}/links`, 'links', filter ? { filter: { ...filter } } : undefined, opts);
  }
}
