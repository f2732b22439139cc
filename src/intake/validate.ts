// Raw submitted body (JSON or qs-parsed form) → a normalised LeadInput, or EVERY problem at once. The fields and
// their limits are lead-body.ts's table (which the OpenAPI schema is built from too).
import type { CountryCode } from 'libphonenumber-js';
import type { Attribution, Consent } from '../db/index.js';
import type { FieldError } from './errors.js';
import { ATTRIBUTION_STRINGS, KNOWN_FIELDS, LEAD_BODY_FIELDS, LIMITS, TOUCHES } from './lead-body.js';
import { normalisePhone } from './phone.js';

export interface LeadInput {
  formKey: string;
  idempotencyKey?: string;
  name?: string;
  phone?: string;
  email?: string;
  message?: string;
  extra: Record<string, unknown>;
  raw: Record<string, unknown>;
  attribution: Attribution;
  consent?: Consent;
  /** The honeypot field was filled: stored as spam, never delivered. */
  spam: boolean;
  /** Why it is spam when a capture rule (not the honeypot) said so, e.g. `too_fast`. */
  spamReason?: string;
}

export interface ValidateContext {
  defaultCountry: CountryCode;
  /** Configured form keys; empty = any well-formed key is accepted. */
  knownForms: string[];
  /** Honeypot field for a form key. */
  honeypotFor(formKey: string): string;
  /** Extra (per-form) field names for a form key, kept in `extra`. */
  extraFieldsFor(formKey: string): string[];
  headerIdempotencyKey?: string;
  ip?: string;
  now: () => number;
  /** The form of a lead naming none (config `default_form`; default "default"). */
  defaultForm?: string;
  /** Skip the unknown-form check (fixed aliases such as /api/crm). */
  allowUnknownForm?: boolean;
}

const FORM_KEY = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]{2,}$/;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;
const F = LEAD_BODY_FIELDS;

type Errors = FieldError[];

/** Strings and numbers become trimmed strings; empty → undefined; anything else is an INVALID_TYPE error. */
function str(body: Record<string, unknown>, field: string, max: number, errors: Errors): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') {
    errors.push({ field, code: 'INVALID_TYPE', message: `${field} must be a string` });
    return undefined;
  }
  const s = String(v).trim();
  if (!s) return undefined;
  if (s.length > max) {
    errors.push({ field, code: 'TOO_LONG', message: `${field} must be at most ${max} characters` });
    return undefined;
  }
  return s;
}

function truthy(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (['1', 'true', 'on', 'yes', 'y'].includes(s)) return true;
    if (['0', 'false', 'off', 'no', 'n', ''].includes(s)) return false;
  }
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function consentOf(v: unknown, ctx: ValidateContext, errors: Errors): Consent | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const bad = (message: string) => errors.push({ field: 'consent', code: 'CONSENT_INVALID', message });
  const obj = isRecord(v) ? v : { given: v };
  const given = truthy(obj.given);
  if (given === undefined) {
    bad('consent.given must be a boolean');
    return undefined;
  }
  const consent: Consent = { given };
  const version = obj.text_version;
  if (version !== undefined) {
    if ((typeof version !== 'string' && typeof version !== 'number') || String(version).length > LIMITS.key) {
      bad(`consent.text_version must be a string of at most ${LIMITS.key} characters`);
    } else consent.text_version = String(version).trim();
  }
  const at = obj.at ?? obj.time;
  if (at !== undefined && at !== '') {
    const ms = typeof at === 'number' ? (at < 1e12 ? at * 1000 : at) : typeof at === 'string' ? Date.parse(at) : NaN;
    if (!Number.isFinite(ms) || ms < 0 || ms > MAX_TIME_MS) bad('consent.at must be an ISO date-time or a Unix timestamp');
    else consent.at = new Date(ms).toISOString();
  } else if (given) consent.at = new Date(ctx.now()).toISOString();
  if (given && ctx.ip) consent.ip = ctx.ip;
  return consent;
}

function touchOf(field: string, v: unknown, errors: Errors): Record<string, string> | string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') {
    if (v.length > LIMITS.value) errors.push({ field, code: 'TOO_LONG', message: `${field} is too long` });
    return v.trim();
  }
  if (!isRecord(v) || Object.keys(v).length > LIMITS.touchKeys) {
    errors.push({ field, code: 'INVALID_TYPE', message: `${field} must be an object of strings` });
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string' && typeof val !== 'number') {
      errors.push({ field: `${field}.${k}`, code: 'INVALID_TYPE', message: `${field}.${k} must be a string` });
    } else if (String(val).length > LIMITS.value) {
      errors.push({ field: `${field}.${k}`, code: 'TOO_LONG', message: `${field}.${k} is too long` });
    } else out[k] = String(val).trim();
  }
  return out;
}

