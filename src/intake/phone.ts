import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

/**
 * Any human way of writing a phone → E.164, or undefined when it is not a valid number.
 * Russian habits: `8 912 345-67-89` (trunk prefix 8), `7912…` (country code without +), `+7 (912) …`.
 */
export function normalisePhone(input: string, defaultCountry: CountryCode): string | undefined {
  const trimmed = input.trim();
  if (!/\d/.test(trimmed) || trimmed.length > 40) return undefined;
  const digits = trimmed.replace(/\D/g, '');
  const candidates = [trimmed];
  // International number typed without "+" (7912…, 49301…) or with 00 prefix: try as international too.
  if (!trimmed.startsWith('+')) {
    candidates.push(`+${digits.replace(/^00/, '')}`);
  }
  for (const candidate of candidates) {
    const parsed = candidate.startsWith('+')
      ? parsePhoneNumberFromString(candidate)
      : parsePhoneNumberFromString(candidate, defaultCountry);
    if (parsed?.isValid()) return parsed.number;
  }
  return undefined;
}
