import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmu } from '../../test/emulator.js';

let emu: TestEmu;
let manager: string;
beforeAll(async () => {
  emu = await startTestEmulator();
  manager = (await emu.control.issueTokens({ admin: false })).access_token;
});
afterAll(async () => {
  await emu.close();
});

async function createFields(items: unknown[]): Promise<{ id: number; enums: { id: number; value: string }[] | null }[]> {
  const res = await emu.api('POST', '/api/v4/leads/custom_fields', items);
  expect(res.status).toBe(200);
  return res.json._embedded.custom_fields;
}

describe('PATCH /api/v4/{entity}/custom_fields (collection)', () => {
  it('updates several fields in one call, echoes request_id and keeps enum ids', async () => {
    const [text, select] = await createFields([
      { name: 'Batch A', type: 'text', code: 'BATCH_A' },
      { name: 'Batch B', type: 'select', enums: [{ value: 'one' }, { value: 'two' }] },
    ]);
    const keep = select?.enums?.[0];
    const res = await emu.api('PATCH', '/api/v4/leads/custom_fields', [
      { id: text?.id, name: 'Batch A2', sort: 700, request_id: 'a' },
      { id: select?.id, enums: [{ id: keep?.id, value: 'one!' }, { value: 'three' }] },
    ]);
    expect(res.status).toBe(200);
    expect(res.type).toContain('application/hal+json');
    const out = res.json._embedded.custom_fields;
    expect(out.map((f: { request_id: string }) => f.request_id)).toEqual(['a', '1']);
    expect(out[0]).toMatchObject({ id: text?.id, name: 'Batch A2', sort: 700, code: 'BATCH_A' });
    expect(out[1].enums).toEqual([
      expect.objectContaining({ id: keep?.id, value: 'one!' }),
      expect.objectContaining({ id: expect.any(Number), value: 'three' }),
    ]);
    const read = await emu.api('GET', `/api/v4/leads/custom_fields/${text?.id}`);
    expect(read.json.name).toBe('Batch A2');
  });

  it('validates the whole batch first: nothing changes when one item is bad', async () => {
    const [f] = await createFields([{ name: 'Untouched', type: 'text' }]);
    const res = await emu.api('PATCH', '/api/v4/leads/custom_fields', [
      { id: f?.id, name: 'Changed' },
      { id: 999_999, name: 'x', request_id: 'ghost' },
      { name: 'no id', request_id: 'noid' },
      { id: f?.id, enums: [{ value: 'x' }], request_id: 'enums' },
    ]);
    expect(res.status).toBe(400);
    expect(res.json['validation-errors']).toEqual([
      { request_id: 'ghost', errors: [expect.objectContaining({ code: 'NotFound', path: 'id' })] },
      { request_id: 'noid', errors: [expect.objectContaining({ code: 'NotBlank', path: 'id' })] },
      { request_id: 'enums', errors: [expect.objectContaining({ code: 'FieldNotExpected', path: 'enums' })] },
    ]);
    expect((await emu.api('GET', `/api/v4/leads/custom_fields/${f?.id}`)).json.name).toBe('Untouched');
  });

  it('rejects a field of another entity, an object body, an empty batch and a non-admin token', async () => {
    const contactField = (await emu.api('GET', '/api/v4/contacts/custom_fields')).json._embedded.custom_fields[0];
    const other = await emu.api('PATCH', '/api/v4/leads/custom_fields', [{ id: contactField.id, sort: 1 }]);
    expect(other.json['validation-errors'][0].errors[0]).toMatchObject({ code: 'NotFound', path: 'id' });
    expect((await emu.api('PATCH', '/api/v4/leads/custom_fields', { id: contactField.id })).status).toBe(400);
    expect((await emu.api('PATCH', '/api/v4/leads/custom_fields', [])).json.detail).toBe('Request data can not be empty');
    expect((await emu.api('PATCH', '/api/v4/contacts/custom_fields', [{ id: contactField.id, sort: 3 }], manager)).status).toBe(403);
  });

  it('keeps the single PATCH …/custom_fields/{id}', async () => {
    const [f] = await createFields([{ name: 'Single', type: 'text' }]);
    const res = await emu.api('PATCH', `/api/v4/leads/custom_fields/${f?.id}`, { name: 'Single2' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id: f?.id, name: 'Single2' });
  });
});

describe('custom field groups', () => {
  it('creates groups from an array and lists them; fields can be put into a group', async () => {
    const res = await emu.api('POST', '/api/v4/leads/custom_fields/groups', [{ name: 'Leadbridge', sort: 5, request_id: 'g1' }, { name: 'Extra' }]);
    expect(res.status).toBe(200);
    const groups = res.json._embedded.custom_field_groups;
    expect(groups).toEqual([
      expect.objectContaining({ id: expect.stringMatching(/^leads_\d+$/), name: 'Leadbridge', sort: 5, entity_type: 'leads', is_predefined: false, request_id: 'g1' }),
      expect.objectContaining({ name: 'Extra', request_id: '1' }),
    ]);
    const gid = groups[0].id as string;
    const list = await emu.api('GET', '/api/v4/leads/custom_fields/groups');
    expect(list.json._embedded.custom_field_groups.map((g: { id: string }) => g.id)).toEqual(expect.arrayContaining([gid, groups[1].id]));
    expect((await emu.api('GET', '/api/v4/contacts/custom_fields/groups')).json._embedded.custom_field_groups.some((g: { id: string }) => g.id === gid)).toBe(false);
    expect((await emu.api('GET', `/api/v4/leads/custom_fields/groups/${gid}`)).json.name).toBe('Leadbridge');

    const [f] = await createFields([{ name: 'Grouped', type: 'text' }]);
    const moved = await emu.api('PATCH', '/api/v4/leads/custom_fields', [{ id: f?.id, group_id: gid }]);
    expect(moved.json._embedded.custom_fields[0].group_id).toBe(gid);
    const bad = await emu.api('PATCH', '/api/v4/leads/custom_fields', [{ id: f?.id, group_id: 'leads_nope' }]);
    expect(bad.json['validation-errors'][0].errors[0]).toMatchObject({ code: 'NotSupportedChoice', path: 'group_id' });

    expect((await emu.api('DELETE', `/api/v4/leads/custom_fields/groups/${gid}`)).status).toBe(204);
    expect((await emu.api('GET', `/api/v4/leads/custom_fields/${f?.id}`)).json.group_id).toBeNull();
    expect((await emu.api('GET', `/api/v4/leads/custom_fields/groups/${gid}`)).status).toBe(404);
  });

  it('validates names (blank, duplicate) and needs an admin token', async () => {
    const res = await emu.api('POST', '/api/v4/companies/custom_fields/groups', [{ name: '' }, { name: 'Dup' }, { name: 'Dup', request_id: 'd' }]);
    expect(res.status).toBe(400);
    expect(res.json['validation-errors']).toEqual([
      { request_id: '0', errors: [expect.objectContaining({ code: 'NotBlank', path: 'name' })] },
      { request_id: 'd', errors: [expect.objectContaining({ code: 'NotSupportedChoice', path: 'name' })] },
    ]);
    expect((await emu.api('POST', '/api/v4/companies/custom_fields/groups', [{ name: 'x' }], manager)).status).toBe(403);
    const predefined = (await emu.api('GET', '/api/v4/companies/custom_fields/groups')).json._embedded.custom_field_groups[0];
    expect((await emu.api('DELETE', `/api/v4/companies/custom_fields/groups/${predefined.id}`)).status).toBe(400);
  });
});
