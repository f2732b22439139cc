// The OpenAPI schema of the lead body and the validator agree: the same fields, and every documented maxLength is
// exactly where validateLead starts answering TOO_LONG (one character more), for every string field.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { KNOWN_FIELDS } from './lead-body.js';
import { CrmAliasBodySchema, LeadBodySchema } from './schemas.js';
import { validateLead, type ValidateContext } from './validate.js';

type JsonSchema = {
  type?: string | string[];
  maxLength?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  additionalProperties?: JsonSchema | boolean;
};

const docOf = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input' }) as JsonSchema;
const lead = docOf(LeadBodySchema);
const crm = docOf(CrmAliasBodySchema);
const props = (s: JsonSchema) => s.properties ?? {};

const ctx: ValidateContext = {
  defaultCountry: 'RU',
  knownForms: [],
  honeypotFor: () => 'website',
  extraFieldsFor: () => [],
  now: () => Date.parse('2026-12-02T08:00:00Z'),
};
const PHONE = '+79001234567';
const errorsOf = (body: Record<string, unknown>) => {
  const r = validateLead(body, ctx);
  return r.ok ? [] : r.errors;
};
const tooLong = (body: Record<string, unknown>, field: string) => errorsOf(body).filter((e) => e.field === field && e.code === 'TOO_LONG');

/** A valid value for each documented field that is not a plain string. */
const SAMPLES: Record<string, unknown> = { phone: PHONE, email: 'ivan@example.com', consent: true, extra: {}, first_touch: 'x', last_touch: 'x' };

describe('the lead body: OpenAPI schema and validator', () => {
  it('document exactly the fields the validator reads, in the same order', () => {
    expect(Object.keys(props(lead))).toEqual([...KNOWN_FIELDS]);
  });

  it('the validator reads every documented field (none of them ends up in raw)', () => {
    for (const field of Object.keys(props(lead))) {
      const r = validateLead({ phone: PHONE, [field]: SAMPLES[field] ?? 'x' }, ctx);
      expect(r.ok, field).toBe(true);
      if (r.ok) expect(Object.keys(r.lead.raw), field).toEqual([]);
    }
    // …while an undocumented one does.
    const r = validateLead({ phone: PHONE, utm_unknown: 'x' }, ctx);
    expect(r.ok && r.lead.raw).toEqual({ utm_unknown: 'x' });
  });

  it('every string field documents a maxLength, and the validator answers TOO_LONG one character past it', () => {
    const strings = Object.entries(props(lead)).filter(([, s]) => s.type === 'string');
    expect(strings.length).toBeGreaterThan(20);
    for (const [field, s] of strings) {
      expect(s.maxLength, field).toBeTypeOf('number');
      const max = s.maxLength as number;
      expect(tooLong({ phone: PHONE, email: 'ivan@example.com', [field]: 'a'.repeat(max) }, field), `${field} at ${max}`).toEqual([]);
      expect(tooLong({ phone: PHONE, email: 'ivan@example.com', [field]: 'a'.repeat(max + 1) }, field), `${field} at ${max + 1}`).toHaveLength(1);
    }
  });

  it('the touches and the consent text version document the validator’s limits too', () => {
    for (const field of ['first_touch', 'last_touch']) {
      const [asString, asObject] = props(lead)[field]?.anyOf ?? [];
      const max = asString?.maxLength as number;
      expect(max, field).toBeTypeOf('number');
      expect((asObject?.additionalProperties as JsonSchema).maxLength, field).toBe(max);
      expect(tooLong({ phone: PHONE, [field]: 'a'.repeat(max) }, field)).toEqual([]);
      expect(tooLong({ phone: PHONE, [field]: 'a'.repeat(max + 1) }, field)).toHaveLength(1);
      expect(tooLong({ phone: PHONE, [field]: { utm_source: 'a'.repeat(max) } }, `${field}.utm_source`)).toEqual([]);
      expect(tooLong({ phone: PHONE, [field]: { utm_source: 'a'.repeat(max + 1) } }, `${field}.utm_source`)).toHaveLength(1);
    }
    const consent = props(lead).consent?.anyOf?.find((s) => s.type === 'object');
    const max = props(consent ?? {}).text_version?.maxLength as number;
    expect(max).toBeTypeOf('number');
    const consentErrors = (v: string) => errorsOf({ phone: PHONE, consent: { given: true, text_version: v } }).filter((e) => e.field === 'consent');
    expect(consentErrors('a'.repeat(max))).toEqual([]);
    expect(consentErrors('a'.repeat(max + 1))).toMatchObject([{ code: 'CONSENT_INVALID' }]);
  });
});

describe('the /api/crm alias body', () => {
  it('documents lead body fields with the lead body’s limits, plus direction (→ extra.direction) with the extra fields’ limit', () => {
    expect(crm.required).toEqual(['phone']);
    for (const [field, s] of Object.entries(props(crm))) {
      if (field === 'direction') continue;
      expect(props(lead)[field], field).toBeDefined();
      expect(s.maxLength, field).toBe(props(lead)[field]?.maxLength);
    }
    // The route moves direction into extra (routes.ts), where the validator limits every value.
    const max = props(crm).direction?.maxLength as number;
    expect(max).toBeTypeOf('number');
    const direction = (v: string) => errorsOf({ phone: PHONE, form: 'fitzone', extra: { direction: v } }).filter((e) => e.field === 'extra.direction');
    expect(direction('a'.repeat(max))).toEqual([]);
    expect(direction('a'.repeat(max + 1))).toMatchObject([{ code: 'TOO_LONG' }]);
  });
});
