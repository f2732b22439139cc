// Renders a step for one enrolment: Mustache over lead, deal, form and manager variables. Text and subjects are
// not HTML-escaped; HTML bodies are. The unsubscribe link is appended when a template does not place it.
import Mustache from 'mustache';
import type { EnrolmentVars } from '../db/index.js';
import type { CompiledStep, Sequence } from './sequences.js';

export interface RenderContext {
  vars: EnrolmentVars;
  leadId: string | null;
  deal: { id: number | null; pipelineId: number | null; statusId: number | null };
  manager: { id: number | null; name: string | null };
  unsubscribeUrl: string;
  sequence: Sequence;
}

export type Rendered =
  | { kind: 'email'; subject: string; text: string; html?: string }
  | { kind: 'whatsapp'; template?: { name: string; language: string; params: string[] }; text?: string }
  | { kind: 'task'; text: string };

export function view(ctx: RenderContext): Record<string, unknown> {
  const v = ctx.vars;
  const name = v.name ?? '';
  const lead = { id: ctx.leadId, name, first_name: name.split(/\s+/)[0] ?? '', email: v.email ?? '', phone: v.phone ?? '', ...v.fields };
  return {
    lead,
    name,
    first_name: lead.first_name,
    form: { key: v.form ?? '', title: v.formTitle ?? v.form ?? '' },
    deal: { id: ctx.deal.id, pipeline_id: ctx.deal.pipelineId, status_id: ctx.deal.statusId },
    manager: { id: ctx.manager.id, name: ctx.manager.name ?? '' },
    sequence: { key: ctx.sequence.key, title: ctx.sequence.title },
    unsubscribe_url: ctx.unsubscribeUrl,
  };
}

const plain = (t: string, data: Record<string, unknown>) => Mustache.render(t, data, {}, { escape: (s: string) => s });

export function renderStep(step: CompiledStep, ctx: RenderContext): Rendered {
  const data = view(ctx);
  switch (step.kind) {
    case 'email': {
      let text = plain(step.text, data);
      if (!step.text.includes('unsubscribe_url')) text += `\n\n--\nUnsubscribe / Отписаться: ${ctx.unsubscribeUrl}\n`;
      const out: Rendered = { kind: 'email', subject: plain(step.subject, data).replace(/[\r\n]+/g, ' ').trim(), text };
      if (step.html !== undefined) {
        let html = Mustache.render(step.html, data);
        if (!step.html.includes('unsubscribe_url')) {
          const link = `<p style="font-size:12px;color:#888"><a href="${Mustache.escape(ctx.unsubscribeUrl)}">Unsubscribe / Отписаться</a></p>`;
          html = html.includes('</body>') ? html.replace('</body>', `${link}</body>`) : html + link;
        }
        out.html = html;
      }
      return out;
    }
    case 'whatsapp':
      if (step.template) return { kind: 'whatsapp', template: { ...step.template, params: step.template.params.map((p) => plain(p, data)) } };
      return { kind: 'whatsapp', text: plain(step.text ?? '', data) };
    case 'task':
      return { kind: 'task', text: plain(step.text, data) };
    default:
      throw new Error(`step kind ${step.kind} renders nothing`);
  }
}
