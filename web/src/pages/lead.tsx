import { useState } from 'react';
import { get, post } from '../api.js';
import { DataTable, ErrorNote, useData } from '../components.js';
import { dateTime, duration, num } from '../format.js';
import { statusLabel, useI18n } from '../i18n.js';
import { Link } from '../router.js';
import { stageName, useCatalog } from '../catalog.js';

interface Detail {
  lead: Record<string, unknown> & { id: string; status: string; createdAt: number; formKey: string; attribution: Record<string, unknown>; consent: Record<string, unknown> | null };
  events: { at: number; type: string; detail: Record<string, unknown> }[];
  deal: (Record<string, unknown> & { amoLeadId: number; pipelineId: number | null; statusId: number | null; price: number | null; commission: number | null; responsibleUserId: number | null; isWon: boolean; isLost: boolean }) | null;
  stages: { pipelineId: number; statusId: number; enteredAt: number; leftAt: number | null; seconds: number; source: string }[];
  dealUrl: string | null;
  routing?: Record<string, unknown> | null;
  followups?: Followup[];
}

/** GET /api/leads/:id's `followups` (src/followups EnrolmentView), as the analytics lead page passes it on. */
interface Followup {
  id: string;
  sequence: string;
  status: 'active' | 'completed' | 'exited';
  exit_reason: string | null;
  steps: { index: number; channel: string; status: string; due_at: string; sent_at: string | null; message_id: string | null; reason: string | null }[];
}

const REPLAYABLE = ['failed', 'dead', 'held'];

function KV(props: { rows: [string, unknown][] }) {
  return (
    <dl className="kv">
      {props.rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v === null || v === undefined || v === '' ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd>
        </div>
      ))}
    </dl>
  );
}

export function LeadPage(props: { id: string; admin: boolean }) {
  const { t, lang } = useI18n();
  const catalog = useCatalog();
  const { data, error, reload } = useData(() => get<Detail>(`/api/analytics/leads/${props.id}`), [props.id]);
  const [note, setNote] = useState('');
  if (error) return <ErrorNote error={error} />;
  if (!data) return <p className="muted">{t.loading}</p>;
  const { lead, deal } = data;
  const attr = lead.attribution ?? {};
  const flat = Object.entries(attr).filter(([, v]) => typeof v !== 'object');
  const touches = Object.entries(attr).filter(([, v]) => v && typeof v === 'object') as [string, Record<string, unknown>][];
  const replay = async () => {
    await post(`/api/dashboard/leads/${lead.id}/replay`);
    setNote(t.replayed);
    reload();
  };
  return (
    <>
      <p>
        <Link to="/leads">{t.back}</Link>
      </p>
      <div className="grid2">
        <section className="card">
          <div className="card-head">
            <h2>
              {t.capture} <span className={`badge s-${lead.status}`}>{statusLabel(t, lead.status)}</span>
            </h2>
            {props.admin && REPLAYABLE.includes(lead.status) ? (
              <button className="button" onClick={replay} data-testid="lead-replay">
                {t.replay}
              </button>
            ) : null}
          </div>
          {note ? <p className="ok">{note}</p> : null}
          <KV
            rows={[
              ['id', lead.id],
              [t.created, dateTime(lang, lead.createdAt)],
              [t.form, lead.formKey],
              ...(props.admin ? ([[t.name, lead.name], [t.phone, lead.phone], [t.email, lead.email], [t.message, lead.message]] as [string, unknown][]) : []),
              ...flat,
              [t.consent, lead.consent ? `${lead.consent.given ? t.yes : t.no}${lead.consent.text_version ? ` (${String(lead.consent.text_version)})` : ''}` : '—'],
              [t.attempts, lead.attempts],
            ]}
          />
          {touches.map(([k, v]) => (
            <div key={k}>
              <h3>{k}</h3>
              <KV rows={Object.entries(v)} />
            </div>
          ))}
        </section>
        <section className="card">
          <div className="card-head">
            <h2>{t.deal}</h2>
            {data.dealUrl ? (
              <a className="button ghost" href={data.dealUrl} target="_blank" rel="noreferrer">
                {t.openInAmo}
              </a>
            ) : null}
          </div>
          {deal ? (
            <KV
              rows={[
                ['amoCRM id', deal.amoLeadId],
                [t.pipeline, catalog?.pipelines.find((p) => p.id === deal.pipelineId)?.name ?? deal.pipelineId],
                [t.stage, deal.pipelineId !== null && deal.statusId !== null ? stageName(catalog, deal.pipelineId, deal.statusId) : '—'],
                [t.manager, deal.responsibleUserId === null ? null : (catalog?.users[deal.responsibleUserId] ?? deal.responsibleUserId)],
                [t.price, num(lang, deal.price, 2)],
                [t.commission, num(lang, deal.commission, 2)],
              ]}
            />
          ) : (
            <p className="muted">{t.nothing}</p>
          )}
          <h3>{t.routing}</h3>
          {/* The decision routing stored with the lead (routing_decisions), as GET /api/leads/:id shows it. */}
          {data.routing ? (
            <div data-testid="routing-decision">
              {typeof data.routing.note === 'string' ? <p>{data.routing.note}</p> : null}
              <KV rows={Object.entries(data.routing).filter(([k, v]) => k !== 'note' && v !== null && !(Array.isArray(v) && v.length === 0))} />
            </div>
          ) : (
            <p className="muted">{t.nothing}</p>
          )}
          <h3>{t.followups}</h3>
          {!data.followups ? (
            <p className="muted">{t.followupsAbsent}</p>
          ) : data.followups.length === 0 ? (
            <p className="muted">{t.nothing}</p>
          ) : (
            <div data-testid="followups">
              {data.followups.map((f) => (
                <div key={f.id}>
                  <p>
                    <strong>{f.sequence}</strong> — {f.status}
                    {f.exit_reason ? ` (${f.exit_reason})` : ''}
                  </p>
                  <ul>
                    {f.steps.map((s) => (
                      <li key={s.index}>
                        {s.channel}: {s.status}, {dateTime(lang, Date.parse(s.sent_at ?? s.due_at))}
                        {s.reason ? ` — ${s.reason}` : ''}
                      </li>
                    ))}
                  </ul>
                </div>
              ))}
            </div>
          )}
        </section>
      </div>
      <DataTable
        title={t.stageHistory}
        testId="stage-history"
        rows={data.stages}
        rowKey={(s) => `${s.enteredAt}-${s.statusId}`}
        columns={[
          { key: 'stage', title: t.stage, render: (s) => stageName(catalog, s.pipelineId, s.statusId) },
          { key: 'from', title: t.from, render: (s) => dateTime(lang, s.enteredAt) },
          { key: 'to', title: t.to, render: (s) => dateTime(lang, s.leftAt) },
          { key: 'time', title: t.timeInStage, render: (s) => duration(lang, s.seconds), align: 'right' },
        ]}
      />
      <DataTable
        title={t.timeline}
        testId="lead-events"
        rows={data.events}
        rowKey={(e) => `${e.at}-${e.type}-${JSON.stringify(e.detail).length}`}
        columns={[
          { key: 'at', title: t.received, render: (e) => dateTime(lang, e.at) },
          { key: 'type', title: t.events, render: (e) => e.type },
          { key: 'detail', title: '', render: (e) => <code>{JSON.stringify(e.detail)}</code> },
        ]}
      />
    </>
  );
}
