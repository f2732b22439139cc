// The OpenAPI document of the whole server (every domain's routes, as main.ts composes them) validates as OpenAPI 3
// and documents every error as problem+json with a code (src/http/openapi.ts); the status routes say the admin token
// is optional.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../test/sandbox.js';

type Op = { security?: Record<string, string[]>[]; responses: Record<string, { content?: Record<string, { schema: { example?: { code?: string } } }> }> };
let sb: Sandbox;
let spec: { paths: Record<string, Record<string, Op>> };

const validatorAvailable = (() => {
  try {
    execFileSync('python3', ['-c', 'import openapi_spec_validator'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

beforeAll(async () => {
  sb = await startSandbox(fileURLToPath(new URL('../../leadbridge.yaml', import.meta.url)));
  const res = await fetch(`${sb.base}/docs/json`);
  expect(res.status).toBe(200);
  spec = (await res.json()) as typeof spec;
}, 240_000);
afterAll(async () => {
  await sb?.close();
}, 60_000);

describe('the whole server’s OpenAPI document', () => {
  it('documents problem+json errors on every route, and the admin routes’ 401', () => {
    const ops = Object.entries(spec.paths).flatMap(([path, byMethod]) => Object.entries(byMethod).map(([method, op]) => ({ path, method, op })));
    expect(ops.length).toBeGreaterThan(30);
    for (const { path, method, op } of ops) {
      expect(op.responses['500']?.content?.['application/problem+json'], `${method} ${path}`).toBeDefined();
      const required = (op.security ?? []).length > 0 && !(op.security ?? []).some((s) => Object.keys(s).length === 0);
      if (required) expect(op.responses['401']?.content?.['application/problem+json']?.schema.example?.code, `${method} ${path}`).toMatch(/^[A-Z_]+$/);
    }
    // The status is public (the admin token only adds details): no required 401.
    expect(spec.paths['/api/auth/amo/status']?.get?.security).toEqual([{}, { bearerAuth: [] }]);
    expect(spec.paths['/api/auth/amo/status']?.get?.responses['401']).toBeUndefined();
  });

  it.runIf(validatorAvailable)('validates as OpenAPI 3 (openapi-spec-validator)', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'leadbridge-openapi-')), 'openapi.json');
    writeFileSync(file, JSON.stringify(spec));
    const out = execFileSync('python3', ['-c', 'import json,sys\nfrom openapi_spec_validator import validate\nvalidate(json.load(open(sys.argv[1])))\nprint("valid")', file], { encoding: 'utf8' });
    expect(out.trim()).toBe('valid');
  }, 60_000);
});
