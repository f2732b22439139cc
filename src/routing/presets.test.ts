// The demo config routes among the emulator's demo team, and the presets' commented routing sections are valid.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { loadConfig } from '../config/index.js';
import { RoutingSectionSchema } from './config.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('shipped routing configs', () => {
  it('the demo leadbridge.yaml: a utm_source rule, weighted round-robin for the rest, one manager with hours', () => {
    const c = loadConfig({}, { configPath: `${root}leadbridge.yaml` });
    expect(c.routing.rules.map((r) => [r.name, r.strategy, r.match.utm ?? null])).toEqual([
      ['google_ads', 'round_robin', { utm_source: ['google'] }],
      ['default', 'weighted_round_robin', null],
    ]);
    expect(Object.values(c.routing.managers).filter((m) => m.hours !== null).map((m) => m.key)).toEqual(['vera']);
  });

  it.each(['presets/asia-deals.yaml', 'presets/fitzone.yaml'])('%s: the commented routing section parses when uncommented', (file) => {
    const text = readFileSync(`${root}${file}`, 'utf8');
    const block = text
      .slice(text.indexOf('# routing:'))
      .split('\n')
      .map((l) => l.replace(/^# ?/, ''))
      .join('\n');
    const parsed = RoutingSectionSchema.safeParse((parseDocument(block).toJS() as { routing: unknown }).routing);
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(parsed.data?.rules.length).toBeGreaterThanOrEqual(2);
  });
});
