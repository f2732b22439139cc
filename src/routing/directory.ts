// amoCRM users for routing: every configured manager (id, email or name) resolved through GET /api/v4/users,
// cached (the docs ask for it: the call is slow on big accounts). Inactive and free (read-only) seats are marked,
// unknown references too. When amoCRM cannot be asked, the last good list is used; with none, numeric ids pass
// as `unchecked` (treated as active) and names/emails as unknown.
import type { User } from '../amocrm/index.js';
import type { ManagerSpec, ResolvedManager } from './types.js';

export interface UserDirectoryDeps {
  listUsers: () => Promise<User[]>;
  now: () => number;
  ttlMs?: number;
  onError?: (err: unknown) => void;
}

export interface UserDirectory {
  resolve(managers: ManagerSpec[]): Promise<Map<string, ResolvedManager>>;
  /** The users list as last fetched (fresh when `force`). Throws when amoCRM cannot be asked and nothing is cached. */
  users(force?: boolean): Promise<User[]>;
}

export function findUser(users: User[], ref: number | string): User | undefined {
  if (typeof ref === 'number') return users.find((u) => u.id === ref);
  const r = ref.trim().toLowerCase();
  if (/^\d+$/.test(r)) return users.find((u) => u.id === Number(r));
  if (r.includes('@')) return users.find((u) => (u.email ?? '').trim().toLowerCase() === r);
  return users.find((u) => (u.name ?? '').trim().toLowerCase() === r);
}

export function statusOf(u: User): ResolvedManager['status'] {
  if (u.rights?.is_active === false) return 'inactive';
  if (u.rights?.is_free === true) return 'free';
  return 'active';
}

export function createUserDirectory(deps: UserDirectoryDeps): UserDirectory {
  const ttl = deps.ttlMs ?? 5 * 60_000;
  let cache: { at: number; users: User[] } | undefined;
  let inFlight: Promise<User[]> | undefined;
  const fetchUsers = (): Promise<User[]> =>
    (inFlight ??= deps
      .listUsers()
      .then((users) => {
        cache = { at: deps.now(), users };
        return users;
      })
      .finally(() => {
        inFlight = undefined;
      }));

  async function users(force = false): Promise<User[]> {
    if (!force && cache && deps.now() - cache.at < ttl) return cache.users;
    try {
      return await fetchUsers();
    } catch (err) {
      if (!cache) throw err;
      deps.onError?.(err);
      return cache.users;
    }
  }

  return {
    users,
    async resolve(managers) {
      let list: User[] | undefined;
      try {
        list = await users();
      } catch (err) {
        deps.onError?.(err);
      }
      const out = new Map<string, ResolvedManager>();
      for (const m of managers) {
        if (!list) {
          const id = typeof m.ref === 'number' ? m.ref : /^\d+$/.test(m.ref) ? Number(m.ref) : null;
          out.set(m.key, { ...m, userId: id, name: id === null ? m.key : `#${id}`, status: id === null ? 'unknown' : 'unchecked' });
          continue;
        }
        const u = findUser(list, m.ref);
        out.set(m.key, u ? { ...m, userId: u.id, name: u.name, status: statusOf(u) } : { ...m, userId: null, name: m.key, status: 'unknown' });
      }
      return out;
    },
  };
}
