// CI fails when the drizzle schema (src/db/schema) and the committed migrations (drizzle/) differ: drizzle-kit
// generates into a copy of drizzle/ and must find nothing to migrate.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('migrations', () => {
  it('match the schema: drizzle-kit generate finds nothing to migrate', () => {
    const tmp = mkdtempSync(join(root, '.migrations-check-'));
    try {
      cpSync(join(root, 'drizzle'), join(tmp, 'drizzle'), { recursive: true });
      const before = readdirSync(join(tmp, 'drizzle')).sort();
      // drizzle-kit takes --out relative to the working directory.
      const out = execFileSync(
        process.execPath,
        [join(root, 'node_modules/drizzle-kit/bin.cjs'), 'generate', '--dialect', 'postgresql', '--schema', './src/db/schema/*.ts', '--out', relative(root, join(tmp, 'drizzle'))],
        { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
      );
      expect(out).toContain('No schema changes');
      expect(readdirSync(join(tmp, 'drizzle')).sort()).toEqual(before);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
