// Builds the embeddable form into ONE small IIFE: dist/widget/widget.js (`npm run build:widget`, run by
// `npm install` through `prepare`). The server serves it at /widget.js and /widget/<hash>.js.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const WIDGET_ENTRY = join(root, 'widget/src/index.ts');
export const WIDGET_OUT = join(root, 'dist/widget/widget.js');

/** "The last two versions of the major browsers" (ES2019 syntax, no polyfills needed for the APIs used). */
export const WIDGET_TARGETS = ['es2019', 'chrome109', 'firefox115', 'safari15', 'edge109'];

export async function buildWidget(outfile: string = WIDGET_OUT): Promise<{ file: string; bytes: number; gzipBytes: number }> {
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [WIDGET_ENTRY],
    outfile,
    bundle: true,
    minify: true,
    format: 'iife',
    target: WIDGET_TARGETS,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const code = readFileSync(outfile);
  return { file: outfile, bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await buildWidget(process.argv[2] ?? WIDGET_OUT);
  process.stdout.write(`widget: ${r.file} ${r.bytes} bytes, ${r.gzipBytes} bytes gzipped\n`);
}
