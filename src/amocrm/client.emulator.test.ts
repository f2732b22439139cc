// Client behaviour against the emulator over real HTTP: OAuth, refresh, long-lived tokens, faults, rate limit, circuit.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../amocrm-emulator/index.js';
import { AmoClient, type AmoClientOptions } from './client.js';
import {
  AmoCircuitOpenError,
  AmoRateLimitError,
  AmoConnectionError,
  AmoForbiddenError,
  AmoReconnectRequiredError,
  AmoTimeoutError,
} from './errors.js';
import { apiDomainOrigin, decodeJwtClaims } from './hosts.js';
import { getAccountDomainByRefreshToken } from './oauth.js';
import { Requester } from './request.js';
import { MemoryTokenStore, longLivedTokenSet, tokenSetFromResponse } from './tokens.js';

let emu: RunningEmulator;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, autoApprove: true, logger: false });
});
afterAll(async () => {
  await emu.close();
});
beforeEach(() => {
  emu.control.reset();
});

async function oauthClient(over: Partial<AmoClientOptions> = {}) {
  const tokens = new MemoryTokenStore(tokenSetFromResponse(await emu.control.issueTokens({ admin: true }), Date.now()));
  const client = new AmoClient({
    domain: emu.config.domain,
    baseUrl: emu.url,
    oauth: { clientId: emu.config.clientId, clientSecret: emu.config.clientSecret, redirectUri: emu.config.redirectUri },
    tokens,
    ...over,
  });
  return { client, tokens };
}

describe('OAuth against the emulator', () => {
  it('runs consent → code exchange and stores the pair', async () => {
    const tokens = new MemoryTokenStore();
    const client = new AmoClient({
      domain: emu.config.domain,
      baseUrl: emu.url,
      oauth: { clientId: emu.config.clientId, clientSecret: emu.config.clientSecret, redirectUri: emu.config.redirectUri },
      tokens,
    });
    const url = client.authorizeUrl({ state: 'csrf-1', useBaseUrl: true });
    expect(url.startsWith(`${emu.url}/oauth?`)).toBe(true);
    const res = await fetch(url, { redirect: 'manual' });
    const location = new URL(res.headers.get('location') ?? '');
    expect(location.searchParams.get('state')).toBe('csrf-1');
    expect(location.searchParams.get('referer')).toBe(emu.config.domain);
    const pair = await client.exchangeCode(location.searchParams.get('code') ?? '');
    expect(pair.kind).toBe('oauth');
    expect(await tokens.get()).toEqual(pair);
    await expect(client.account.get()).resolves.toMatchObject({ id: emu.config.accountId });
  });

  it('refreshes once after the emulator expires the access token, then retries', async () => {
    const { client, tokens } = await oauthClient();
    const before = await tokens.get();
    emu.control.advanceClock(25 * 3600 * 1000);
    const callsBefore = emu.control.tokenCalls();
    await expect(client.account.get()).resolves.toMatchObject({ id: emu.config.accountId });
    expect(emu.control.tokenCalls() - callsBefore).toBe(1);
    expect((await tokens.get())?.refreshToken).not.toBe(before?.refreshToken);
  });

  it('makes exactly one refresh call for 50 concurrent requests at expiry', async () => {
    const tokens = new MemoryTokenStore(tokenSetFromResponse(await emu.control.issueTokens({ admin: true }), Date.now()));
    const cur = await tokens.get();
    await tokens.save({ ...cur!, expiresAt: Date.now() + 10_000 }); // inside the 60 s proactive window
    const client = new AmoClient({
      domain: emu.config.domain,
      baseUrl: emu.url,
      oauth: { clientId: emu.config.clientId, clientSecret: emu.config.clientSecret, redirectUri: emu.config.redirectUri },
      tokens,
      rateLimit: { perSecond: 1000 },
    });
    const before = emu.control.tokenCalls();
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => client.account.get()));
    expect(emu.control.tokenCalls() - before).toBe(1);
    // The client limiter is opened up here, so the emulator's own 7/s limit answers some calls with 429, and the
    // repeated 429s escalate to a 403 block (as amoCRM does), after which the circuit opens: never an auth error.
    for (const r of results) if (r.status === 'rejected') expect([AmoRateLimitError, AmoForbiddenError, AmoCircuitOpenError].some((t) => r.reason instanceof t)).toBe(true);
    expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
  });

  it('rotates the pair on demand (keep-alive) and keeps working', async () => {
    const { client, tokens } = await oauthClient();
    const before = await tokens.get();
    const calls = emu.control.tokenCalls();
    const next = await client.refreshTokens();
    expect(emu.control.tokenCalls() - calls).toBe(1);
    expect(next.refreshToken).not.toBe(before?.refreshToken);
    expect(await tokens.get()).toEqual(next);
    await expect(client.account.get()).resolves.toMatchObject({ id: emu.config.accountId });
  });

  it('turns a revoked pair into AmoReconnectRequiredError', async () => {
    const { client } = await oauthClient();
    emu.control.revokeAll();
    const err = await client.account.get().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmoReconnectRequiredError);
  });

  it('uses a long-lived token and never refreshes it', async () => {
    const ll = await emu.control.issueLongLivedToken({ ttlSec: 3600, admin: true });
    const client = new AmoClient({
      domain: emu.config.domain,
      baseUrl: emu.url,
      tokens: new MemoryTokenStore(longLivedTokenSet(ll.access_token, ll.expires_at * 1000)),
    });
    await expect(client.account.get()).resolves.toMatchObject({ id: emu.config.accountId });
    emu.control.advanceClock(2 * 3600 * 1000);
    const before = emu.control.tokenCalls();
    const err = await client.account.get().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmoReconnectRequiredError);
    expect(emu.control.tokenCalls()).toBe(before);
  });

  it('finds the account domain by refresh token', async () => {
    const pair = await emu.control.issueTokens({ admin: true });
    const claims = decodeJwtClaims(pair.access_token);
    expect(typeof claims?.exp).toBe('number');
    if (claims?.api_domain) expect(apiDomainOrigin(claims.api_domain)).toMatch(/^https:\/\//);
    const info = await getAccountDomainByRefreshToken({ http: new Requester(), baseUrl: emu.url }, pair.refresh_token);
    expect(info).toMatchObject({ subdomain: emu.config.subdomain, id: emu.config.accountId });
  });
});

