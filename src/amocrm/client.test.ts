// Request-loop behaviour with an injected fetch: retries, refresh, circuit breaker, 204 handling, logging.
import { describe, expect, it } from 'vitest';
import { AmoClient, type AmoClientOptions } from './client.js';
import {
  AmoAbortedError,
  AmoAuthError,
  AmoCircuitOpenError,
  AmoConnectionError,
  AmoReconnectRequiredError,
  AmoServerError,
  AmoTimeoutError,
} from './errors.js';
import { MemoryTokenStore, type TokenSet } from './tokens.js';
import type { AmoRequestInfo } from './request.js';

interface Call {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}
type Handler = (call: Call, n: number, signal?: AbortSignal) => Response | Promise<Response>;

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/hal+json', ...headers } });
const html = (status: number) =>
  new Response('<html><body><h1>blocked</h1></body></html>', { status, headers: { 'content-type': 'text/html' } });
const account = { id: 1, name: 'Acme', subdomain: 'acme', _links: {} };

function setup(handler: Handler, over: Omit<Partial<AmoClientOptions>, 'tokens'> & { tokens?: TokenSet | null } = {}) {
  const calls: Call[] = [];
  const sleeps: number[] = [];
  const clock = { now: 1_700_000_000_000 };
  const store = new MemoryTokenStore(
    over.tokens === undefined
      ? { accessToken: 'access-1', refreshToken: 'refresh-1', expiresAt: clock.now + 3_600_000, kind: 'oauth' }
      : over.tokens,
  );
  const fetch = async (url: string, init: RequestInit): Promise<Response> => {
    const call: Call = {
      method: String(init.method),
      url,
      headers: init.headers as Record<string, string>,
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
    };
    calls.push(call);
    return handler(call, calls.length, init.signal ?? undefined);
  };
  const { tokens: _t, ...rest } = over;
  const client = new AmoClient({
    domain: 'acme.amocrm.ru',
    oauth: { clientId: 'cid', clientSecret: 'secret', redirectUri: 'https://app.test/cb' },
    tokens: store,
    fetch,
    now: () => clock.now,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0,
    ...rest,
  });
  return { client, calls, sleeps, store, clock };
}

const tokenResponse = (n: number) => ({
  token_type: 'Bearer',
  expires_in: 86400,
  access_token: `access-new-${n}`,
  refresh_token: `refresh-new-${n}`,
});

