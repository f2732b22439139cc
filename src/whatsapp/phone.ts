// Phone numbers: E.164 with `+` to send (without it Meta may prefix the business number's country, §1.4), digits
// only to compare and to key the contacts table (webhooks carry `wa_id` as digits).
import { parsePhoneNumberFromString } from 'libphonenumber-js';

/** `+79161234567` from `+7 916 123-45-67` / `+7 (916) 1234567`; undefined when it is not a valid number. */
export function toE164(input: string): string | undefined {
  const trimmed = input.trim();
  if (!trimmed.startsWith('+')) return undefined;
  const p = parsePhoneNumberFromString(trimmed);
  return p && p.isValid() ? p.number : undefined;
}

export const digitsOf = (phone: string): string => phone.replace(/\D+/g, '');
