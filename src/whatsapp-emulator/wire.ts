// Graph-shaped bodies: the error envelope (§5.1), webhook envelopes (§4.3–4.5), wamids, and Meta's JSON escaping
// (non-ASCII as \uXXXX, `/` as \/) so a receiver that re-serialises the body before checking the signature fails.
import { createHmac, randomBytes } from 'node:crypto';

export function graphError(code: number, message: string, details?: string): { error: Record<string, unknown> } {
  return {
    error: {
      message: `(#${code}) ${message}`,
      type: 'OAuthException',
      code,
      error_data: { messaging_product: 'whatsapp', details: details ?? message },
      fbtrace_id: `A${randomBytes(11).toString('base64url')}`,
    },
  };
}

export function webhookError(code: number, title: string, details: string): Record<string, unknown> {
  return { code, title, message: title, error_data: { details }, href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/' };
}

/** `wamid.` + base64 of a random id, the way Meta's look. */
export function wamid(): string {
  return `wamid.${Buffer.concat([Buffer.from('HBgL'), randomBytes(30)]).toString('base64')}`;
}

/** JSON as Meta writes it: ASCII only. */
export function metaJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/\//g, '\\/')
    .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function sign(body: string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;
}

export interface EnvelopeIds {
  wabaId: string;
  phoneNumberId: string;
  displayPhoneNumber: string;
}

export function envelope(ids: EnvelopeIds, field: string, value: Record<string, unknown>): Record<string, unknown> {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: ids.wabaId,
        changes: [{ field, value: { messaging_product: 'whatsapp', metadata: { display_phone_number: ids.displayPhoneNumber, phone_number_id: ids.phoneNumberId }, ...value } }],
      },
    ],
  };
}

export const digits = (s: string): string => s.replace(/\D+/g, '');
export const unixSeconds = (ms: number): string => String(Math.floor(ms / 1000));