describe('AmoClient request loop', () => {
  it('retries a 429 after the JSON retry_after, then succeeds', async () => {
    const { client, calls, sleeps } = setup((_, n) =>
      n === 1 ? json(429, { status: 429, title: 'Too Many Requests', retry_after: 1 }) : json(200, account),
    );
    await expect(client.account.get()).resolves.toMatchObject({ id: 1 });
    expect(calls).toHaveLength(2);
    expect(sleeps).toContain(1000);
  });

  it('retries a 429 HTML page with exponential backoff', async () => {
    const { client, calls, sleeps } = setup((_, n) => (n === 1 ? html(429) : json(200, account)));
    await expect(client.account.get()).resolves.toMatchObject({ id: 1 });
    expect(calls).toHaveLength(2);
    expect(sleeps).toContain(500);
  });

  it('retries a 503 and gives up after maxRetries', async () => {
    const ok = setup((_, n) => (n <= 2 ? html(503) : json(200, account)));
    await expect(ok.client.account.get()).resolves.toMatchObject({ id: 1 });
    expect(ok.calls).toHaveLength(3);

    const bad = setup(() => html(503), { maxRetries: 1 });
    await expect(bad.client.account.get()).rejects.toBeInstanceOf(AmoServerError);
    expect(bad.calls).toHaveLength(2);
  });

  it('does not retry a POST after a timeout', async () => {
    const { client, calls } = setup(
      (_c, _n, signal?: AbortSignal) =>
        new Promise<Response>((_, reject) => signal?.addEventListener('abort', () => reject(new Error('aborted')))),
      { timeoutMs: 30 },
    );
    await expect(client.leads.create([{ name: 'x' }])).rejects.toBeInstanceOf(AmoTimeoutError);
    expect(calls).toHaveLength(1);
  });

  it('does not send when the signal is aborted during the rate-limit wait (a store that ignores the signal)', async () => {
    const ctrl = new AbortController();
    // The slot wait ends normally, but the claim deadline fired meanwhile: no request may leave.
    const store = { reserve: async (_k: string, _i: number, now: number) => (ctrl.abort(new Error('claim deadline')), now) };
    const { client, calls } = setup(() => json(200, account), { rateLimit: { store } });
    await expect(client.account.get(undefined, { signal: ctrl.signal })).rejects.toBeInstanceOf(AmoAbortedError);
    expect(calls).toHaveLength(0);
  });

  it('does not send when the signal is aborted while sleeping for the slot', async () => {
    const ctrl = new AbortController();
    let n = 0;
    const store = { reserve: async (_k: string, _i: number, now: number) => (n++ === 0 ? now : now + 500) };
    const { client, calls } = setup(() => json(200, account), {
      rateLimit: { store },
      // A sleep that finishes (it does not look at the signal) after the abort happened.
      sleep: async () => {
        ctrl.abort(new Error('stop'));
      },
    });
    await expect(client.account.get()).resolves.toMatchObject({ id: 1 });
    await expect(client.account.get(undefined, { signal: ctrl.signal })).rejects.toBeInstanceOf(AmoAbortedError);
    expect(calls).toHaveLength(1);
  });

  it('retries a GET after a timeout', async () => {
    const { client, calls } = setup(
      (_c, n, signal?: AbortSignal) =>
        n === 1
          ? new Promise<Response>((_, reject) => signal?.addEventListener('abort', () => reject(new Error('aborted'))))
          : json(200, account),
      { timeoutMs: 30 },
    );
    await expect(client.account.get()).resolves.toMatchObject({ id: 1 });
    expect(calls).toHaveLength(2);
  });

  it('retries a POST when the connection was refused before sending', async () => {
    const refused = () => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    };
    const { client, calls } = setup((_, n) => (n === 1 ? refused() : json(200, { _embedded: { leads: [{ id: 5, request_id: '0' }] } })));
    await expect(client.leads.create([{ name: 'x' }])).resolves.toEqual([{ id: 5, request_id: '0' }]);
    expect(calls).toHaveLength(2);
  });

  it('does not retry a POST after a reset mid-request', async () => {
    const { client, calls } = setup(() => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
    });
    const err = await client.leads.create([{ name: 'x' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmoConnectionError);
    expect((err as AmoConnectionError).neverSent).toBe(false);
    expect(calls).toHaveLength(1);
  });

  it('maps 204 to null and to an empty page', async () => {
    const { client } = setup(() => new Response(null, { status: 204 }));
    await expect(client.leads.get(1)).resolves.toBeNull();
    await expect(client.leads.list({ query: 'nobody' })).resolves.toMatchObject({ items: [], nextUrl: null });
  });

  it('iterates pages via _links.next (re-based on our origin) and stops on 204', async () => {
    const { client, calls } = setup((c) => {
      const page = Number(new URL(c.url).searchParams.get('page') ?? '1');
      if (page === 3) return new Response(null, { status: 204 });
      return json(200, {
        _page: page,
        _links: { next: { href: `https://elsewhere.example/api/v4/leads?limit=2&page=${page + 1}` } },
        _embedded: { leads: [{ id: page * 10 }, { id: page * 10 + 1 }] },
      });
    });
    const ids: number[] = [];
    for await (const lead of client.leads.iterate({ limit: 2 })) ids.push(lead.id);
    expect(ids).toEqual([10, 11, 20, 21]);
    expect(calls.map((c) => c.url)).toEqual([
      'https://acme.amocrm.ru/api/v4/leads?limit=2',
      'https://acme.amocrm.ru/api/v4/leads?limit=2&page=2',
      'https://acme.amocrm.ru/api/v4/leads?limit=2&page=3',
    ]);
  });

  it('sends PHP-style filters, bodies on DELETE and encoded path segments', async () => {
    const { client, calls } = setup((c) =>
      c.method === 'GET' ? json(200, { _links: {}, _embedded: { events: [] } }) : new Response(null, { status: 204 }),
    );
    await client.events.list({ types: ['lead_added', 'lead_status_changed'], createdAt: { from: 100 }, entities: ['lead'], limit: 100 });
    expect(decodeURIComponent(new URL(calls[0]!.url).search)).toBe(
      '?limit=100&filter[type][]=lead_added&filter[type][]=lead_status_changed&filter[entity][]=lead&filter[created_at][from]=100',
    );
    await client.webhooks.unsubscribe('https://hook.test/x');
    expect(calls[1]).toMatchObject({ method: 'DELETE', url: 'https://acme.amocrm.ru/api/v4/webhooks', body: { destination: 'https://hook.test/x' } });
    await client.unsorted.decline('a/b', { user_id: 1 });
    expect(calls[2]).toMatchObject({ method: 'DELETE', url: 'https://acme.amocrm.ru/api/v4/leads/unsorted/a%2Fb/decline', body: { user_id: 1 } });
  });

  it('sends more than 50 leads as consecutive batches of 50', async () => {
    const { client, calls } = setup((c) => {
      const items = c.body as { request_id: string }[];
      return json(200, { _embedded: { leads: items.map((it, i) => ({ id: i + 1, request_id: it.request_id })) } });
    });
    const res = await client.leads.create(Array.from({ length: 120 }, (_, i) => ({ name: `L${i}`, request_id: `r${i}` })));
    expect(calls.map((c) => (c.body as unknown[]).length)).toEqual([50, 50, 20]);
    expect(res).toHaveLength(120);
  });

  it('logs method, path, status and attempt but never headers, bodies or the query string', async () => {
    const lines: string[] = [];
    const infos: AmoRequestInfo[] = [];
    const log = (obj: object, msg?: string) => lines.push(JSON.stringify({ ...obj, msg }));
    const { client } = setup(() => json(200, { _embedded: { contacts: [] }, _links: {} }), {
      logger: { debug: log, info: log, warn: log, error: log },
      onRequest: (i) => infos.push(i),
    });
    await client.contacts.list({ query: '79121234567' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('"path":"/api/v4/contacts"');
    expect(lines.join('\n')).not.toMatch(/access-1|79121234567|Bearer/);
    expect(infos).toEqual([expect.objectContaining({ method: 'GET', path: '/api/v4/contacts', status: 200, attempt: 0 })]);
  });
});

describe('AmoClient auth', () => {
  it('refreshes exactly once on a 401 and retries with the new token', async () => {
    const { client, calls, store } = setup((c) => {
      if (c.url.endsWith('/oauth2/access_token')) return json(200, tokenResponse(1));
      return c.headers.authorization === 'Bearer access-1' ? json(401, { status: 401, title: 'Unauthorized' }) : json(200, account);
    });
    await expect(client.account.get()).resolves.toMatchObject({ id: 1 });
    const tokenCalls = calls.filter((c) => c.url.endsWith('/oauth2/access_token'));
    expect(tokenCalls).toHaveLength(1);
    expect(tokenCalls[0]!.body).toMatchObject({
      grant_type: 'refresh_token',
      refresh_token: 'refresh-1',
      redirect_uri: 'https://app.test/cb',
      client_id: 'cid',
    });
    expect(calls.at(-1)!.headers.authorization).toBe('Bearer access-new-1');
    expect((await store.get())?.refreshToken).toBe('refresh-new-1');
  });

  it('surfaces a second 401 after the refresh', async () => {
    const { client, calls } = setup((c) =>
      c.url.endsWith('/oauth2/access_token') ? json(200, tokenResponse(1)) : json(401, { status: 401 }),
    );
    await expect(client.account.get()).rejects.toBeInstanceOf(AmoAuthError);
    expect(calls).toHaveLength(3);
  });

  it('shares one refresh between 50 concurrent calls at token expiry', async () => {
    let refreshes = 0;
    const { client, clock, store } = setup(
      async (c) => {
        if (c.url.endsWith('/oauth2/access_token')) {
          refreshes++;
          await new Promise((r) => setTimeout(r, 10));
          return json(200, tokenResponse(refreshes));
        }
        return c.headers.authorization === 'Bearer access-new-1' ? json(200, account) : json(401, { status: 401 });
      },
      { tokens: null },
    );
    await store.save({ accessToken: 'access-1', refreshToken: 'refresh-1', expiresAt: clock.now + 30_000, kind: 'oauth' });
    const results = await Promise.all(Array.from({ length: 50 }, () => client.account.get()));
    expect(results).toHaveLength(50);
    expect(refreshes).toBe(1);
  });

  it('uses a pair another process already rotated instead of refreshing again', async () => {
    const { client, calls, store, clock } = setup((c) =>
      c.headers.authorization === 'Bearer access-other' ? json(200, account) : json(401, { status: 401 }),
    );
    // Simulate the other process rotating right after we read the old token.
    const original = store.get.bind(store);
    let reads = 0;
    store.get = async () => {
      reads++;
      if (reads === 2) await store.save({ accessToken: 'access-other', refreshToken: 'r2', expiresAt: clock.now + 86_400_000, kind: 'oauth' });
      return original();
    };
    await expect(client.account.get()).resolves.toMatchObject({ id: 1 });
    expect(calls.filter((c) => c.url.endsWith('/oauth2/access_token'))).toHaveLength(0);
  });

  it('turns a spent refresh token into AmoReconnectRequiredError with the hint', async () => {
    const { client } = setup((c) =>
      c.url.endsWith('/oauth2/access_token')
        ? json(401, { hint: 'Token has been revoked', title: 'Некорректный запрос', status: 401 })
        : json(401, { status: 401 }),
    );
    const err = await client.account.get().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmoReconnectRequiredError);
    expect((err as AmoReconnectRequiredError).reason).toBe('refresh_rejected');
    expect((err as AmoReconnectRequiredError).hint).toBe('Token has been revoked');
  });

  it('never refreshes a long-lived token: 401 means reconnect', async () => {
    const { client, calls } = setup(() => json(401, { status: 401 }), {
      tokens: { accessToken: 'll', refreshToken: null, expiresAt: Date.now() + 86_400_000 * 400, kind: 'long_lived' },
    });
    const err = await client.account.get().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmoReconnectRequiredError);
    expect((err as AmoReconnectRequiredError).reason).toBe('long_lived_rejected');
    expect(calls).toHaveLength(1);
  });

  it('asks for a reconnect when there are no tokens at all', async () => {
    const { client, calls } = setup(() => json(200, account), { tokens: null });
    await expect(client.account.get()).rejects.toBeInstanceOf(AmoReconnectRequiredError);
    expect(calls).toHaveLength(0);
  });
});

