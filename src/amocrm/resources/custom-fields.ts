// Custom fields and groups per entity (fact sheet §7.6). Writes are admin only; the list is paged.
import { Resource, embedded, type ListPage } from '../core.js';
import { path } from '../query.js';
import type { RequestOptions } from '../request.js';
import type { CustomField, CustomFieldGroup, CustomFieldInput, CustomFieldType } from '../types.js';

export type CustomFieldEntity = 'leads' | 'contacts' | 'companies' | 'customers';

type Opt = RequestOptions | undefined;
const o = (opts: Opt) => (opts ? { opts } : {});

export interface CustomFieldListQuery {
  page?: number;
  limit?: number;
  types?: CustomFieldType[];
  order?: { sort?: 'asc' | 'desc'; id?: 'asc' | 'desc' };
}

function params(q?: CustomFieldListQuery) {
  return {
    ...(q?.page !== undefined ? { page: q.page } : {}),
    ...(q?.limit !== undefined ? { limit: q.limit } : {}),
    ...(q?.types?.length ? { filter: { type: q.types } } : {}),
    ...(q?.order ? { order: q.order } : {}),
  };
}

export class CustomFieldGroupsResource extends Resource {
  async list(entity: CustomFieldEntity, opts?: RequestOptions): Promise<CustomFieldGroup[]> {
    const out: CustomFieldGroup[] = [];
    for await (const g of this.t.iterate<CustomFieldGroup>(path`/api/v4/${entity}/custom_fields/groups`, 'custom_field_groups', undefined, opts)) {
      out.push(g);
    }
    return out;
  }

  async create(
    entity: CustomFieldEntity,
    items: readonly { name: string; sort?: number; request_id?: string }[],
    opts?: RequestOptions,
  ): Promise<(CustomFieldGroup & { request_id?: string })[]> {
    const data = await this.t.request<unknown>('POST', path`/api/v4/${entity}/custom_fields/groups`, { body: items, ...o(opts) });
    return embedded(data, 'custom_field_groups');
  }
}

export class CustomFieldsResource extends Resource {
  readonly groups = new CustomFieldGroupsResource(this.t);

  list(entity: CustomFieldEntity, query?: CustomFieldListQuery, opts?: RequestOptions): Promise<ListPage<CustomField>> {
    return this.t.list<CustomField>(path`/api/v4/${entity}/custom_fields`, 'custom_fields', params(query), opts);
  }

  /** Every field of the entity, following every page. */
  async listAll(entity: CustomFieldEntity, query?: Omit<CustomFieldListQuery, 'page'>, opts?: RequestOptions): Promise<CustomField[]> {
    const out: CustomField[] = [];
    for await (const f of this.t.iterate<CustomField>(path`/api/v4/${entity}/custom_fields`, 'custom_fields', params(query), opts)) {
      out.push(f);
    }
    return out;
  }

  get(entity: CustomFieldEntity, id: number, opts?: RequestOptions): Promise<CustomField | null> {
    return this.t.request<CustomField>('GET', path`/api/v4/${entity}/custom_fields/${id}`, o(opts));
  }

  async create(entity: CustomFieldEntity, items: readonly CustomFieldInput[], opts?: RequestOptions): Promise<(CustomField & { request_id?: string })[]> {
    const data = await this.t.request<unknown>('POST', path`/api/v4/${entity}/custom_fields`, { body: items, ...o(opts) });
    return embedded(data, 'custom_fields');
  }

  /** PATCH /api/v4/{entity}/custom_fields with an array (each item carries `id`). */
  async update(
    entity: CustomFieldEntity,
    items: readonly (Partial<CustomFieldInput> & { id: number; enums?: { id?: number; value: string; sort?: number; code?: string }[] })[],
    opts?: RequestOptions,
  ): Promise<CustomField[]> {
    const data = await this.t.request<unknown>('PATCH', path`/api/v4/${entity}/custom_fields`, { body: items, ...o(opts) });
    return embedded(data, 'custom_fields');
  }

  /** PATCH /api/v4/{entity}/custom_fields/{id} with a single object. */
  updateOne(
    entity: CustomFieldEntity,
    id: number,
    patch: Partial<Omit<CustomFieldInput, 'enums' | 'type'>> & { enums?: { id?: number; value: string; sort?: number; code?: string }[] },
    opts?: RequestOptions,
  ): Promise<CustomField | null> {
    return this.t.request<CustomField>('PATCH', path`/api/v4/${entity}/custom_fields/${id}`, { body: patch, ...o(opts) });
  }

  async delete(entity: CustomFieldEntity, id: number, opts?: RequestOptions): Promise<void> {
    await this.t.request('DELETE', path`/api/v4/${entity}/custom_fields/${id}`, o(opts));
  }
}
