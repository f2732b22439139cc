// Routing end to end against the emulator over real HTTP: the decision and its reason in GET /api/leads/:id and in
// the deal's note, sticky returning contacts, and the take-up deadline (reassigned once, with a task).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MANAGERS, MANAGER2_USER_ID, MANAGER_USER_ID } from '../amocrm-emulator/index.js';
import { startHarness, type Harness } from '../../test/delivery.js';
import { buildApp } from '../../test/app.js';
import { RoutingSectionSchema } from './config.js';
import { createRouting } from './service.js';

let h: Harness;
const [anna, boris] = DEMO_MANAGERS;
const ROUTING = {
  timezone: 'Europe/Moscow',
  managers: {
    anna: { user: anna.email },
    boris: { user: boris.name },
    one: { user: MANAGER_USER_ID },
    two: { user: MANAGER2_USER_ID, absent: [{ from: '2000-01-01', to: '2100-01-01' }] },
  },
  rules: [
    { name: 'google', match: { utm_source: 'google' }, pool: ['one', 'two'], fallback: { user: 'boris' } },
    { name: 'default', pool: ['anna', 'boris'], take_up_minutes: 30 },
  ],
};

beforeAll(async () => {
  h = await startHarness(buildApp, { routing: ROUTING, forms: { site: { title: 'Site' } } });
});
afterAll(async () => {
  await h?.close();
});

async function delivered(id: string): Promise<Record<string, any>> {
  return h.waitFor(async () => {
    const v = await h.lead(id);
    return v.status === 'delivered' ? v : undefined;
  });
}
const state = () => h.emu.control.state() as unknown as Record<'leads' | 'notes' | 'tasks' | 'pipelines', any[]>;
const deal = (amoLeadId: number) => state().leads.find((l) => l.id === amoLeadId);
const noteOf = (amoLeadId: number) => h.waitFor(() => state().notes.find((n: any) => n.entity_id === amoLeadId)?.params?.text as string | undefined);

describe('routing through delivery', () => {
  it('records the decision with its reason: in GET /api/leads/:id and in the deal note', async () => {
    const a = await h.submit({ form: 'site', name: 'Alice', phone: '+7 900 100-00-01', utm_source: 'google' });
    const v = await delivered(a.id);
    // "two" is absent, so the google rule gives the lead to "one"; the skip is recorded.
    expect(v.routing).toMatchObject({
      rule: 'google',
      strategy: 'round_robin',
      outcome: 'assigned',
      user_id: MANAGER_USER_ID,
      manager: 'one',
      manager_name: 'Manager One',
      skipped: [{ manager: 'two', user_id: MANAGER2_USER_ID, name: 'Manager Two', reason: 'absent', as: 'pool' }],
    });
    expect(v.responsible_user_id).toBe(MANAGER_USER_ID);
    expect(deal(v.amo_lead_id).responsible_user_id).toBe(MANAGER_USER_ID);
    expect(await noteOf(v.amo_lead_id)).toContain('Назначен: Manager One по правилу «google» (по очереди)');

    const b = await h.submit({ form: 'site', name: 'Bob', phone: '+7 900 100-00-02', utm_source: 'google' });
    const w = await delivered(b.id);
    expect(w.routing).toMatchObject({ rule: 'google', user_id: MANAGER_USER_ID });
    expect(await noteOf(w.amo_lead_id)).toContain('Пропущены: Manager Two — отсутствует');
  });

  it('resolves managers by email and by name through GET /api/v4/users; a returning contact goes to its manager', async () => {
    const first = await delivered((await h.submit({ form: 'site', name: 'Carol', phone: '+7 900 200-00-01' })).id);
    const second = await delivered((await h.submit({ form: 'site', name: 'Dan', phone: '+7 900 200-00-02' })).id);
    expect([first.routing.user_id, second.routing.user_id]).toEqual([anna.id, boris.id]);
    // Carol again (same phone): her manager, not the next in the rotation.
    const again = await delivered((await h.submit({ form: 'site', name: 'Carol', phone: '+79002000001', message: 'ещё вопрос' })).id);
    expect(again.routing).toMatchObject({ outcome: 'sticky', user_id: anna.id, reason: 'returning contact: their manager' });
    expect(await noteOf(again.amo_lead_id)).toContain('повторное обращение');
    const next = await delivered((await h.submit({ form: 'site', name: 'Eve', phone: '+7 900 200-00-03' })).id);
    expect(next.routing.user_id).toBe(anna.id); // the sticky lead did not take Anna's turn
  });

  it('counts decisions in /metrics', async () => {
    const text = await h.metrics.metrics();
    expect(text).toMatch(/leadbridge_routing_decisions_total\{rule="google",outcome="assigned",manager="one"\} 2/);
    expect(text).toMatch(/leadbridge_routing_skipped_total\{reason="absent"\} 2/);
  });
});

