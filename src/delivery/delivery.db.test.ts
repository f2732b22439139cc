// Delivery through the HTTP API into the amoCRM emulator over real HTTP: deal + contact + fields + note,
// phone dedup across formats and resubmits, and the timeline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANAGER2_USER_ID, MANAGER_USER_ID } from '../amocrm-emulator/index.js';
import { buildApp } from '../../test/app.js';
import { startHarness, waitDelivered, type Harness } from '../../test/delivery.js';

let h: Harness;

const fieldId = (name: string): number => {
  const f = (h.emu.control.state().custom_fields as { id: number; name: string }[]).find((x) => x.name === name);
  if (!f) throw new Error(`no field ${name}`);
  return f.id;
};
const cf = (entity: { custom_fields_values: any[] | null }, codeOrId: string | number) =>
  (entity.custom_fields_values ?? []).find((f) => f.field_code === codeOrId || f.field_id === codeOrId)?.values.map((v: any) => v.value);

beforeAll(async () => {
  h = await startHarness(buildApp, { routingUsers: [MANAGER_USER_ID, MANAGER2_USER_ID], forms: { site: { title: 'Site', dealName: 'Request: {{name}} ({{direction}})', tags: ['site', 'landing'] } } });
  // Map form values to the account's fields (by id, as in the seed guides, and by code).
  h.config.forms.site!.fields = {
    direction: { entity: 'leads', field: fieldId('Источник'), enums: { yoga: 'Сайт' } },
    comment: { entity: 'leads', field: fieldId('Комментарий') },
    position: { entity: 'contacts', field: 'POSITION' },
  };
  h.config.forms.site!.extraFields = ['direction', 'comment', 'position'];
});
afterAll(async () => {
  await h?.close();
});

