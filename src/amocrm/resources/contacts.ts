import { Resource, type ListPage } from '../core.js';
import { path } from '../query.js';
import type { RequestOptions } from '../request.js';
import type { BatchResultItem, Contact, ContactInput, CustomFieldValues } from '../types.js';
import { batchWrite, toParams, type ListQuery } from './common.js';
import { normaliseEmail, phoneQueries, phonesMatch } from './phone.js';

export type ContactWith = 'leads' | 'customers' | 'catalog_elements';

export interface ContactMatch {
  contact: Contact;
  matchedBy: 'phone' | 'email';
}

export class ContactsResource extends Resource {
  list(query?: ListQuery, opts?: RequestOptions): Promise<ListPage<Contact>> {
    return this.t.list<Contact>('/api/v4/contacts', 'contacts', toParams(query), opts);
  }

  iterate(query?: ListQuery, opts?: RequestOptions): AsyncGenerator<Contact, void, undefined> {
    return this.t.iterate<Contact>('/api/v4/contacts', 'contacts', toParams(query), opts);
  }

  /** GET /api/v4/contacts/{id}; null on 204. */
  get(id: number, params?: { with?: ContactWith[] }, opts?: RequestOptions): Promise<Contact | null> {
    return this.t.request<Contact>('GET', path`/api/v4/contacts/${id}`, {
      ...(params?.with?.length ? { query: { with: params.with } } : {}),
      ...(opts ? { opts } : {}),
    });
  }

  create(items: readonly ContactInput[], opts?: RequestOptions): Promise<BatchResultItem[]> {
    return batchWrite(this.t, 'POST', '/api/v4/contacts', 'contacts', items, opts);
  }

  update(items: readonly ContactInput[], opts?: RequestOptions): Promise<BatchResultItem[]> {
    return batchWrite(this.t, 'PATCH', '/api/v4/contacts', 'contacts', items, opts);
  }

  /**
   * Find an existing contact by phone or email. Searches with `query` (phone digits, the 8…/7… twin, the 10-digit
   * tail, then the email) and CHECKS each hit's PHONE/EMAIL values itself, since `query` matches any field.
   */
  async findByPhoneOrEmail(
    input: { phone?: string; email?: string },
    opts?: RequestOptions,
  ): Promise<ContactMatch | null> {
    const phone = input.phone?.trim() || undefined;
    const email = input.email ? normaliseEmail(input.email) || undefined : undefined;
    const searches: { q: string; by: 'phone' | 'email' }[] = [
      ...(phone ? phoneQueries(phone).map((q) => ({ q, by: 'phone' as const })) : []),
      ...(email ? [{ q: email, by: 'email' as const }] : []),
    ];
    for (const s of searches) {
      const page = await this.list({ query: s.q, limit: 50 }, opts);
      for (const contact of page.items) {
        if (phone && fieldValues(contact.custom_fields_values, 'PHONE').some((v) => phonesMatch(v, phone))) {
          return { contact, matchedBy: 'phone' };
        }
        if (email && fieldValues(contact.custom_fields_values, 'EMAIL').some((v) => normaliseEmail(v) === email)) {
          return { contact, matchedBy: 'email' };
        }
      }
    }
    return null;
  }
}

/** String values of a multitext field by code (PHONE / EMAIL). */
export function fieldValues(values: CustomFieldValues[] | null | undefined, code: string): string[] {
  if (!values) return [];
  return values
    .filter((f) => f.field_code === code)
    .flatMap((f) => f.values.map((v) => v.value))
    .filter((v): v is string => typeof v === 'string');
}
