import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmu } from '../../test/emulator.js';

const T0 = Date.UTC(2026, 0, 15, 9, 0, 0);
const dirs: string[] = [];
let running: TestEmu | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'emu-state-'));
  dirs.push(dir);
  return join(dir, 'state.json');
}

describe('state file (stateFile option / --state-file)', () => {
  it('survives a restart: tokens, leads (trash included), fields, groups, webhooks, events, id counters and the clock', async () => {
    const file = tempFile();
    const a = (running = await startTestEmulator({ stateFile: file, now: () => T0 }));
    const field = (await a.api('POST', '/api/v4/leads/custom_fields', [{ name: 'Leadbridge ID', type: 'text', code: 'LEADBRIDGE_ID' }])).json._embedded.custom_fields[0];
    const group = (await a.api('POST', '/api/v4/leads/custom_fields/groups', [{ name: 'Ours' }])).json._embedded.custom_field_groups[0];
    const leads = (await a.api('POST', '/api/v4/leads', [{ name: 'kept', custom_fields_values: [{ field_code: 'LEADBRIDGE_ID', values: [{ value: 'uuid-1' }] }] }, { name: 'trashed' }])).json._embedded.leads;
    const [kept, trashed] = leads.map((l: { id: number }) => l.id) as [number, number];
    await a.api('POST', '/api/v4/webhooks', { destination: 'https://example.test/hook', settings: ['add_lead'] });
    a.control.advanceClock(3_600_000);
    a.control.deleteLead(trashed);
    const eventsBefore = (await a.api('GET', '/api/v4/events')).json._embedded.events.length as number;
    await a.close();
    running = undefined;
    expect(existsSync(file)).toBe(true);

    const b = (running = await startTestEmulator({ stateFile: file, now: () => T0 }));
    const found = await b.api('GET', '/api/v4/leads?query=uuid-1', undefined, a.token);
    expect(found.status).toBe(200);
    expect(found.json._embedded.leads.map((l: { id: number }) => l.id)).toEqual([kept]);
    expect((await b.api('GET', `/api/v4/leads/${trashed}`)).status).toBe(204);
    expect((await b.api('GET', '/api/v4/leads?with=only_deleted')).json._embedded.leads[0].id).toBe(trashed);
    expect((await b.api('GET', `/api/v4/leads/custom_fields/${field.id}`)).json.code).toBe('LEADBRIDGE_ID');
    expect((await b.api('GET', `/api/v4/leads/custom_fields/groups/${group.id}`)).json.name).toBe('Ours');
    expect((await b.api('GET', '/api/v4/webhooks')).json._embedded.webhooks[0].destination).toBe('https://example.test/hook');
    expect((await b.api('GET', '/api/v4/events')).json._embedded.events).toHaveLength(eventsBefore);

    const next = (await b.api('POST', '/api/v4/leads', [{ name: 'after restart' }])).json._embedded.leads[0].id as number;
    expect(next).toBeGreaterThan(trashed);
    const created = (await b.api('GET', `/api/v4/leads/${next}`)).json.created_at as number;
    expect(created).toBe(Math.floor(T0 / 1000) + 3600);
    const field2 = (await b.api('POST', '/api/v4/leads/custom_fields', [{ name: 'Second', type: 'text' }])).json._embedded.custom_fields[0].id as number;
    expect(field2).toBeGreaterThan(field.id);
  });

  it('starts from the seed when the file does not exist yet, and writes it on the first change', async () => {
    const file = tempFile();
    const e = (running = await startTestEmulator({ stateFile: file }));
    expect((await e.api('GET', '/api/v4/leads')).status).toBe(204);
    expect(existsSync(file)).toBe(false);
    await e.api('POST', '/api/v4/leads', [{ name: 'first' }]);
    expect(existsSync(file)).toBe(true);
  });

  it('creates a missing directory for the file instead of failing every write (a sandbox on DATABASE_URL has no data dir)', async () => {
    const file = join(tempFile().replace(/state\.json$/, ''), 'not', 'yet', 'there', 'state.json');
    const a = (running = await startTestEmulator({ stateFile: file, now: () => T0 }));
    const res = await a.api('POST', '/api/v4/leads', [{ name: 'written' }]);
    expect(res.status).toBe(200);
    expect(existsSync(file)).toBe(true);
  });
});