describe('delivery', () => {
  it('turns a lead into a contact + deal with every mapped field, UTM tracking fields, tags, the marker and a note', async () => {
    const { id } = await h.submit({
      form: 'site',
      name: 'Anna Petrova',
      phone: '+7 912 000-11-22',
      email: 'Anna@Example.com',
      message: 'Call me after 6',
      utm_source: 'google',
      utm_medium: 'cpc',
      utm_campaign: 'spring',
      utm_content: 'banner',
      utm_term: 'yoga studio',
      extra: { direction: 'yoga', comment: 'Evening group', position: 'CTO' },
    });
    const [view] = await waitDelivered(h, [id]);
    expect(view).toMatchObject({ status: 'delivered', attempts: 0, last_error: null, responsible_user_id: MANAGER_USER_ID });
    const state = h.emuState();
    const deal = state.leads.find((l) => l.id === view!.amo_lead_id);
    expect(deal).toBeDefined();
    expect(deal.name).toBe('Request: Anna Petrova (yoga)');
    expect(deal.responsible_user_id).toBe(MANAGER_USER_ID);
    expect(cf(deal, 'UTM_SOURCE')).toEqual(['google']);
    expect(cf(deal, 'UTM_MEDIUM')).toEqual(['cpc']);
    expect(cf(deal, 'UTM_CAMPAIGN')).toEqual(['spring']);
    expect(cf(deal, 'UTM_CONTENT')).toEqual(['banner']);
    expect(cf(deal, 'UTM_TERM')).toEqual(['yoga studio']);
    expect(cf(deal, fieldId('Источник'))).toEqual(['Сайт']);
    expect(cf(deal, fieldId('Комментарий'))).toEqual(['Evening group']);
    expect(cf(deal, 'LEADBRIDGE_ID')).toEqual([id]);
    expect(deal._embedded.tags.map((t: any) => t.name).sort()).toEqual(['landing', 'site']);
    const contact = state.contacts.find((c) => c.id === view!.amo_contact_id);
    expect(contact.name).toBe('Anna Petrova');
    expect(cf(contact, 'PHONE')).toEqual(['+79120001122']);
    expect(cf(contact, 'EMAIL')).toEqual(['anna@example.com']);
    expect(cf(contact, 'POSITION')).toEqual(['CTO']);
    expect(deal._embedded.contacts).toEqual([expect.objectContaining({ id: contact.id, is_main: true })]);

    const note = await h.waitFor(() => h.emuState().notes.find((n: any) => n.entity_id === deal.id));
    expect(note.note_type).toBe('common');
    expect(note.params.text).toContain('Заявка с формы «Site» (site)');
    expect(note.params.text).toContain('Сообщение: Call me after 6');
    expect(note.params.text).toContain('Источник (utm_source): google');
    const timeline = await h.waitFor(async () => {
      const v = await h.lead(id);
      return v.timeline.some((e: any) => e.type === 'note_added') ? v.timeline : undefined;
    });
    expect(timeline.map((e: any) => e.type)).toEqual(['received', 'claimed', 'delivered', 'note_added']);
    expect(timeline[2].detail).toMatchObject({ amo_lead_id: deal.id, amo_contact_id: contact.id, contact: 'created' });
  });

  it('links one contact for one phone written three ways; a resubmit of the same key makes no second deal', async () => {
    const a = await h.submit({ form: 'site', name: 'Ivan', phone: '+7 912 345 67 89' });
    await waitDelivered(h, [a.id]);
    const b = await h.submit({ form: 'site', name: 'Ivan', phone: '8 (912) 345-67-89' }, { 'idempotency-key': 'ivan-2' });
    const c = await h.submit({ form: 'site', name: 'Ivan', phone: '79123456789' }, { 'idempotency-key': 'ivan-2' });
    expect(c).toEqual({ status: 200, id: b.id });
    const views = await waitDelivered(h, [a.id, b.id]);
    const state = h.emuState();
    const ivans = state.contacts.filter((x) => (cf(x, 'PHONE') ?? []).includes('+79123456789'));
    expect(ivans).toHaveLength(1);
    expect(views.map((v) => v.amo_contact_id)).toEqual([ivans[0].id, ivans[0].id]);
    const deals = state.leads.filter((l) => l.id === views[0]!.amo_lead_id || l.id === views[1]!.amo_lead_id);
    expect(new Set(deals.map((d) => d.id)).size).toBe(2);
    expect(views[1]!.timeline.find((e: any) => e.type === 'delivered').detail.contact).toBe('linked');
    // Routing's sticky rule: the returning contact keeps the manager its first lead got.
    expect(views.map((v) => v.responsible_user_id)).toEqual([MANAGER2_USER_ID, MANAGER2_USER_ID]);
  });

  it('never creates two contacts for one phone or email, inside a batch or across concurrent batches', async () => {
    await h.delivery.stop();
    const ids = [];
    for (const [i, phone] of ['+7 913 111 22 33', '8 913 111-22-33', '+7 (913) 111 22 33'].entries()) {
      ids.push((await h.submit({ form: 'site', name: `Twin ${i}`, phone })).id);
    }
    ids.push((await h.submit({ form: 'site', name: 'Mail twin', email: 'twin@example.com' })).id);
    ids.push((await h.submit({ form: 'site', name: 'Mail twin 2', email: 'TWIN@example.com' })).id);
    h.delivery.start();
    const views = await waitDelivered(h, ids);
    const state = h.emuState();
    expect(state.contacts.filter((x) => (cf(x, 'PHONE') ?? []).includes('+79131112233'))).toHaveLength(1);
    expect(state.contacts.filter((x) => (cf(x, 'EMAIL') ?? []).includes('twin@example.com'))).toHaveLength(1);
    expect(new Set(views.slice(0, 3).map((v) => v.amo_contact_id)).size).toBe(1);
    expect(new Set(views.map((v) => v.amo_lead_id)).size).toBe(5);
  });

  it('finds a contact that already exists in amoCRM by searching (lookup mode search)', async () => {
    const [existing] = await h.amo.contacts.create([{ name: 'Old client', custom_fields_values: [{ field_code: 'PHONE', values: [{ value: '8 (914) 555-44-33', enum_code: 'MOB' }] }] }]);
    const { id } = await h.submit({ form: 'site', name: 'Old client again', phone: '+79145554433' });
    const [view] = await waitDelivered(h, [id]);
    expect(view!.amo_contact_id).toBe(existing!.id);
  });

  it('sends a resubmitted lead once', async () => {
    const first = await h.submit({ form: 'site', name: 'Once', phone: '+7 915 000 00 01', idempotency_key: 'once-1' });
    const again = await h.submit({ form: 'site', name: 'Once', phone: '+7 915 000 00 01', idempotency_key: 'once-1' });
    expect(again.id).toBe(first.id);
    const [view] = await waitDelivered(h, [first.id]);
    const deals = h.emuState().leads.filter((l) => (cf(l, 'LEADBRIDGE_ID') ?? []).includes(first.id));
    expect(deals.map((d) => d.id)).toEqual([view!.amo_lead_id]);
  });

  it('exposes delivery metrics on the shared registry', async () => {
    const text = await h.metrics.metrics();
    expect(text).toMatch(/leadbridge_delivery_delivered_total\{mode="complex",contact="created"\} \d+/);
    expect(text).toContain('leadbridge_delivery_submit_to_deal_seconds_bucket');
    expect(text).toContain('leadbridge_delivery_batch_size_bucket');
  });
});
