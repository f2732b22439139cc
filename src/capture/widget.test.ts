// The embeddable form's budget: one IIFE, no runtime dependencies, under 10 KB gzipped. The size is printed.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildWidget } from '../../widget/build.js';

describe('widget build', () => {
  it('is one small self-contained script (< 10 KB gzipped) that talks to no third party', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'leadbridge-widget-')), 'widget.js');
    const r = await buildWidget(out);
    console.log(`widget.js: ${r.bytes} bytes minified, ${r.gzipBytes} bytes gzipped (${(r.gzipBytes / 1024).toFixed(2)} KB)`);
    expect(r.gzipBytes).toBeLessThan(10 * 1024);
    const code = readFileSync(out, 'utf8');
    expect(code).not.toMatch(/\bimport\s*\(|\brequire\(/);
    // Only relative requests to the Leadbridge host it was loaded from: no absolute URL of any other origin.
    const urls = code.match(/https?:\/\/[^"'`\s)]+/g) ?? [];
    expect(urls).toEqual([]);
  });
});
