// The lead body (POST /api/leads, and every surface that goes through validateLead): ONE table of its top-level
// fields — name, kind, longest value, description. validate.ts takes its field lists and limits from it, and
// schemas.ts builds the zod schema of the OpenAPI document from it, so the two cannot drift apart
// (lead-body.test.ts checks the validator's behaviour against the generated schema).

/** Longest accepted values, in characters (UTF-16 code units, as `String.length` counts them). */
export const LIMITS = { name: 200, phone: 64, email: 254, message: 5000, key: 200, value: 2000, touchKeys: 30 } as const;

/** Longest form key (validate.ts also checks its characters). */
export const FORM_KEY_MAX = 64;

export type LeadBodyFieldKind =
  /** A contact or lead string (numbers accepted too), trimmed; blank = absent. */
  | 'text'
  /** An attribution string (UTM, click id, page), kept in `attribution`. */
  | 'attribution'
  /** first_touch / last_touch: a string or an object of strings. */
  | 'touch'
  /** true/false, or { given, text_version, at }. */
  | 'consent'
  /** The per-form extra fields: an object. */
  | 'extra'
  /** One per-form extra field (a string, number, boolean or a list of them), kept in `extra`. */
  | 'extra_value';

export interface LeadBodyField {
  kind: LeadBodyFieldKind;
  /** Longest value in characters (the strings: text and attribution). */
  maxLength?: number;
  /** Shown in the OpenAPI document. */
  description?: string;
  /** Documented as required (the validator itself asks for a phone OR an email, CONTACT_REQUIRED). */
  required?: boolean;
}

/** Every field the validator knows, in the order the OpenAPI document lists them. Anything else is kept raw. */
export const LEAD_BODY_FIELDS = {
  form: { kind: 'text', maxLength: FORM_KEY_MAX, description: 'Form key from the config (default "default")' },
  name: { kind: 'text', maxLength: LIMITS.name },
  phone: { kind: 'text', maxLength: LIMITS.phone, description: 'Any format; stored as E.164 (default country from config)' },
  email: { kind: 'text', maxLength: LIMITS.email },
  message: { kind: 'text', maxLength: LIMITS.message },
  idempotency_key: { kind: 'text', maxLength: LIMITS.key, description: 'Or the Idempotency-Key header' },
  utm_source: { kind: 'attribution', maxLength: LIMITS.value },
  utm_medium: { kind: 'attribution', maxLength: LIMITS.value },
  utm_campaign: { kind: 'attribution', maxLength: LIMITS.value },
  utm_content: { kind: 'attribution', maxLength: LIMITS.value },
  utm_term: { kind: 'attribution', maxLength: LIMITS.value },
  gclid: { kind: 'attribution', maxLength: LIMITS.value },
  yclid: { kind: 'attribution', maxLength: LIMITS.value },
  fbclid: { kind: 'attribution', maxLength: LIMITS.value },
  referrer: { kind: 'attribution', maxLength: LIMITS.value },
  landing_page: { kind: 'attribution', maxLength: LIMITS.value },
  // Capture (widget and source adapters): the page the form was sent from, more click ids, analytics client ids.
  page_url: { kind: 'attribution', maxLength: LIMITS.value, description: 'The page the form was sent from' },
  gbraid: { kind: 'attribution', maxLength: LIMITS.value },
  wbraid: { kind: 'attribution', maxLength: LIMITS.value },
  fbc: { kind: 'attribution', maxLength: LIMITS.value, description: 'Meta _fbc cookie' },
  fbp: { kind: 'attribution', maxLength: LIMITS.value, description: 'Meta _fbp cookie' },
  ga_client_id: { kind: 'attribution', maxLength: LIMITS.value, description: 'Google Analytics client id (from the _ga cookie)' },
  ym_client_id: { kind: 'attribution', maxLength: LIMITS.value, description: 'Yandex Metrica ClientID (the _ym_uid cookie)' },
  first_touch: { kind: 'touch' },
  last_touch: { kind: 'touch' },
  consent: { kind: 'consent' },
  extra: { kind: 'extra', description: 'Per-form extra fields' },
} as const satisfies Record<string, LeadBodyField>;

export type LeadBodyFieldName = keyof typeof LEAD_BODY_FIELDS;
type FieldsOfKind<K extends LeadBodyFieldKind> = { [N in LeadBodyFieldName]: (typeof LEAD_BODY_FIELDS)[N]['kind'] extends K ? N : never }[LeadBodyFieldName];

function fieldsOfKind<K extends LeadBodyFieldKind>(kind: K): FieldsOfKind<K>[] {
  return (Object.keys(LEAD_BODY_FIELDS) as LeadBodyFieldName[]).filter((n): n is FieldsOfKind<K> => LEAD_BODY_FIELDS[n].kind === kind);
}

/** The attribution strings, in table order. */
export const ATTRIBUTION_STRINGS: readonly FieldsOfKind<'attribution'>[] = fieldsOfKind('attribution');
/** first_touch, last_touch. */
export const TOUCHES: readonly FieldsOfKind<'touch'>[] = fieldsOfKind('touch');
/** The names validateLead reads; any other top-level field is a declared extra field or kept raw. */
export const KNOWN_FIELDS: ReadonlySet<string> = new Set(Object.keys(LEAD_BODY_FIELDS));

/**
 * The FitZone alias (POST /api/crm, form "fitzone"): `direction` becomes `extra.direction`, every other field is a
 * lead body field and validated as one. These are the fields its landing page sends (the FitZone guide asks for a
 * phone); the rest of the lead body is accepted too.
 */
export const CRM_ALIAS_FIELDS = {
  name: LEAD_BODY_FIELDS.name,
  phone: { ...LEAD_BODY_FIELDS.phone, required: true },
  direction: { kind: 'extra_value', maxLength: LIMITS.value, description: 'Training direction → extra.direction' },
  message: LEAD_BODY_FIELDS.message,
} as const satisfies Record<string, LeadBodyField>;
