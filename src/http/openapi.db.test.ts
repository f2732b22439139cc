// The OpenAPI document (/docs/json): our own title and version, every error code as problem+json, real examples and
// the form-encoded bodies of the intake — and it still validates as OpenAPI 3 (openapi-spec-validator when present).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../../test/db.js';
import { testConfig } from '../../test/config.js';
import { buildApp } from '../../test/app.js';

type Media = { schema: { required?: string[]; properties?: Record<string, unknown>; example?: Record<string, unknown> }; example?: unknown };
type Op = { requestBody?: { content: Record<string, Media> }; responses: Record<string, { description: string; content?: Record<string, Media> }>; parameters?: { name: string }[] };
type Spec = { openapi: string; info: { title: string; version: string; description: string }; paths: Record<string, Record<string, Op>> };

let tdb: TestDb;
let app: FastifyInstance;
let spec: Spec;

const validatorAvailable = (() => {
  try {
    execFileSync('python3', ['-c', 'import openapi_spec_validator'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

beforeAll(async () => {
  tdb = await createTestDb();
  app = await buildApp({ config: testConfig(), db: tdb });
  const res = await app.inject({ method: 'GET', url: '/docs/json' });
  expect(res.statusCode).toBe(200);
  spec = res.json();
}, 120_000);
afterAll(async () => {
  await app?.close();
  await tdb?.cleanup();
});

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('OpenAPI document', () => {
  it('has our own title, description and the package version', () => {
    expect(spec.openapi).toMatch(/^3\.0\./);
    expect(spec.info.title).toBe('Leadbridge API');
    expect(spec.info.version).toBe(pkg.version);
    expect(spec.info.description).toContain('problem+json');
  });

  it('the intake routes list JSON and form-encoded bodies with real examples, and every answer code', () => {
    for (const path of ['/api/leads', '/api/crm']) {
      const op = spec.paths[path]?.post;
      expect(op, path).toBeDefined();
      const content = op?.requestBody?.content ?? {};
      expect(Object.keys(content).sort()).toEqual(['application/json', 'application/x-www-form-urlencoded']);
      const example = content['application/json']?.example as Record<string, unknown>;
      expect(example.phone).toMatch(/^\+7/);
      expect(JSON.stringify(example)).not.toContain('"string"');
      expect(content['application/x-www-form-urlencoded']?.example).toEqual(example);
      expect(Object.keys(op?.responses ?? {})).toEqual(expect.arrayContaining(['200', '202', '400', '401', '413', '415', '422', '429', '500']));
      expect(op?.responses['202']?.content?.['application/json']?.example).toMatchObject({ status: 'pending' });
      expect(op?.parameters?.map((p) => p.name)).toEqual(expect.arrayContaining(['idempotency-key', 'x-api-key']));
      expect(op?.responses['401']?.content?.['application/problem+json']?.schema.example).toMatchObject({ code: 'API_KEY_INVALID', status: 401 });
      expect(op?.responses['422']?.content?.['application/problem+json']?.schema.example).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'phone' }] });
    }
  });

  it('every error answer of every route is problem+json with a code', () => {
    let errors = 0;
    for (const [path, ops] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.responses['500'], `${method} ${path}`).toBeDefined();
        for (const [status, r] of Object.entries(op.responses)) {
          // 503 of /health and the doctor is their own report (status: down / checks), not a problem.
          if (Number(status) < 400 || status === '503') continue;
          errors++;
          const media = r.content?.['application/problem+json'];
          expect(media, `${method} ${path} ${status}`).toBeDefined();
          expect(media?.schema.required).toEqual(expect.arrayContaining(['code', 'status']));
          expect(media?.schema.example).toMatchObject({ status: Number(status), code: expect.stringMatching(/^[A-Z_]+$/) });
        }
      }
    }
    expect(errors).toBeGreaterThan(20);
    // Admin routes document their 401 and, with an :id, their 404.
    expect(Object.keys(spec.paths['/api/leads/{id}']?.get?.responses ?? {})).toEqual(expect.arrayContaining(['200', '401', '404', '500']));
  });

  it.runIf(validatorAvailable)('validates as OpenAPI 3 (openapi-spec-validator)', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'leadbridge-openapi-')), 'openapi.json');
    writeFileSync(file, JSON.stringify(spec));
    const out = execFileSync('python3', ['-c', 'import json,sys\nfrom openapi_spec_validator import validate\nvalidate(json.load(open(sys.argv[1])))\nprint("valid")', file], { encoding: 'utf8' });
    expect(out.trim()).toBe('valid');
  });
});
