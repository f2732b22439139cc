// Black-box compatibility: the public client @shevernitskiy/amo (written against the real amoCRM) driven through its
// documented calls against our emulator. Only the transport is redirected — its global `fetch` to the emulator's
// origin, the seam the library's own tests mock — and none of its files are touched. A call that fails here is an
// emulator difference (see ../shared/docs/amocrm-emulator-fidelity.md §1.3), unless it is a library defect listed there.
import { Amo, Filter } from '@shevernitskiy/amo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REDIRECT_URI } from '../../src/amocrm-emulator/index.js';
import { startTestEmulator, type TestEmu } from '../emulator.js';
import { authorizationCode, redirectFetch, tally } from './helpers.js';

let emu: TestEmu;
let amo: Amo;
let restoreFetch: () => void;
let host: string;
const tokens: { refresh_token: string }[] = [];
const calls = tally('@shevernitskiy/amo');
const ids: { pipeline?: number; status?: number; contact?: number; lead?: number; lead2?: number; note?: number } = {};

beforeAll(async () => {
  emu = await startTestEmulator({ autoApprove: true });
  const { code, referer } = await authorizationCode(emu.url);
  host = referer;
  restoreFetch = redirectFetch(`https://${referer}`, emu.url);
  amo = new Amo(
    referer,
    { client_id: DEFAULT_CLIENT_ID, client_secret: DEFAULT_CLIENT_SECRET, grant_type: 'authorization_code', code, redirect_uri: DEFAULT_REDIRECT_URI },
    { request_delay: 0, on_token: (t) => void tokens.push(t) },
  );
});
afterAll(async () => {
  restoreFetch();
  calls.print();
  await emu.close();
});

/** The library's errors lose their classes in its npm build (library defect L3): tell them apart by shape. */
async function errorOf(p: Promise<unknown>): Promise<{ message: string; response?: unknown }> {
  try {
    await p;
  } catch (e) {
    return e as { message: string; response?: unknown };
  }
  throw new Error('expected the call to fail');
}

