import { Resource, type ListPage } from '../core.js';
import { path, type QueryValue } from '../query.js';
import type { RequestOptions } from '../request.js';
import type { BatchResultItem, Task, TaskInput } from '../types.js';
import { batchWrite } from './common.js';

export interface TaskListQuery {
  page?: number;
  limit?: number;
  filter?: { [key: string]: QueryValue };
  order?: { created_at?: 'asc' | 'desc'; complete_till?: 'asc' | 'desc'; id?: 'asc' | 'desc' };
}

export class TasksResource extends Resource {
  list(query?: TaskListQuery, opts?: RequestOptions): Promise<ListPage<Task>> {
    return this.t.list<Task>('/api/v4/tasks', 'tasks', query ? { ...query } : undefined, opts);
  }

  iterate(query?: Omit<TaskListQuery, 'page'>, opts?: RequestOptions): AsyncGenerator<Task, void, undefined> {
    return this.t.iterate<Task>('/api/v4/tasks', 'tasks', query ? { ...query } : undefined, opts);
  }

  get(id: number, opts?: RequestOptions): Promise<Task | null> {
    return this.t.request<Task>('GET', path`/api/v4/tasks/${id}`, opts ? { opts } : {});
  }

  /** `text` and `complete_till` are required per task. */
  create(items: readonly TaskInput[], opts?: RequestOptions): Promise<BatchResultItem[]> {
    return batchWrite(this.t, 'POST', '/api/v4/tasks', 'tasks', items, opts);
  }

  update(items: readonly (Partial<TaskInput> & { id: number })[], opts?: RequestOptions): Promise<BatchResultItem[]> {
    return batchWrite(this.t, 'PATCH', '/api/v4/tasks', 'tasks', items, opts);
  }

  /** PATCH /api/v4/tasks/{id} `{is_completed: true, result: {text}}`. */
  async complete(id: number, resultText: string, opts?: RequestOptions): Promise<BatchResultItem> {
    const data = await this.t.request<BatchResultItem>('PATCH', path`/api/v4/tasks/${id}`, {
      body: { is_completed: true, result: { text: resultText } },
      ...(opts ? { opts } : {}),
    });
    return data ?? { id, request_id: '' };
  }
}
