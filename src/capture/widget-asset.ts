// The built widget (dist/widget/widget.js, made by `npm run build:widget`, which `npm install` runs): read once,
// with a content hash for the versioned URL /widget/<hash>.js (cached for a year, immutable). /widget.js is the
// short-cached alias pages embed.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface WidgetAsset {
  /** undefined when the widget is not built. */
  read(): { code: Buffer; version: string } | undefined;
}

/** dist/widget/widget.js at the repository root (this file is src/capture/ or, compiled, dist/capture/). */
export const DEFAULT_WIDGET_FILE = fileURLToPath(new URL('../../dist/widget/widget.js', import.meta.url));

export function widgetAsset(file: string = DEFAULT_WIDGET_FILE): WidgetAsset {
  let cached: { code: Buffer; version: string } | undefined;
  return {
    read() {
      if (cached) return cached;
      if (!existsSync(file)) return undefined;
      const code = readFileSync(file);
      cached = { code, version: createHash('sha256').update(code).digest('hex').slice(0, 12) };
      return cached;
    },
  };
}
