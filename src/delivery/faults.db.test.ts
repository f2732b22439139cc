// Delivery under amoCRM trouble: outages, unknown outcomes (timeout / dropped connection after the deal was created),
// validation errors on one lead of a batch, dead leads and replay, holds, the tag marker, incoming (unsorted) mode.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../test/app.js';
import { startHarness, waitDelivered, type Harness } from '../../test/delivery.js';

const COMPLEX = '/api/v4/leads/complex';
const marked = (h: Harness, id: string) =>
  h.emuState().leads.filter(
    (l) =>
      (l.custom_fields_values ?? []).some((f: any) => f.field_code === 'LEADBRIDGE_ID' && f.values.some((v: any) => v.value === id)) ||
      l._embedded.tags.some((t: any) => t.name === `lb-${id}`),
  );
const types = (view: Record<string, any>): string[] => view.timeline.map((e: any) => e.type);

describe('with the LEADBRIDGE_ID field', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(buildApp, { amoTimeoutMs: 1000, maxAttempts: 3, delivery: { maxHoldMs: 300, concurrency: 1 }, forms: { site: {} } });
  });
  afterEach(() => h.emu.control.clearFaults());
  afterAll(async () => {
    await h?.close();
  });

  it('delivers everything once amoCRM recovers from an outage (503s)', async () => {
    // One batch (one lane; submitted while the worker is stopped): the first attempt exhausts the client's 2 retries.
    await h.delivery.stop();
    h.emu.control.addFault({ method: 'POST', path: COMPLEX, status: 503, count: 4 });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await h.submit({ form: 'site', name: `Outage ${i}`, phone: `+7 916 000 00 1${i}` })).id);
    h.delivery.start();
    const views = await waitDelivered(h, ids);
    expect(h.emuState().calls.filter((c) => c.path === COMPLEX && c.status === 503)).toHaveLength(4);
    for (const id of ids) expect(marked(h, id)).toHaveLength(1);
    expect(views.some((v) => types(v).includes('attempt_failed'))).toBe(true);
    const failed = views.flatMap((v) => v.timeline).find((e: any) => e.type === 'attempt_failed');
    expect(failed.detail).toMatchObject({ kind: 'transient', reason: 'server_503', status: 503 });
  });

  it('creates one deal when the answer times out after amoCRM created it', async () => {
    h.emu.control.addFault({ method: 'POST', path: COMPLEX, when: 'after', delayMs: 2500 });
    const { id } = await h.submit({ form: 'site', name: 'Slow', phone: '+7 916 000 00 20' });
    const [view] = await waitDelivered(h, [id]);
    expect(marked(h, id)).toHaveLength(1);
    const failed = view!.timeline.find((e: any) => e.type === 'attempt_failed');
    expect(failed.detail).toMatchObject({ reason: 'timeout' });
    expect(view!.timeline.find((e: any) => e.type === 'delivered').detail).toMatchObject({ recovered: true, amo_lead_id: marked(h, id)[0].id });
  });

  it('creates one deal when the connection drops after amoCRM created it', async () => {
    h.emu.control.addFault({ method: 'POST', path: COMPLEX, when: 'after', drop: true });
    const { id } = await h.submit({ form: 'site', name: 'Dropped', phone: '+7 916 000 00 21' });
    const [view] = await waitDelivered(h, [id]);
    expect(marked(h, id)).toHaveLength(1);
    expect(view!.amo_lead_id).toBe(marked(h, id)[0].id);
  });

  it('fails only the lead amoCRM rejects and delivers the rest of its batch', async () => {
    const select = (h.emu.control.state().custom_fields as { id: number; name: string }[]).find((f) => f.name === 'Источник')!;
    h.config.forms.site!.fields = { direction: { entity: 'leads', field: select.id } };
    h.config.forms.site!.extraFields = ['direction'];
    await h.delivery.stop();
    const good1 = await h.submit({ form: 'site', name: 'Good 1', phone: '+7 916 000 00 31', extra: { direction: 'Сайт' } });
    const bad = await h.submit({ form: 'site', name: 'Bad', phone: '+7 916 000 00 32', extra: { direction: 'Telepathy' } });
    const good2 = await h.submit({ form: 'site', name: 'Good 2', phone: '+7 916 000 00 33', extra: { direction: 'Звонок' } });
    h.delivery.start();
    await waitDelivered(h, [good1.id, good2.id]);
    const view = await h.waitFor(async () => {
      const v = await h.lead(bad.id);
      return v.status === 'failed' ? v : undefined;
    });
    expect(view.attempts).toBe(1);
    expect(view.last_error).toMatchObject({ kind: 'permanent', reason: 'validation', status: 400 });
    expect(view.last_error.errors).toEqual([expect.objectContaining({ code: 'NotSupportedChoice', path: expect.stringContaining('custom_fields_values.0.values.0') })]);
    expect(types(view)).toEqual(['received', 'claimed', 'attempt_failed', 'failed']);
    expect(marked(h, bad.id)).toHaveLength(0);
    h.config.forms.site!.fields = {};
  });

  it('marks a lead dead after max_attempts and replays it from the admin endpoint', async () => {
    h.emu.control.addFault({ method: 'POST', path: COMPLEX, status: 500, count: 1000 });
    const { id } = await h.submit({ form: 'site', name: 'Doomed', phone: '+7 916 000 00 40' });
    const dead = await h.waitFor(async () => {
      const v = await h.lead(id);
      return v.status === 'dead' ? v : undefined;
    });
    expect(dead.attempts).toBe(3);
    expect(types(dead).filter((t) => t === 'attempt_failed')).toHaveLength(3);
    expect(types(dead)).toContain('dead');
    h.emu.control.clearFaults();
    const res = await h.admin('POST', '/api/admin/leads/replay');
    expect(res).toMatchObject({ status: 200, json: { count: 1, replayed: [id] } });
    const [view] = await waitDelivered(h, [id]);
    expect(types(view!)).toContain('replayed');
    // 500s may have been applied: the replay looked the deal up first and nothing was duplicated.
    expect(marked(h, id)).toHaveLength(1);
    const again = await h.admin('POST', `/api/admin/leads/${id}/replay`);
    expect(again).toMatchObject({ status: 409, json: { code: 'LEAD_NOT_REPLAYABLE' } });
  });

  it('answers replays of unknown leads with 404, bad filters with 400, and strangers with 401 first', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      expect(await h.admin('POST', `/api/admin/leads/${id}/replay`)).toMatchObject({ status: 404, json: { code: 'LEAD_NOT_FOUND' } });
    }
    const bad = await h.admin('POST', '/api/admin/leads/replay?status=weird');
    expect(bad).toMatchObject({ status: 400, json: { code: 'BAD_REQUEST' } });
    expect(bad.json.errors).toEqual([expect.objectContaining({ field: 'status', code: 'INVALID_VALUE' })]);
    const stranger = await h.app.inject({ method: 'POST', url: '/api/admin/leads/replay?status=weird' });
    expect(stranger.statusCode).toBe(401);
  });

  it('holds deliveries while amoCRM wants payment, without burning attempts, and resumes', async () => {
    h.emu.control.setPaymentRequired(true);
    const { id } = await h.submit({ form: 'site', name: 'Unpaid', phone: '+7 916 000 00 50' });
    const held = await h.waitFor(async () => {
      const v = await h.lead(id);
      return v.status === 'held' ? v : undefined;
    });
    expect(held.attempts).toBe(0);
    expect(held.last_error).toMatchObject({ kind: 'hold', reason: 'payment_required' });
    h.emu.control.setPaymentRequired(false);
    const [view] = await waitDelivered(h, [id]);
    expect(view!.attempts).toBe(0);
  });

  it('pauses through deliveryPaused(reason) and resumes with null', async () => {
    h.delivery.deliveryPaused('reconnect_required');
    const { id } = await h.submit({ form: 'site', name: 'Paused', phone: '+7 916 000 00 60' });
    await new Promise((r) => setTimeout(r, 400));
    expect((await h.lead(id)).status).toBe('pending');
    expect(await h.delivery.health()).toMatchObject({ ok: false, paused: 'reconnect_required' });
    h.delivery.deliveryPaused(null);
    await waitDelivered(h, [id]);
  });
});

