#!/usr/bin/env node
// `npx leadbridge <command>`: runs the compiled CLI (dist/, built by `npm run build`, which `npm install` runs
// through `prepare`). In a checkout without a build it falls back to the TypeScript source through tsx (a dev
// dependency), so a fresh clone works either way.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/index.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write('leadbridge: dist/ is missing; run `npm run build` first\n');
    process.exit(1);
  }
  register();
  await import('../src/cli/index.ts');
}