function extraValue(field: string, v: unknown, errors: Errors): unknown {
  const scalar = (x: unknown) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean';
  const ok = scalar(v) || (Array.isArray(v) && v.length <= 100 && v.every(scalar));
  if (!ok) {
    errors.push({ field, code: 'INVALID_TYPE', message: `${field} must be a string, number, boolean or a list of them` });
    return undefined;
  }
  const tooLong = (x: unknown) => typeof x === 'string' && x.length > LIMITS.value;
  if (tooLong(v) || (Array.isArray(v) && v.some(tooLong))) {
    errors.push({ field, code: 'TOO_LONG', message: `${field} must be at most ${LIMITS.value} characters` });
    return undefined;
  }
  return typeof v === 'string' ? v.trim() : Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x.trim() : x)) : v;
}

/** Deepest nesting accepted anywhere in a body, and in one unknown (raw) field; the raw fields' total JSON size. */
export const SHAPE_LIMITS = { bodyDepth: 32, rawDepth: 6, rawBytes: 32 * 1024, rawKeys: 100 } as const;
// A UTF-16 surrogate without its pair: jsonb (and any UTF-8 store) cannot hold it.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE, 'g');

function badText(s: string): 'NUL_CHARACTER' | 'INVALID_UNICODE' | undefined {
  if (s.includes('\u0000')) return 'NUL_CHARACTER';
  return LONE_SURROGATE.test(s) ? 'INVALID_UNICODE' : undefined;
}

const SHAPE_MESSAGES = {
  NUL_CHARACTER: 'contains a NUL character',
  INVALID_UNICODE: 'contains an unpaired UTF-16 surrogate (invalid Unicode)',
  TOO_DEEP: `is nested deeper than ${SHAPE_LIMITS.bodyDepth} levels`,
} as const;

/**
 * Every key or string that PostgreSQL cannot store (U+0000, a lone surrogate) and nesting past the depth limit,
 * found WITHOUT recursion (an explicit stack: a body nested thousands of levels deep cannot overflow the call
 * stack). Stops after 20 findings.
 */
function shapeErrors(body: unknown): FieldError[] {
  const out: FieldError[] = [];
  const push = (field: string, code: keyof typeof SHAPE_MESSAGES) =>
    out.push({ field: field || '(root)', code, message: `${field || 'the body'} ${SHAPE_MESSAGES[code]}` });
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: body, path: '', depth: 0 }];
  while (stack.length > 0 && out.length < 20) {
    const { v, path, depth } = stack.pop() as { v: unknown; path: string; depth: number };
    if (typeof v === 'string') {
      const bad = badText(v);
      if (bad) push(path, bad);
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= SHAPE_LIMITS.bodyDepth) {
      push(path, 'TOO_DEEP');
      continue;
    }
    for (const [k, x] of Object.entries(v)) {
      const clean = k.replaceAll('\u0000', '').replace(LONE_SURROGATES, '\uFFFD').slice(0, 100);
      const p = path ? `${path}.${clean}` : clean;
      const bad = badText(k);
      if (bad) push(p, bad);
      else stack.push({ v: x, path: p, depth: depth + 1 });
    }
  }
  return out;
}

/** Nesting depth of a value, counted without recursion and capped at `cap`. */
function depthOf(v: unknown, cap: number): number {
  let max = 0;
  const stack: [unknown, number][] = [[v, 0]];
  while (stack.length > 0) {
    const [x, d] = stack.pop() as [unknown, number];
    if (typeof x !== 'object' || x === null) continue;
    if (d + 1 > max) max = d + 1;
    if (max > cap) return max;
    for (const y of Object.values(x)) stack.push([y, d + 1]);
  }
  return max;
}

/** A filled honeypot: any non-blank text, any number or boolean, any non-empty object (never String() on it). */
function filled(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'string') return v.trim() !== '';
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

/** Latest instant a consent time may name (the year 9999): beyond it Date cannot be printed as ISO. */
const MAX_TIME_MS = 253_402_300_799_999;

