// The dependency-cruiser rules (`npm run lint:deps`) hold for folders that do not exist yet: a scratch project with
// two brand-new folders under src/ is cruised with the repository's own config. A deep import into the new folder
// fails with `only-through-index`; the same import through the folder's index.ts passes.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'leadbridge-depcruise-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function cruise(importer: string): Promise<{ code: number; out: string }> {
  rmSync(join(scratch, 'src'), { recursive: true, force: true });
  mkdirSync(join(scratch, 'src', 'ledger'), { recursive: true });
  mkdirSync(join(scratch, 'src', 'payouts'), { recursive: true });
  copyFileSync(join(root, 'tsconfig.json'), join(scratch, 'tsconfig.json'));
  writeFileSync(join(scratch, 'src', 'ledger', 'entries.ts'), 'export const entries: number[] = [];\n');
  writeFileSync(join(scratch, 'src', 'ledger', 'index.ts'), "export { entries } from './entries.js';\n");
  writeFileSync(join(scratch, 'src', 'payouts', 'index.ts'), `${importer}\nexport const total = entries.length;\n`);
  const bin = join(root, 'node_modules', '.bin', 'depcruise');
  return new Promise((resolve) => {
    const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
    execFile(bin, ['src', '--config', join(root, '.dependency-cruiser.cjs')], { cwd: scratch, env }, (err, stdout, stderr) => {
      // Without colour codes (CI sets CI=true, and some reporters colour anyway).
      const out = (stdout + stderr).replace(/\x1b\[[0-9;]*m/g, '');
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out });
    });
  });
}

describe('dependency rules', () => {
  it('a deep import into a new folder fails lint:deps; the same import through its index passes', async () => {
    const deep = await cruise("import { entries } from '../ledger/entries.js';");
    expect(deep.code).not.toBe(0);
    expect(deep.out).toContain('only-through-index: src/payouts/index.ts → src/ledger/entries.ts');

    const viaIndex = await cruise("import { entries } from '../ledger/index.js';");
    expect(viaIndex.out).toContain('no dependency violations found');
    expect(viaIndex.code).toBe(0);
  }, 60_000);
});
