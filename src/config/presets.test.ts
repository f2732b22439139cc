// Every contact UTM field a config creates (presets/*.yaml, the demo leadbridge.yaml) is filled by some form:
// provisioning never creates a field that no lead writes (issue #9: "created and never filled"). The delivered
// values themselves are checked in the emulator by src/ops/guides.db.test.ts.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const files = ['leadbridge.yaml', ...readdirSync(`${root}presets`).filter((f) => f.endsWith('.yaml')).map((f) => `presets/${f}`)];

describe.each(files)('%s', (file) => {
  it('maps every contact UTM field it creates', () => {
    const config = loadConfig({ LEADBRIDGE_ADMIN_TOKEN: 'test-admin-token-0123456789' }, { configPath: `${root}${file}` });
    const created = (config.account?.fields.contacts ?? []).filter((f) => f.key.startsWith('utm_') || /^UTM_/i.test(f.code ?? '')).map((f) => f.key);
    const mapped = new Set(
      Object.values(config.forms).flatMap((form) => Object.values(form.fields).filter((m) => m.entity === 'contacts').map((m) => m.field)),
    );
    for (const key of created) expect(mapped.has(key), `contacts.${key} is created by setup but no form fills it`).toBe(true);
  });
});