describe('@shevernitskiy/amo against the emulator', () => {
  it(...calls.it('OAuth code exchange on the first call; account with amojo_id', async () => {
    const account = (await amo.account.getAccount({ with: ['amojo_id'] })) as { id: number; amojo_id?: string };
    expect(account.id).toBeGreaterThan(0);
    expect(typeof account.amojo_id).toBe('string');
    expect(tokens).toHaveLength(1);
  }));

  it(...calls.it('pipelines and their statuses', async () => {
    const res = (await amo.pipeline.getPipelines()) as { _total_items: number; _embedded: { pipelines: { id: number; is_main: boolean }[] } };
    expect(res._total_items).toBeGreaterThan(0);
    const main = res._embedded.pipelines.find((p) => p.is_main) ?? res._embedded.pipelines[0]!;
    ids.pipeline = main.id;
    const st = (await amo.pipeline.getStatusesByPipelineId(main.id)) as unknown as { _embedded: { statuses: { id: number; type: number }[] } };
    expect(st._embedded.statuses.some((s) => s.id === 142)).toBe(true);
    ids.status = st._embedded.statuses.find((s) => s.type === 0 && s.id !== 142 && s.id !== 143)!.id;
  }));

  it(...calls.it('custom fields of leads and contacts', async () => {
    const leads = (await amo.custom_fields.getCustomFields('leads')) as { _page: number };
    const contacts = (await amo.custom_fields.getCustomFields('contacts')) as { _embedded: { custom_fields: { code: string | null }[] } };
    expect(leads._page).toBe(1);
    expect(contacts._embedded.custom_fields.map((f) => f.code)).toEqual(expect.arrayContaining(['PHONE', 'EMAIL']));
  }));

  it(...calls.it('contact with phone and email, read back by id', async () => {
    const res = (await amo.contact.addContacts([
      {
        name: 'Тест Совместимости',
        custom_fields_values: [
          { field_code: 'PHONE', values: [{ value: '+79001230001', enum_code: 'WORK' }] },
          { field_code: 'EMAIL', values: [{ value: 'compat@example.com', enum_code: 'PRIV' }] },
        ],
      },
    ] as never)) as { _embedded: { contacts: { id: number }[] } };
    ids.contact = res._embedded.contacts[0]!.id;
    const c = (await amo.contact.getContactById(ids.contact)) as { custom_fields_values: { field_code: string; values: { value: string }[] }[] };
    expect(c.custom_fields_values.find((f) => f.field_code === 'PHONE')?.values[0]?.value).toBe('+79001230001');
  }));

  it(...calls.it('lead with an embedded contact and tags, read back with contacts', async () => {
    const res = (await amo.lead.addLeads([{ name: 'Compat lead', price: 1000, _embedded: { contacts: [{ id: ids.contact! }], tags: [{ name: 'compat' }] } }] as never)) as {
      _embedded: { leads: { id: number }[] };
    };
    ids.lead = res._embedded.leads[0]!.id;
    const lead = (await amo.lead.getLeadById(ids.lead, { with: ['contacts'] })) as { _embedded: { contacts: { id: number; is_main: boolean }[] } };
    expect(lead._embedded.contacts).toEqual([expect.objectContaining({ id: ids.contact, is_main: true })]);
  }));

  it(...calls.it('complex add of two leads, one with a contact and a company', async () => {
    const res = (await amo.lead.addComplex([
      { name: 'Complex bare' },
      { name: 'Complex full', _embedded: { contacts: [{ first_name: 'Пётр' }], companies: [{ name: 'ООО Тест' }] } },
    ] as never)) as { id: number; contact_id: number | null }[];
    expect(res).toHaveLength(2);
    expect(res[0]!.contact_id).toBeNull();
    expect(res[1]!.contact_id).toBeGreaterThan(0);
    ids.lead2 = res[0]!.id;
  }));

  it(...calls.it('leads by id filter with contacts, by status filter, by created_at range, by query', async () => {
    const byId = (await amo.lead.getLeads({ filter: new Filter().multi('id', [ids.lead!, ids.lead2!]) as never, with: ['contacts'] })) as { _embedded: { leads: unknown[] } };
    expect(byId._embedded.leads).toHaveLength(2);
    const byStatus = (await amo.lead.getLeads({ filter: new Filter().statuses([[ids.pipeline!, (await firstStatus())!]]) as never })) as { _embedded: { leads: unknown[] } };
    expect(byStatus._embedded.leads.length).toBeGreaterThan(0);
    const now = Math.floor(Date.now() / 1000);
    const byRange = (await amo.lead.getLeads({ filter: new Filter().range('created_at', now - 3600, now + 3600) as never })) as { _embedded: { leads: unknown[] } };
    expect(byRange._embedded.leads.length).toBeGreaterThanOrEqual(2);
    const byQuery = (await amo.lead.getLeads({ query: 'Compat lead' })) as { _embedded: { leads: { id: number }[] } };
    expect(byQuery._embedded.leads.map((l) => l.id)).toContain(ids.lead);
  }));

  it(...calls.it('pagination keeps limit in the next link; past the end is 204 (NoContent)', async () => {
    const page = (await amo.lead.getLeads({ limit: 1, page: 1 })) as { _links: { next?: { href: string } } };
    expect(page._links.next?.href).toContain('limit=1');
    const past = await errorOf(amo.lead.getLeads({ limit: 250, page: 99 }));
    expect(past.message).toMatch(/^204/);
  }));

  it(...calls.it('update one lead by id, then several', async () => {
    const one = (await amo.lead.updateLeadById(ids.lead!, { status_id: ids.status!, pipeline_id: ids.pipeline! } as never)) as { id: number; updated_at: number };
    expect(one.id).toBe(ids.lead);
    const many = (await amo.lead.updateLeads([{ id: ids.lead!, status_id: 142 }] as never)) as { _embedded: { leads: { id: number }[] } };
    expect(many._embedded.leads[0]!.id).toBe(ids.lead);
    const after = (await amo.lead.getLeadById(ids.lead!)) as { status_id: number; closed_at: number | null };
    expect(after.status_id).toBe(142);
    expect(after.closed_at).toBeGreaterThan(0);
  }));

  it(...calls.it('notes: add, list by entity, get by id', async () => {
    const res = (await amo.note.addNotes('leads', [{ entity_id: ids.lead!, note_type: 'common', params: { text: 'совместимость' } }] as never)) as unknown as {
      _embedded: { notes: { id: number }[] };
    };
    ids.note = res._embedded.notes[0]!.id;
    const list = (await amo.note.getNotesByEntityId(ids.lead!, 'leads')) as { _embedded: { notes: { id: number }[] } };
    expect(list._embedded.notes.map((n) => n.id)).toContain(ids.note);
    const one = (await amo.note.getNotesById(ids.note, 'leads')) as { id: number; params: { text: string } };
    expect(one).toMatchObject({ id: ids.note, params: { text: 'совместимость' } });
  }));

  it(...calls.it('events filtered by type and entity', async () => {
    const res = (await amo.event.getEvents({
      filter: ((f: { multi(k: string, v: unknown[]): unknown; single(k: string, v: unknown): unknown }) => {
        f.multi('type', ['lead_status_changed']);
        f.single('entity', 'lead');
        return f.multi('entity_id', [ids.lead!]);
      }) as never,
    })) as { _embedded: { events: { type: string; entity_id: number }[] } };
    expect(res._embedded.events.length).toBeGreaterThan(0);
    expect(res._embedded.events.every((e) => e.type === 'lead_status_changed' && e.entity_id === ids.lead)).toBe(true);
  }));

  it(...calls.it('unsorted form lead, accepted by uid', async () => {
    const res = (await amo.unsorted.addUnsortedForm([
      {
        source_uid: 'compat-form',
        source_name: 'Compat',
        metadata: { form_id: 'f1', form_name: 'Форма', form_page: 'https://example.com', form_sent_at: Math.floor(Date.now() / 1000), ip: '127.0.0.1' },
        _embedded: { leads: [{ name: 'Unsorted compat' }], contacts: [{ name: 'Неразобранный' }] },
      },
    ] as never)) as { _embedded: { unsorted: { uid: string }[] } };
    const uid = res._embedded.unsorted[0]!.uid;
    const accepted = (await amo.unsorted.acceptUnsortedByUid(uid, { status_id: ids.status! } as never)) as { uid: string };
    expect(accepted.uid).toBe(uid);
  }));

  it(...calls.it('webhooks: add, list by destination, delete', async () => {
    const destination = 'https://example.com/compat-hook';
    await amo.webhook.addWebhook({ destination, settings: ['add_lead', 'status_lead'] } as never);
    const list = (await amo.webhook.getWebhooks({ filter: ((f: { single(k: string, v: string): unknown }) => f.single('destination', destination)) as never })) as {
      _embedded: { webhooks: { destination: string }[] };
    };
    expect(list._embedded.webhooks.map((w) => w.destination)).toEqual([destination]);
    await amo.webhook.deleteWebhook({ destination } as never);
  }));

  it(...calls.it('a validation error reaches the ApiError path with parsed validation-errors', async () => {
    const e = await errorOf(amo.lead.addLeads([{ name: 'bad', price: 'not a number' }] as never));
    expect(e.message).toMatch(/^400/);
    expect(JSON.stringify(e.response)).toContain('validation-errors');
  }));

  it(...calls.it('a bad token reaches the ApiError path with a 401', async () => {
    const stranger = new Amo(
      host,
      { token_type: 'Bearer', expires_in: 86400, access_token: 'not-a-token', refresh_token: 'x', expires_at: Date.now() + 86_400_000, client_id: DEFAULT_CLIENT_ID, client_secret: DEFAULT_CLIENT_SECRET, redirect_uri: DEFAULT_REDIRECT_URI },
      { request_delay: 0 },
    );
    const e = await errorOf(stranger.account.getAccount());
    expect(e.message).toMatch(/^401/);
    expect(e.response).toBeDefined();
  }));

  it(...calls.it('refresh on expiry rotates the pair; a spent refresh token is an AuthError "Token has been revoked"', async () => {
    const spent = tokens.at(-1)!.refresh_token;
    const expired = new Amo(
      host,
      { ...(tokens.at(-1) as never as object), expires_at: 0, client_id: DEFAULT_CLIENT_ID, client_secret: DEFAULT_CLIENT_SECRET, redirect_uri: DEFAULT_REDIRECT_URI } as never,
      { request_delay: 0, on_token: (t) => void tokens.push(t) },
    );
    await expired.account.getAccount();
    expect(tokens.at(-1)!.refresh_token).not.toBe(spent);
    const again = new Amo(
      host,
      { ...(tokens.at(-1) as never as object), refresh_token: spent, expires_at: 0, client_id: DEFAULT_CLIENT_ID, client_secret: DEFAULT_CLIENT_SECRET, redirect_uri: DEFAULT_REDIRECT_URI } as never,
      { request_delay: 0 },
    );
    const e = await errorOf(again.account.getAccount());
    expect(JSON.stringify(e.response)).toContain('Token has been revoked');
  }));
});

async function firstStatus(): Promise<number | undefined> {
  const lead = (await amo.lead.getLeadById(ids.lead2!)) as { status_id: number };
  return lead.status_id;
}
