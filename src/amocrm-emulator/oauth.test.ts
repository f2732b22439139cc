import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from './index.js';

let emu: RunningEmulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

async function start(opts: EmulatorOptions = {}): Promise<RunningEmulator> {
  emu = await startEmulator({ rateLimit: false, ...opts });
  return emu;
}

function tokenCall(e: RunningEmulator, body: Record<string, string>) {
  const { clientId, clientSecret, redirectUri } = e.config;
  return fetch(`${e.url}/oauth2/access_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: clientId, client_secret: clientSecret, redirect_uri: redirectUri, ...body }),
  });
}

async function consentCode(e: RunningEmulator, state = 's1'): Promise<URL> {
  const res = await fetch(`${e.url}/oauth?client_id=${e.config.clientId}&state=${state}&mode=popup`, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location') ?? '');
}

const decodeJwt = (t: string): Record<string, unknown> => JSON.parse(Buffer.from(t.split('.')[1] ?? '', 'base64url').toString());

describe('oauth server', () => {
  it('auto-approves the consent page with code, referer, state and client_id', async () => {
    const e = await start({ autoApprove: true });
    const loc = await consentCode(e);
    expect(loc.origin + loc.pathname).toBe(e.config.redirectUri);
    expect(loc.searchParams.get('referer')).toBe('demo.amocrm.ru');
    expect(loc.searchParams.get('state')).toBe('s1');
    expect(loc.searchParams.get('client_id')).toBe(e.config.clientId);
    expect(loc.searchParams.get('code')).toMatch(/^def50200/);
  });

  it('shows a consent page and redirects with access_denied on deny', async () => {
    const e = await start();
    const page = await fetch(`${e.url}/oauth?client_id=${e.config.clientId}&state=abc`);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('Approve');
    const res = await fetch(`${e.url}/oauth/decide`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `client_id=${e.config.clientId}&state=abc&decision=deny`,
      redirect: 'manual',
    });
    const loc = new URL(res.headers.get('location') ?? '');
    expect(loc.searchParams.get('error')).toBe('access_denied');
    expect(loc.searchParams.get('state')).toBe('abc');
    expect(loc.searchParams.get('client_id')).toBe(e.config.clientId);
  });

  it('exchanges a code once, with a JWT-shaped 24 h access token', async () => {
    const e = await start({ autoApprove: true });
    const code = (await consentCode(e)).searchParams.get('code') ?? '';
    const res = await tokenCall(e, { grant_type: 'authorization_code', code });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, string | number>;
    expect(body.token_type).toBe('Bearer');
    expect(body.expires_in).toBe(86400);
    const claims = decodeJwt(String(body.access_token));
    expect(claims.exp).toBe(Number(claims.iat) + 86400);
    expect(claims).toMatchObject({ account_id: e.config.accountId, client_uuid: e.config.clientId, sub: expect.any(String), api_domain: expect.any(String) });
    const again = await tokenCall(e, { grant_type: 'authorization_code', code });
    expect(again.status).toBe(400);
    expect(((await again.json()) as { hint: string }).hint).toBe('Authorization code has been revoked');
    expect(e.control.tokenCalls()).toBe(2);
  });

  it('expires a code after 20 minutes of emulator time', async () => {
    const e = await start({ autoApprove: true });
    const code = (await consentCode(e)).searchParams.get('code') ?? '';
    e.control.advanceClock(21 * 60_000);
    const res = await tokenCall(e, { grant_type: 'authorization_code', code });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { hint: string }).hint).toBe('Authorization code has expired');
  });

  it('rejects a redirect_uri that is not exactly the registered one', async () => {
    const e = await start({ autoApprove: true });
    const code = (await consentCode(e)).searchParams.get('code') ?? '';
    const res = await tokenCall(e, { grant_type: 'authorization_code', code, redirect_uri: `${e.config.redirectUri}/` });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  it('rotates refresh tokens strictly: reuse of a spent one is 401 "Token has been revoked"', async () => {
    const e = await start();
    const first = await e.control.issueTokens();
    const res = await tokenCall(e, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
    const second = (await res.json()) as { refresh_token: string; access_token: string };
    expect(second.refresh_token).not.toBe(first.refresh_token);
    const reuse = await tokenCall(e, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(reuse.status).toBe(401);
    expect(await reuse.json()).toMatchObject({ hint: 'Token has been revoked', status: 401, type: 'https://developers.amocrm.ru/v3/errors/OAuthProblemJson' });
    const ok = await tokenCall(e, { grant_type: 'refresh_token', refresh_token: second.refresh_token });
    expect(ok.status).toBe(200);
  });

  it('in grace mode keeps the old refresh token alive until the new pair is used', async () => {
    const e = await start({ refreshMode: 'grace' });
    const first = await e.control.issueTokens();
    const second = (await (await tokenCall(e, { grant_type: 'refresh_token', refresh_token: first.refresh_token })).json()) as { access_token: string };
    const retry = await tokenCall(e, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(retry.status).toBe(200);
    const third = (await retry.json()) as { access_token: string };
    const use = await fetch(`${e.url}/api/v4/account`, { headers: { authorization: `Bearer ${third.access_token}` } });
    expect(use.status).toBe(200);
    const dead = await tokenCall(e, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(dead.status).toBe(401);
    expect(second.access_token).toBeTruthy();
  });

  it('answers 401 for missing, unknown and expired bearer tokens', async () => {
    const e = await start();
    const t = await e.control.issueTokens();
    expect((await fetch(`${e.url}/api/v4/account`)).status).toBe(401);
    const unknown = await fetch(`${e.url}/api/v4/account`, { headers: { authorization: 'Bearer nope' } });
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
    expect((await fetch(`${e.url}/api/v4/account`, { headers: { authorization: `Bearer ${t.access_token}` } })).status).toBe(200);
    e.control.advanceClock(86_401_000);
    expect((await fetch(`${e.url}/api/v4/account`, { headers: { authorization: `Bearer ${t.access_token}` } })).status).toBe(401);
  });

  it('issues long-lived tokens and revokes everything on revokeAll', async () => {
    const e = await start();
    const ll = await e.control.issueLongLivedToken({ ttlSec: 3600 });
    expect((await fetch(`${e.url}/api/v4/account`, { headers: { authorization: `Bearer ${ll.access_token}` } })).status).toBe(200);
    e.control.revokeAll();
    expect((await fetch(`${e.url}/api/v4/account`, { headers: { authorization: `Bearer ${ll.access_token}` } })).status).toBe(401);
  });

  it('resolves the account subdomain from an active refresh token', async () => {
    const e = await start();
    const t = await e.control.issueTokens();
    const res = await fetch(`${e.url}/oauth2/account/current/subdomain`, { headers: { 'x-refresh-token': t.refresh_token } });
    expect(await res.json()).toEqual({ id: e.config.accountId, subdomain: 'demo', domain: 'demo.amocrm.ru', top_level_domain: 'ru' });
    const bad = await fetch(`${e.url}/oauth2/account/current/subdomain`, { headers: { 'x-refresh-token': 'x' } });
    expect(bad.status).toBe(401);
  });

  it('accepts the token request as a form body too', async () => {
    const e = await start();
    const t = await e.control.issueTokens();
    const { clientId, clientSecret, redirectUri } = e.config;
    const form = new URLSearchParams({ client_id: clientId, client_secret: clientSecret, redirect_uri: redirectUri, grant_type: 'refresh_token', refresh_token: t.refresh_token });
    const res = await fetch(`${e.url}/oauth2/access_token`, { method: 'POST', body: form });
    expect(res.status).toBe(200);
  });
});
