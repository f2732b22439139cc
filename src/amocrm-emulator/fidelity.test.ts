// Fidelity items from docs/amocrm-emulator-fidelity.md (shared fact sheet): a loss reason on a lead that is not lost
// is refused in amoCRM's second 400 shape (`errors` keyed by entity id, php#88), which our client parses;
// /events/types is a list; /leads/unsorted/summary exists.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AmoApiError, AmoValidationError } from '../amocrm/index.js';
import { startTestEmulator, type TestEmu } from '../../test/emulator.js';

let emu: TestEmu;
beforeEach(async () => {
  emu = await startTestEmulator();
});
afterEach(async () => {
  await emu.close();
});

const newLead = async (): Promise<number> => (await emu.api('POST', '/api/v4/leads', [{ name: 'L' }])).json._embedded.leads[0].id;

describe('loss_reason_id', () => {
  it('on a lead that is not lost: 400 "Invalid request body" keyed by the lead id, nothing changed', async () => {
    const id = await newLead();
    const res = await emu.api('PATCH', `/api/v4/leads/${id}`, { loss_reason_id: 7, price: 5 });
    expect(res.status).toBe(400);
    expect(res.type).toBe('application/problem+json');
    expect(res.json).toEqual({
      errors: { [String(id)]: 'Loss reason can be specified only for lost lead' },
      title: 'Bad Request',
      type: 'https://httpstatus.es/400',
      status: 400,
      detail: 'Invalid request body',
    });
    expect((await emu.api('GET', `/api/v4/leads/${id}`)).json.price).toBe(0);
    // The batch PATCH too.
    const batch = await emu.api('PATCH', '/api/v4/leads', [{ id, loss_reason_id: 7 }]);
    expect(batch.status).toBe(400);
    expect(batch.json.errors).toHaveProperty(String(id));
    expect(batch.json['validation-errors']).toBeUndefined();
  });

  it('null (sent back as read) is accepted; a loss reason with the lost status is accepted', async () => {
    const id = await newLead();
    expect((await emu.api('PATCH', `/api/v4/leads/${id}`, { loss_reason_id: null, price: 3 })).status).toBe(200);
    expect((await emu.api('PATCH', `/api/v4/leads/${id}`, { status_id: 143, loss_reason_id: 7 })).status).toBe(200);
    expect((await emu.api('GET', `/api/v4/leads/${id}`)).json).toMatchObject({ status_id: 143, loss_reason_id: 7 });
  });

  it('our client parses the second shape: an AmoValidationError with the entity errors in its message', async () => {
    const id = await newLead();
    const res = await emu.api('PATCH', `/api/v4/leads/${id}`, { loss_reason_id: 7 });
    const e = AmoApiError.from(res.status, res.text, new Headers({ 'content-type': res.type }));
    expect(e).toBeInstanceOf(AmoValidationError);
    const v = e as AmoValidationError;
    expect(v.validationErrors).toEqual([]);
    expect(v.entityErrors).toEqual([{ entityId: String(id), message: 'Loss reason can be specified only for lost lead' }]);
    expect(v.message).toContain('Invalid request body');
    expect(v.message).toContain(`${id}: Loss reason can be specified only for lost lead`);
    expect(v.retryable).toBe(false);
  });
});

describe('events and unsorted routes', () => {
  it('GET /api/v4/events/types is a list of {key, type, lang}', async () => {
    await newLead();
    const res = await emu.api('GET', '/api/v4/events/types');
    expect(res.status).toBe(200);
    const types = res.json._embedded.events_types as { key: string; type: number; lang: string }[];
    expect(types.map((t) => t.key)).toEqual(expect.arrayContaining(['lead_added', 'lead_status_changed']));
    for (const t of types) expect(t).toEqual({ key: expect.any(String), type: expect.any(Number), lang: expect.any(String) });
  });

  it('GET /api/v4/leads/unsorted/summary counts by state and category, filtered by created_at', async () => {
    const form = (uid: string) => ({
      request_id: '1', source_name: 'site', source_uid: uid, metadata: { form_id: 'f', form_name: 'F', form_page: 'https://x.example', ip: '1.2.3.4', form_sent_at: 1, referer: '' },
      _embedded: { leads: [{ name: `U ${uid}` }], contacts: [{ first_name: uid }] },
    });
    const a = (await emu.api('POST', '/api/v4/leads/unsorted/forms', [form('s1')])).json._embedded.unsorted[0].uid;
    await emu.api('POST', '/api/v4/leads/unsorted/forms', [form('s2')]);
    expect((await emu.api('POST', `/api/v4/leads/unsorted/${a}/accept`, {})).status).toBe(200);
    const res = await emu.api('GET', '/api/v4/leads/unsorted/summary');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ total: 2, accepted: 1, declined: 0, categories: { forms: 2, sip: 0 } });
    const future = await emu.api('GET', `/api/v4/leads/unsorted/summary?filter[created_at][from]=${Math.floor(Date.now() / 1000) + 3600}`);
    expect(future.json).toMatchObject({ total: 0, accepted: 0 });
  });
});
