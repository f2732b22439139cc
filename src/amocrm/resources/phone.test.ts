import { describe, expect, it } from 'vitest';
import { phoneQueries, phonesMatch } from './phone.js';

describe('phone matching', () => {
  it('builds digit, national and 10-digit-tail queries for Russian numbers', () => {
    expect(phoneQueries('+7 (912) 123-45-67')).toEqual(['79121234567', '89121234567', '9121234567']);
    expect(phoneQueries('8 912 123 45 67')).toEqual(['89121234567', '79121234567', '9121234567']);
    expect(phoneQueries('+49 30 1234567')).toEqual(['49301234567']);
  });

  it('matches +7/8/10-digit forms but not other numbers', () => {
    expect(phonesMatch('+79121234567', '8 (912) 123-45-67')).toBe(true);
    expect(phonesMatch('9121234567', '+7 912 123 45 67')).toBe(true);
    expect(phonesMatch('+79121234567', '+79121234568')).toBe(false);
    expect(phonesMatch('+49301234567', '+7 930 123 45 67')).toBe(false);
  });
});