describe('AmoClient circuit breaker', () => {
  it('opens after 429s followed by a 403 and then stops touching the network', async () => {
    const { client, calls } = setup((_, n) => (n <= 2 ? html(429) : html(403)), { maxRetries: 0 });
    for (let i = 0; i < 3; i++) await client.account.get().catch(() => undefined);
    expect(calls).toHaveLength(3);
    expect(client.circuitState()).toMatchObject({ state: 'open' });
    await expect(client.account.get()).rejects.toBeInstanceOf(AmoCircuitOpenError);
    await expect(client.leads.create([{ name: 'x' }])).rejects.toBeInstanceOf(AmoCircuitOpenError);
    expect(calls).toHaveLength(3);
  });

  it('does not open on a plain permission 403', async () => {
    const { client } = setup(() => json(403, { status: 403, title: 'Forbidden' }), { maxRetries: 0 });
    await client.users.list().catch(() => undefined);
    expect(client.circuitState().state).toBe('closed');
  });

  it('half-opens after the pause, lets one probe through and closes on success', async () => {
    let blocked = true;
    const { client, calls, clock } = setup(() => (blocked ? html(403) : json(200, account)), {
      maxRetries: 0,
      circuit: { pauseMs: 60_000 },
    });
    await client.account.get().catch(() => undefined); // an HTML 403 block page opens it at once
    const state = client.circuitState();
    expect(state.state).toBe('open');
    expect(state.openUntil).toBe(clock.now + 60_000);
    clock.now += 60_000;
    expect(client.circuitState().state).toBe('half_open');
    blocked = false;
    await expect(client.account.get()).resolves.toMatchObject({ id: 1 });
    expect(client.circuitState()).toEqual({ state: 'closed' });
    expect(calls).toHaveLength(2);
  });

  it('re-opens when the probe is blocked again', async () => {
    const { client, calls, clock } = setup(() => html(403), { maxRetries: 0, circuit: { pauseMs: 1000 } });
    await client.account.get().catch(() => undefined);
    clock.now += 1000;
    await client.account.get().catch(() => undefined);
    expect(client.circuitState().state).toBe('open');
    await expect(client.account.get()).rejects.toBeInstanceOf(AmoCircuitOpenError);
    expect(calls).toHaveLength(2);
  });
});
