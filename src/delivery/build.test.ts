import { describe, expect, it } from 'vitest';
import type { LeadRow } from '../db/index.js';
import type { ResolvedMap } from '../provision/index.js';
import { BuildError, buildComplexItem, contactKeys, dealName, fitsType, noteText } from './build.js';
import { formConfig } from '../../test/delivery.js';

const lead = (over: Partial<LeadRow> = {}): LeadRow => ({
  id: '11111111-2222-4333-8444-555555555555',
  formKey: 'asia',
  status: 'delivering',
  idempotencyKey: null,
  name: 'Ann <b>',
  phone: '+79121234567',
  email: 'ann@example.com',
  message: 'Hello',
  extra: { object: 'Villa', budget: 300000 },
  raw: {},
  attribution: { utm_source: 'google', landing_page: 'https://asia.example/villa', referrer: 'https://google.com/' },
  consent: { given: true, text_version: 'v1', at: '2026-01-01T00:00:00.000Z' },
  ip: '203.0.113.5',
  userAgent: null,
  createdAt: new Date('2026-01-02T03:04:05Z'),
  updatedAt: new Date('2026-01-02T03:04:05Z'),
  attempts: 0,
  nextAttemptAt: new Date(),
  claimedAt: null,
  claimedBy: null,
  lastError: null,
  amoLeadId: null,
  amoContactId: null,
  deliveredAt: null,
  responsibleUserId: null,
  ...over,
}) as LeadRow;

const resolved: ResolvedMap = {
  pipelines: { asia_deals: { id: 77, stages: { new_lead: 701 } } },
  fields: {
    leads: { object: { id: 501, code: null, type: 'select', enums: { Villa: 9001, Condo: 9002 } }, budget: { id: 502, code: 'BUDGET', type: 'numeric', enums: {} } },
    contacts: {},
    companies: {},
  },
};

describe('buildComplexItem', () => {
  it('resolves pipeline, stage and fields through the ResolvedMap, adds UTM, marker, tags and the contact', () => {
    const form = formConfig('asia', {
      title: 'Asia Deals',
      pipeline: 'asia_deals',
      stage: 'new_lead',
      dealName: '{{name}} — {{form_title}}',
      tags: ['site'],
      fields: { object: { entity: 'leads', field: 'object' }, budget: { entity: 'leads', field: 'budget' } },
    });
    const item = buildComplexItem({ lead: lead(), form, resolved, marker: { kind: 'field', fieldId: 999 }, responsibleUserId: 5 });
    expect(item).toMatchObject({ name: 'Ann <b> — Asia Deals', pipeline_id: 77, status_id: 701, responsible_user_id: 5, request_id: lead().id });
    expect(item.custom_fields_values).toEqual([
      { field_id: 501, values: [{ value: 'Villa' }] },
      { field_id: 502, values: [{ value: '300000' }] },
      { field_code: 'UTM_SOURCE', values: [{ value: 'google' }] },
      { field_code: 'REFERRER', values: [{ value: 'https://google.com/' }] },
      { field_id: 999, values: [{ value: lead().id }] },
    ]);
    expect(item._embedded?.tags).toEqual([{ name: 'site' }]);
    expect(item._embedded?.contacts?.[0]).toMatchObject({ name: 'Ann <b>', responsible_user_id: 5 });
  });

  it('links an existing contact by id, and marks with a tag when the account has no LEADBRIDGE_ID field', () => {
    const item = buildComplexItem({ lead: lead(), form: formConfig('asia'), marker: { kind: 'tag' }, contactId: 42 });
    expect(item._embedded?.contacts).toEqual([{ id: 42 }]);
    expect(item._embedded?.tags).toEqual([{ name: `lb-${lead().id}` }]);
  });

  it('sends incoming-mode forms to unsorted with form metadata', () => {
    const item = buildComplexItem({ lead: lead(), form: formConfig('asia', { mode: 'unsorted', title: 'Asia' }), marker: { kind: 'field' } });
    expect(item._embedded?.metadata).toEqual({
      category: 'forms',
      form_id: 'asia',
      form_name: 'Asia',
      form_page: 'https://asia.example/villa',
      form_sent_at: Math.floor(Date.parse('2026-01-02T03:04:05Z') / 1000),
      ip: '203.0.113.5',
      referer: 'https://google.com/',
    });
  });

  it('fails a form whose pipeline key was never resolved', () => {
    expect(() => buildComplexItem({ lead: lead(), form: formConfig('asia', { pipeline: 'nope' }), marker: { kind: 'tag' } })).toThrow(BuildError);
  });
});

describe('helpers', () => {
  it('falls back to the form title when the deal name renders empty', () => {
    expect(dealName(lead({ name: null }), formConfig('asia', { title: 'Asia', dealName: '{{name}}' }))).toBe('Asia');
  });
  it('keys contacts by E.164 phone and lower-cased email', () => {
    expect(contactKeys(lead({ email: 'Ann@Example.COM' }))).toEqual(['phone:+79121234567', 'email:ann@example.com']);
  });
  it('writes the form details into the note', () => {
    const text = noteText(lead(), formConfig('asia', { title: 'Asia' }));
    expect(text).toContain('Заявка с формы «Asia» (asia)');
    expect(text).toContain('Телефон: +79121234567');
    expect(text).toContain('object: Villa');
    expect(text).toContain('Согласие на обработку персональных данных: да (v1)');
  });
});

describe('visitor values that do not fit the provisioned field type', () => {
  const form = formConfig('asia', { fields: { object: { entity: 'leads', field: 'object' }, budget: { entity: 'leads', field: 'budget' } } });

  it('delivers the deal without an unknown select option or non-numeric text; the note keeps both', () => {
    const l = lead({ extra: { object: 'Дворец', budget: 'abc' } });
    const item = buildComplexItem({ lead: l, form, resolved, marker: { kind: 'tag' } });
    expect(item.custom_fields_values ?? []).not.toEqual(expect.arrayContaining([expect.objectContaining({ field_id: 501 })]));
    expect(item.custom_fields_values ?? []).not.toEqual(expect.arrayContaining([expect.objectContaining({ field_id: 502 })]));
    const note = noteText(l, form);
    expect(note).toContain('object: Дворец');
    expect(note).toContain('budget: abc');
  });

  it('keeps a known option and a number written with spaces or a comma', () => {
    const item = buildComplexItem({ lead: lead({ extra: { object: 'Condo', budget: '1 250 000,5' } }), form, resolved, marker: { kind: 'tag' } });
    expect(item.custom_fields_values).toEqual(
      expect.arrayContaining([
        { field_id: 501, values: [{ value: 'Condo' }] },
        { field_id: 502, values: [{ value: '1250000.5' }] },
      ]),
    );
  });

  it.each([
    ['date', '2026-01-02T00:00:00Z', String(Date.parse('2026-01-02T00:00:00Z') / 1000)],
    ['date', '1767312000', '1767312000'],
    ['date', 'tomorrow', undefined],
    ['text', 'anything', 'anything'],
    [undefined, 'anything', 'anything'],
  ])('fitsType(%s, %s) → %s', (type, text, expected) => {
    expect(fitsType(text, type ? { type, enums: {} } : undefined)).toBe(expected);
  });
});
