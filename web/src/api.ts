// A small typed fetch over the dashboard API: same origin, the session cookie goes along, the CSRF token (from
// sign-in or GET /api/dashboard/session) is sent on every POST.
export interface Session {
  email: string;
  role: 'admin' | 'viewer';
  csrfToken: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let csrf = '';
export const setCsrf = (t: string) => {
  csrf = t;
};

async function parse<T>(res: Response): Promise<T> {
  if (res.status === 204) return undefined as T;
  const body = (await res.json().catch(() => ({}))) as { code?: string; detail?: string; title?: string };
  if (!res.ok) throw new ApiError(res.status, body.code ?? 'ERROR', body.detail ?? body.title ?? res.statusText);
  return body as T;
}

export async function get<T>(path: string, params: Record<string, string | number | undefined> = {}): Promise<T> {
  return parse<T>(await fetch(url(path, params), { credentials: 'same-origin' }));
}

export async function post<T>(path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
    body: JSON.stringify(body ?? {}),
  });
  return parse<T>(res);
}

export function url(path: string, params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