describe('without the LEADBRIDGE_ID field, in incoming (unsorted) mode', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(buildApp, { markerField: false, amoTimeoutMs: 1000, forms: { inbox: { title: 'Inbox form', mode: 'unsorted' } } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('marks the deal with an lb-<id> tag and finds it by that tag after a timeout', async () => {
    h.emu.control.addFault({ method: 'POST', path: COMPLEX, when: 'after', delayMs: 2500 });
    const { id } = await h.submit({ form: 'inbox', name: 'Tagged', phone: '+7 917 000 00 01', landing_page: 'https://example.com/promo', referrer: 'https://google.com/' });
    const [view] = await waitDelivered(h, [id]);
    const deals = marked(h, id);
    expect(deals).toHaveLength(1);
    expect(deals[0].is_unsorted).toBe(true);
    expect(view!.amo_lead_id).toBe(deals[0].id);
    expect(view!.timeline.find((e: any) => e.type === 'delivered').detail).toMatchObject({ recovered: true });
    const unsorted = (h.emu.control.state().unsorted as any[]).find((u) => u.metadata?.form_id === 'inbox');
    expect(unsorted.metadata).toMatchObject({ category: 'forms', form_name: 'Inbox form', form_page: 'https://example.com/promo', referer: 'https://google.com/' });
    expect((await h.delivery.health()).marker).toBe('tag');
  });
});

describe('stopping while an amoCRM call hangs', () => {
  let h: Harness;
  beforeAll(async () => {
    // A request timeout far longer than the stop grace period, so only the abort can end the call early.
    h = await startHarness(buildApp, { amoTimeoutMs: 20_000, delivery: { concurrency: 1, stopGraceMs: 200 }, forms: { site: {} } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('aborts the call after the grace period instead of waiting; after a restart the lead is one deal', async () => {
    h.emu.control.addFault({ method: 'POST', path: COMPLEX, when: 'after', delayMs: 10_000 });
    const { id } = await h.submit({ form: 'site', name: 'Shutdown', phone: '+7 916 000 00 30' });
    // amoCRM has created the deal; its answer is held back for 10 s.
    await h.waitFor(async () => (marked(h, id).length === 1 ? true : undefined), 10_000);
    const outcome = await Promise.race([
      h.delivery.stop().then(() => 'stopped'),
      new Promise((resolve) => setTimeout(() => resolve('still waiting for amoCRM'), 5_000)),
    ]);
    expect(outcome).toBe('stopped');
    h.delivery.start();
    const [view] = await waitDelivered(h, [id]);
    expect(marked(h, id)).toHaveLength(1);
    expect(view!.timeline.find((e: any) => e.type === 'attempt_failed').detail).toMatchObject({ reason: 'aborted' });
    expect(view!.amo_lead_id).toBe(marked(h, id)[0].id);
  });
});
