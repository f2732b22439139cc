import { Resource, type ListPage } from '../core.js';
import { path } from '../query.js';
import type { RequestOptions } from '../request.js';
import type { User } from '../types.js';

export type UserWith = 'role' | 'group' | 'uuid' | 'amojo_id' | 'user_rank' | 'phone_number';
export interface UserListQuery {
  with?: UserWith[];
  page?: number;
  limit?: number;
}

export class UsersResource extends Resource {
  /** GET /api/v4/users (admin only). */
  list(query?: UserListQuery, opts?: RequestOptions): Promise<ListPage<User>> {
    return this.t.list<User>('/api/v4/users', 'users', query ? { ...query } : undefined, opts);
  }

  iterate(query?: Omit<UserListQuery, 'page'>, opts?: RequestOptions): AsyncGenerator<User, void, undefined> {
    return this.t.iterate<User>('/api/v4/users', 'users', query ? { ...query } : undefined, opts);
  }

  get(id: number, params?: { with?: UserWith[] }, opts?: RequestOptions): Promise<User | null> {
    return this.t.request<User>('GET', path`/api/v4/users/${id}`, {
      ...(params?.with?.length ? { query: { with: params.with } } : {}),
      ...(opts ? { opts } : {}),
    });
  }
}
