// Red-team findings against intake, one test each: hostile bodies get a 4xx with a code, never a 500, and one
// hostile lead never costs another visitor's lead its answer.
import type { FastifyInstance } from 'fastify';
import { inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../test/db.js';
import { testConfig } from '../../test/config.js';
import { leads } from '../db/index.js';
import { buildApp } from '../../test/app.js';
import { toBatchLead } from './capture-lead.js';
import { writeLeads } from './lead-writer.js';
import type { LeadInput } from './validate.js';

let tdb: TestDb;
let app: FastifyInstance;

beforeAll(async () => {
  tdb = await createTestDb();
  app = await buildApp({ config: testConfig({ intake: { honeypot: 'website', bodyLimitBytes: 1024 * 1024, trustProxy: false }, rateLimit: { perIpPerMinute: 10_000 } }), db: tdb });
});
afterAll(async () => {
  await app?.close();
  await tdb?.cleanup();
});

function nested(depth: number, leaf: unknown = 'x'): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}
const nestedJson = (depth: number) => `${'{"a":'.repeat(depth)}"x"${'}'.repeat(depth)}`;
const nestedArrays = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

async function post(payload: string) {
  return app.inject({ method: 'POST', url: '/api/leads', headers: { 'content-type': 'application/json' }, payload });
}

function codes(res: { json(): unknown }): string[] {
  return ((res.json() as { errors?: { code: string }[] }).errors ?? []).map((e) => e.code);
}

describe('intake against hostile bodies', () => {
  it.each([
    ['an object 4,500 levels deep', `{"email":"a@b.ru","deep":${nestedJson(4500)}}`, 'TOO_DEEP'],
    ['arrays 50,000 levels deep', `{"email":"a@b.ru","deep":${nestedArrays(50_000)}}`, 'TOO_DEEP'],
    ['an object 50,000 levels deep', `{"email":"a@b.ru","deep":${nestedJson(50_000)}}`, 'TOO_DEEP'],
    ['an unknown field 8 levels deep', `{"email":"a@b.ru","deep":${nestedJson(8)}}`, 'TOO_DEEP'],
    ['a lone high surrogate in a value', '{"email":"a@b.ru","name":"a\\ud800b"}', 'INVALID_UNICODE'],
    ['a lone low surrogate in an unknown key', '{"email":"a@b.ru","x\\udc00":"1"}', 'INVALID_UNICODE'],
    ['a lone surrogate deep in an unknown field', '{"email":"a@b.ru","x":{"y":["\\ud83d"]}}', 'INVALID_UNICODE'],
    ['consent.at 1e20', '{"email":"a@b.ru","consent":{"given":true,"at":1e20}}', 'CONSENT_INVALID'],
    ['consent.at -1e20', '{"email":"a@b.ru","consent":{"given":true,"at":-1e20}}', 'CONSENT_INVALID'],
    ['consent.at far-future text', '{"email":"a@b.ru","consent":{"given":true,"at":"+275760-09-13T00:00:00.000Z"}}', 'CONSENT_INVALID'],
    ['200 unknown fields', JSON.stringify(Object.fromEntries([['email', 'a@b.ru'], ...Array.from({ length: 200 }, (_, i) => [`f${i}`, 'v'])])), 'TOO_MANY_FIELDS'],
    ['unknown fields of 100 KB', JSON.stringify({ email: 'a@b.ru', big: 'x'.repeat(100_000) }), 'TOO_LARGE'],
  ])('%s → 422 with the code', async (_what, payload, code) => {
    const res = await post(payload);
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(codes(res)).toContain(code);
  });

  it('a pair of surrogates (an emoji) is fine', async () => {
    const res = await post('{"email":"a@b.ru","name":"\\ud83d\\ude00 Anna"}');
    expect(res.statusCode).toBe(202);
  });

  it('a honeypot value {"toString":1} is stored as spam, answered like any lead', async () => {
    const res = await post('{"email":"spam@b.ru","website":{"toString":1}}');
    expect(res.statusCode).toBe(202);
    const { id } = res.json() as { id: string };
    const [row] = await tdb.db.select().from(leads).where(inArray(leads.id, [id]));
    expect(row?.status).toBe('spam');
  });

  it('40 valid leads sent together with one hostile lead are all stored', async () => {
    const hostile = post(`{"email":"evil@b.ru","deep":${nestedJson(4500)}}`);
    const valid = Array.from({ length: 40 }, (_, i) => post(JSON.stringify({ email: `v${i}@b.ru`, name: `Visitor ${i}` })));
    const [bad, ...good] = await Promise.all([hostile, ...valid]);
    expect(bad?.statusCode).toBe(422);
    expect(good.map((r) => r.statusCode)).toEqual(good.map(() => 202));
    const ids = good.map((r) => (r.json() as { id: string }).id);
    expect(await tdb.db.select({ id: leads.id }).from(leads).where(inArray(leads.id, ids))).toHaveLength(40);
  });
});

describe('writeLeads isolates a lead that cannot be serialized', () => {
  it('fails only that lead when JSON.stringify throws on it', async () => {
    const base: LeadInput = { formKey: 'default', email: 'x@b.ru', extra: {}, raw: {}, attribution: {}, spam: false };
    const bad = toBatchLead({ ...base, raw: { deep: nested(100_000) as Record<string, unknown> } }, {});
    const good = Array.from({ length: 5 }, () => toBatchLead(base, {}));
    const results = await writeLeads(tdb.db, [good[0]!, bad, ...good.slice(1)]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true, true, true, true]);
    const ids = good.map((g) => g.row.id);
    expect(await tdb.db.select({ id: leads.id }).from(leads).where(inArray(leads.id, ids))).toHaveLength(5);
  });
});