describe('take-up deadline', () => {
  it('a deal still in its first stage after the deadline is reassigned once, with a task for the new manager', async () => {
    const v = await delivered((await h.submit({ form: 'site', name: 'Fay', phone: '+7 900 300-00-01' })).id);
    const moved = await delivered((await h.submit({ form: 'site', name: 'Gus', phone: '+7 900 300-00-02' })).id);
    expect(v.routing.take_up).toMatchObject({ state: 'pending' });
    const firstStage = new Map([v, moved].map((x) => [x.amo_lead_id as number, deal(x.amo_lead_id).status_id as number]));
    // A manager takes Gus's deal into work (moves it to the next stage) before the deadline.
    const gus = deal(moved.amo_lead_id);
    const next = state().pipelines.find((p: any) => p.id === gus.pipeline_id)._embedded.statuses.find((s: any) => s.id !== gus.status_id && s.type === 0 && ![142, 143].includes(s.id));
    h.emu.control.moveLead(gus.id, gus.pipeline_id, next.id);

    let clock = Date.now() + 31 * 60_000;
    const byLead = new Map([v, moved].map((x) => [x.id as string, x.amo_lead_id as number]));
    // The synced deal as the webhook sync would hold it: its stage and manager as amoCRM reports them.
    const routing = createRouting({
      db: h.tdb.db,
      amo: h.amo,
      config: h.config.routing,
      metrics: h.metrics,
      now: () => clock,
      syncedDeal: async (leadId) => {
        const id = byLead.get(leadId);
        const d = id === undefined ? undefined : deal(id);
        if (!d) return null;
        return { amoLeadId: d.id, responsibleUserId: d.responsible_user_id, closed: [142, 143].includes(d.status_id), deleted: false, stagesSeen: d.status_id === firstStage.get(d.id) ? 1 : 2 };
      },
    });
    const result = await routing.takeUpOnce();
    expect(result).toMatchObject({ reassigned: 1, taken: 1 });
    const from = v.routing.user_id as number;
    const to = from === anna.id ? boris.id : anna.id;
    expect(deal(v.amo_lead_id).responsible_user_id).toBe(to);
    expect(deal(moved.amo_lead_id).responsible_user_id).toBe(moved.routing.user_id);
    const tasks = state().tasks.filter((t: any) => t.entity_id === v.amo_lead_id);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ responsible_user_id: to, entity_type: 'leads' });
    expect(tasks[0].text).toContain('не взял его в работу за 30 мин');
    const after = await h.lead(v.id);
    expect(after.routing).toMatchObject({ user_id: to, take_up: { state: 'reassigned' } });
    expect(after.routing.reassignments).toEqual([expect.objectContaining({ from, to, reason: 'still in its first stage 30 min after assignment', task_id: tasks[0].id })]);
    expect((await h.lead(moved.id)).routing.take_up.state).toBe('taken');

    // Once per deadline: later runs leave it alone.
    clock += 60 * 60_000;
    expect(await routing.takeUpOnce()).toMatchObject({ reassigned: 0, taken: 0 }); // only the unsynced deals of other tests are looked at
    expect(state().tasks.filter((t: any) => t.entity_id === v.amo_lead_id)).toHaveLength(1);
    expect(await h.metrics.metrics()).toMatch(/leadbridge_routing_reassigned_total\{rule="default"\} 1/);
  });
});

describe('doctor checks', () => {
  it('every configured manager exists and is active in amoCRM', async () => {
    const config = RoutingSectionSchema.parse({ managers: { anna: { user: anna.email }, gleb: { user: 'gleb@demo.example' }, ghost: { user: 'ghost@demo.example' }, one: MANAGER_USER_ID }, rules: [{ name: 'r', pool: ['anna', 'gleb', 'ghost', 'one'] }] });
    const checks = await createRouting({ db: h.tdb.db, amo: h.amo, config }).checks();
    expect(checks.map((c) => [c.name, c.ok, c.detail])).toEqual([
      ['routing manager anna', true, `Анна Смирнова (#${anna.id}) active`],
      ['routing manager gleb', false, 'Глеб Орлов (#8000007) is deactivated in amoCRM'],
      ['routing manager ghost', false, '"ghost@demo.example" is not an amoCRM user'],
      ['routing manager one', true, `Manager One (#${MANAGER_USER_ID}) active`],
    ]);
    expect(checks.filter((c) => !c.ok).every((c) => (c.fix ?? '').length > 0)).toBe(true);
  });
});
