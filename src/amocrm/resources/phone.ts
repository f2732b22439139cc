// Phone/email matching for contact lookup (fact sheet §7.3: `query` is a fuzzy full-text search, so hits must be
// checked; phone formats differ, e.g. +7 912… vs 8912…).

export function digitsOf(phone: string): string {
  return phone.replace(/\D+/g, '');
}

/** Comparable forms of a phone: its digits, plus the +7/8 twin and +7 form of a 10-digit Russian number. */
export function phoneKeys(phone: string): Set<string> {
  const d = digitsOf(phone);
  const keys = new Set<string>();
  if (d.length < 5) return keys;
  keys.add(d);
  if (d.length === 11 && (d.startsWith('7') || d.startsWith('8'))) {
    keys.add(`7${d.slice(1)}`);
    keys.add(`8${d.slice(1)}`);
  }
  if (d.length === 10) keys.add(`7${d}`);
  return keys;
}

/** Search strings to send as `query` for a phone: digits, national twin (8… ↔ 7…), and the 10-digit tail. */
export function phoneQueries(phone: string): string[] {
  const d = digitsOf(phone);
  if (d.length < 5) return [];
  const out = [d];
  if (d.length === 11 && (d.startsWith('7') || d.startsWith('8'))) {
    out.push(`${d.startsWith('7') ? '8' : '7'}${d.slice(1)}`, d.slice(1));
  }
  return [...new Set(out)];
}

export function phonesMatch(a: string, b: string): boolean {
  const ka = phoneKeys(a);
  for (const k of phoneKeys(b)) if (ka.has(k)) return true;
  return false;
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}
