import { Resource, type ListPage } from '../core.js';
import { path } from '../query.js';
import type { RequestOptions } from '../request.js';
import type { BatchResultItem, Note, NoteInput, NoteType } from '../types.js';
import { batchWrite } from './common.js';

export type NoteEntity = 'leads' | 'contacts' | 'companies' | 'customers';

export interface NoteListQuery {
  page?: number;
  limit?: number;
  noteTypes?: NoteType[];
  updatedAt?: { from?: number; to?: number };
  order?: { updated_at?: 'asc' | 'desc'; id?: 'asc' | 'desc' };
}

function params(q?: NoteListQuery) {
  const filter = {
    ...(q?.noteTypes?.length ? { note_type: q.noteTypes } : {}),
    ...(q?.updatedAt ? { updated_at: { ...q.updatedAt } } : {}),
  };
  return {
    ...(q?.page !== undefined ? { page: q.page } : {}),
    ...(q?.limit !== undefined ? { limit: q.limit } : {}),
    ...(Object.keys(filter).length ? { filter } : {}),
    ...(q?.order ? { order: { ...q.order } } : {}),
  };
}

export class NotesResource extends Resource {
  /** POST /api/v4/{entity}/notes (each item carries `entity_id`), in chunks of 50. */
  create(entity: NoteEntity, items: readonly NoteInput[], opts?: RequestOptions): Promise<BatchResultItem[]> {
    return batchWrite(this.t, 'POST', path`/api/v4/${entity}/notes`, 'notes', items, opts);
  }

  /** Notes of one entity (`entityId`) or of the whole entity type. */
  list(entity: NoteEntity, entityId?: number, query?: NoteListQuery, opts?: RequestOptions): Promise<ListPage<Note>> {
    const p = entityId === undefined ? path`/api/v4/${entity}/notes` : path`/api/v4/${entity}/${entityId}/notes`;
    return this.t.list<Note>(p, 'notes', params(query), opts);
  }

  iterate(entity: NoteEntity, entityId?: number, query?: Omit<NoteListQuery, 'page'>, opts?: RequestOptions): AsyncGenerator<Note, void, undefined> {
    const p = entityId === undefined ? path`/api/v4/${entity}/notes` : path`/api/v4/${entity}/${entityId}/notes`;
    return this.t.iterate<Note>(p, 'notes', params(query), opts);
  }
}
