#!/usr/bin/env node
// `npm run build:server`: transpiles every non-test file under src/ to dist/ with esbuild, one output file per
// input (no bundle), so dist/ mirrors src/ and `../../drizzle`, `../../presets` resolve from dist/ as from src/.
// Type checking is `npm run typecheck` (tsc --noEmit); this step only strips types (1 s instead of 12 s).
// Ends with a smoke check (openai-node's scripts/build): a child process imports the built CLI program and the
// server module, so a broken artifact fails the build, not the first start.
// On a production install (`npm ci --omit=dev`, no esbuild) it keeps an existing dist/ and says so.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');
const out = join(root, 'dist');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  if (existsSync(join(out, 'main.js'))) {
    console.log('build:server: esbuild is not installed (production install); keeping the existing dist/');
    process.exit(0);
  }
  console.error('build:server: esbuild is not installed and dist/ is missing: run `npm install` (with dev dependencies) first');
  process.exit(1);
}

const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) files.push(p);
  }
})(src);

// Remove what an earlier server build wrote (the top-level entries that mirror src/), never dist/web etc.
for (const name of readdirSync(src)) {
  const target = join(out, name.endsWith('.ts') ? name.replace(/\.ts$/, '.js') : name);
  rmSync(target, { recursive: true, force: true });
  rmSync(`${target}.map`, { force: true });
}

const started = Date.now();
await esbuild.build({
  entryPoints: files,
  outdir: out,
  outbase: src,
  bundle: false,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
});
console.log(`build:server: ${files.length} files → ${relative(root, out)}/ in ${Date.now() - started} ms`);

execFileSync(
  process.execPath,
  [
    '--input-type=module',
    '-e',
    `const p = await import('./dist/cli/program.js'); const m = await import('./dist/main.js');
     if (typeof p.buildProgram !== 'function' || typeof m.startServer !== 'function') { console.error('build smoke check: missing exports'); process.exit(1); }
     const all = await p.buildProgram(['node', 'leadbridge'], { all: true });
     if (all.commands.length < 10) { console.error('build smoke check: the CLI commands did not load'); process.exit(1); }`,
  ],
  { cwd: root, stdio: 'inherit' },
);
console.log('build:server: smoke check passed (dist/cli/program.js with every command, and dist/main.js import)');