describe('faults and limits against the emulator', () => {
  it('retries an injected 503 on GET', async () => {
    const { client } = await oauthClient({ random: () => 1 });
    emu.control.addFault({ method: 'GET', path: '/api/v4/account', count: 1, status: 503, body: '<html>503</html>', contentType: 'text/html' });
    await expect(client.account.get()).resolves.toMatchObject({ id: emu.config.accountId });
  });

  it('retries an HTML 429 and a JSON 429 with retry_after', async () => {
    const { client } = await oauthClient({ random: () => 1 });
    emu.control.addFault({ method: 'GET', path: '/api/v4/account', count: 1, status: 429, body: '<html>429</html>', contentType: 'text/html' });
    await expect(client.account.get()).resolves.toMatchObject({ id: emu.config.accountId });
    emu.control.addFault({ method: 'GET', path: '/api/v4/account', count: 1, status: 429, body: { status: 429, retry_after: 0 } });
    await expect(client.account.get()).resolves.toMatchObject({ id: emu.config.accountId });
  });

  it('does not replay a POST that timed out', async () => {
    const { client } = await oauthClient({ timeoutMs: 200 });
    emu.control.addFault({ method: 'POST', path: '/api/v4/leads', count: 1, delayMs: 600 });
    await expect(client.leads.create([{ name: 'slow' }])).rejects.toBeInstanceOf(AmoTimeoutError);
    const posts = (emu.control.state().calls as { method: string; path: string }[]).filter(
      (c) => c.method === 'POST' && c.path === '/api/v4/leads',
    );
    expect(posts).toHaveLength(1);
  });

  it('does not replay a POST whose connection was dropped', async () => {
    const { client } = await oauthClient();
    emu.control.addFault({ method: 'POST', path: '/api/v4/leads', count: 1, drop: true });
    await expect(client.leads.create([{ name: 'dropped' }])).rejects.toBeInstanceOf(AmoConnectionError);
    const posts = (emu.control.state().calls as { method: string; path: string }[]).filter((c) => c.method === 'POST' && c.path === '/api/v4/leads');
    expect(posts).toHaveLength(1);
  });

  it('retries a POST against a refused port (provably never sent) and reports neverSent', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as AddressInfo).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const attempts: number[] = [];
    const refused = new AmoClient({
      domain: emu.config.domain,
      baseUrl: `http://127.0.0.1:${port}`,
      tokens: new MemoryTokenStore(tokenSetFromResponse(await emu.control.issueTokens({ admin: true }), Date.now())),
      random: () => 1,
      maxRetries: 2,
      onRequest: (i) => attempts.push(i.attempt),
    });
    const err = await refused.leads.create([{ name: 'x' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmoConnectionError);
    expect((err as AmoConnectionError).neverSent).toBe(true);
    expect(attempts).toEqual([0, 1, 2]);
  });

  it('opens the circuit on 429s then a 403 and stops calling', async () => {
    const { client } = await oauthClient({ maxRetries: 0 });
    emu.control.addFault({ method: 'GET', path: '/api/v4/account', count: 2, status: 429, body: '<html>429</html>', contentType: 'text/html' });
    emu.control.addFault({ method: 'GET', path: '/api/v4/account', count: 1, status: 403, body: { status: 403, title: 'Forbidden' } });
    for (let i = 0; i < 3; i++) await client.account.get().catch(() => undefined);
    expect(client.circuitState().state).toBe('open');
    const calls = (emu.control.state().calls as unknown[]).length;
    await expect(client.account.get()).rejects.toBeInstanceOf(AmoCircuitOpenError);
    expect((emu.control.state().calls as unknown[]).length).toBe(calls);
  });

  it('stays under the emulator rate limit (7/s) with 20 rapid calls', async () => {
    const { client } = await oauthClient({ maxRetries: 0 });
    await Promise.all(Array.from({ length: 20 }, () => client.account.get()));
    const statuses = (emu.control.state().calls as { status: number }[]).map((c) => c.status);
    expect(statuses.filter((s) => s === 429)).toHaveLength(0);
  });
});