export function validateLead(body: Record<string, unknown>, ctx: ValidateContext): { ok: true; lead: LeadInput } | { ok: false; errors: FieldError[] } {
  const errors: Errors = [];
  const shape = shapeErrors(body);
  if (shape.length > 0) return { ok: false, errors: shape };
  const formKey = str(body, 'form', F.form.maxLength, errors)?.toLowerCase() ?? ctx.defaultForm ?? 'default';
  if (!FORM_KEY.test(formKey)) {
    errors.push({ field: 'form', code: 'FORM_INVALID', message: 'form must be lower-case letters, digits, - and _' });
  } else if (!ctx.allowUnknownForm && ctx.knownForms.length > 0 && !ctx.knownForms.includes(formKey)) {
    errors.push({ field: 'form', code: 'FORM_UNKNOWN', message: `unknown form "${formKey}"` });
  }

  const lead: LeadInput = { formKey, extra: {}, raw: {}, attribution: {}, spam: false };
  const name = str(body, 'name', F.name.maxLength, errors);
  if (name) lead.name = name;
  const message = str(body, 'message', F.message.maxLength, errors);
  if (message) lead.message = message;

  const phone = str(body, 'phone', F.phone.maxLength, errors);
  if (phone) {
    const e164 = normalisePhone(phone, ctx.defaultCountry);
    if (e164) lead.phone = e164;
    else errors.push({ field: 'phone', code: 'PHONE_INVALID', message: 'phone is not a valid phone number' });
  }
  const email = str(body, 'email', F.email.maxLength, errors);
  if (email) {
    if (EMAIL.test(email)) lead.email = email.toLowerCase();
    else errors.push({ field: 'email', code: 'EMAIL_INVALID', message: 'email is not a valid address' });
  }
  if (!phone && !email && !errors.some((e) => e.field === 'phone' || e.field === 'email')) {
    for (const field of ['phone', 'email']) {
      errors.push({ field, code: 'CONTACT_REQUIRED', message: 'phone or email is required' });
    }
  }

  const key = ctx.headerIdempotencyKey?.trim() || str(body, 'idempotency_key', F.idempotency_key.maxLength, errors);
  if (key !== undefined) {
    if (IDEMPOTENCY_KEY.test(key)) lead.idempotencyKey = key;
    else errors.push({ field: 'idempotency_key', code: 'IDEMPOTENCY_KEY_INVALID', message: 'idempotency key must be 1-200 visible ASCII characters' });
  }

  for (const field of ATTRIBUTION_STRINGS) {
    const v = str(body, field, F[field].maxLength, errors);
    if (v) lead.attribution[field] = v;
  }
  for (const field of TOUCHES) {
    const v = touchOf(field, body[field], errors);
    if (v !== undefined) lead.attribution[field] = v;
  }
  const consent = consentOf(body.consent, ctx, errors);
  if (consent) lead.consent = consent;

  const honeypot = ctx.honeypotFor(formKey);
  const trap = body[honeypot];
  lead.spam = filled(trap);

  // Per-form extra fields: the `extra` object plus top-level names the form declares; the rest is kept raw.
  const declared = new Set(ctx.extraFieldsFor(formKey));
  if (body.extra !== undefined) {
    if (!isRecord(body.extra)) errors.push({ field: 'extra', code: 'INVALID_TYPE', message: 'extra must be an object' });
    else for (const [k, v] of Object.entries(body.extra)) {
      const val = extraValue(`extra.${k}`, v, errors);
      if (val !== undefined) lead.extra[k] = val;
    }
  }
  for (const [k, v] of Object.entries(body)) {
    if (KNOWN_FIELDS.has(k)) continue;
    if (declared.has(k) && k !== honeypot) {
      const val = extraValue(k, v, errors);
      if (val !== undefined) lead.extra[k] = val;
    } else lead.raw[k] = v;
  }
  rawLimits(lead.raw, errors);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, lead };
}

/**
 * The lead's `source` when the site sent none (FitZone's "Источник"): utm_source, else the referrer's host (the body's
 * `referrer`, then the Referer header). Only for forms that declare a `source` value.
 */
export function inferSource(lead: LeadInput, refererHeader: string | undefined): string | undefined {
  const utm = lead.attribution.utm_source;
  if (typeof utm === 'string' && utm) return utm;
  for (const ref of [lead.attribution.referrer, refererHeader]) {
    if (typeof ref !== 'string' || !ref) continue;
    try {
      return new URL(ref).hostname || undefined;
    } catch {
      // not a URL: try the next one
    }
  }
  return undefined;
}

/** Unknown fields are kept as sent, within bounds: how many, how deep, how big. */
function rawLimits(raw: Record<string, unknown>, errors: Errors): void {
  const keys = Object.keys(raw);
  if (keys.length > SHAPE_LIMITS.rawKeys) {
    errors.push({ field: '(root)', code: 'TOO_MANY_FIELDS', message: `at most ${SHAPE_LIMITS.rawKeys} unknown fields` });
    return;
  }
  for (const k of keys) {
    if (depthOf(raw[k], SHAPE_LIMITS.rawDepth) > SHAPE_LIMITS.rawDepth) {
      errors.push({ field: k, code: 'TOO_DEEP', message: `${k} is nested deeper than ${SHAPE_LIMITS.rawDepth} levels` });
    }
  }
  if (errors.length === 0 && JSON.stringify(raw).length > SHAPE_LIMITS.rawBytes) {
    errors.push({ field: '(root)', code: 'TOO_LARGE', message: `unknown fields together exceed ${SHAPE_LIMITS.rawBytes} characters` });
  }
}
