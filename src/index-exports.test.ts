// Each domain's index.ts exports only what other modules use (docs/architecture.md): a name re-exported by a
// domain's index must be imported somewhere outside that folder (src/, test/, bench/, scripts/, web/, widget/), or by
// one of the folder's own tests through its index. The amoCRM SDK and the two emulators are libraries with a public
// API of their own and are not checked.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const LIBRARIES = new Set(['amocrm', 'amocrm-emulator', 'whatsapp-emulator']);

const tracked = execFileSync('git', ['ls-files', 'src', 'test', 'bench', 'scripts', 'web', 'widget'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter((f) => /\.(ts|tsx|mjs)$/.test(f) && existsSync(join(root, f)));
const texts = new Map(tracked.map((f) => [f, readFileSync(join(root, f), 'utf8')]));

/** The names an index re-exports (`export { a, type B as C } from …`, `export type { … }`). */
function exportedNames(source: string): string[] {
  const names: string[] = [];
  for (const m of source.matchAll(/export (?:type )?\{([^}]*)\}/g)) {
    for (const part of m[1]!.split(',')) {
      const name = part.trim().replace(/^type /, '').split(' as ').at(-1)!.trim();
      if (name) names.push(name);
    }
  }
  return names;
}

describe('domain index files', () => {
  it('export nothing that no other module imports', () => {
    const unused: string[] = [];
    const folders = readdirSync(join(root, 'src'), { withFileTypes: true }).filter((d) => d.isDirectory() && !LIBRARIES.has(d.name));
    for (const { name: folder } of folders) {
      const index = `src/${folder}/index.ts`;
      const source = texts.get(index);
      if (!source) continue;
      for (const name of exportedNames(source)) {
        const word = new RegExp(`\\b${name.replace(/[$]/g, '\\$')}\\b`);
        const used = [...texts].some(([file, text]) => {
          if (file === index) return false;
          // Inside the folder, only files that import through the index count (its own tests).
          if (file.startsWith(`src/${folder}/`) && !/from '\.\.?\/(\.\.\/)*index\.js'/.test(text)) return false;
          return word.test(text);
        });
        if (!used) unused.push(`${index}: ${name}`);
      }
    }
    expect(unused).toEqual([]);
  });
});
