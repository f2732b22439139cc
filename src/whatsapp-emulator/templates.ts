// The template registry (fact sheet §3) and the checks Meta applies to a template send (§1.2, §5.2):
// unknown name/language or not APPROVED → 132001, PAUSED → 132015, DISABLED → 132016, named/positional mix-up →
// 132012, wrong body parameter count → 132000.

export interface Template {
  name: string;
  language: string;
  category: 'MARKETING' | 'UTILITY' | 'AUTHENTICATION';
  status: 'APPROVED' | 'PENDING' | 'REJECTED' | 'PAUSED' | 'DISABLED';
  parameterFormat?: 'positional' | 'named';
  /** The body text with {{1}}, {{2}} (positional) or {{first_name}} (named). */
  body: string;
}

export const DEFAULT_TEMPLATES: Template[] = [
  { name: 'hello_world', language: 'en_US', category: 'UTILITY', status: 'APPROVED', body: 'Hello World' },
  { name: 'lead_welcome', language: 'ru', category: 'MARKETING', status: 'APPROVED', body: 'Здравствуйте, {{1}}! Спасибо за заявку. Мы свяжемся с вами в ближайшее время.' },
  { name: 'lead_welcome', language: 'en', category: 'MARKETING', status: 'APPROVED', body: 'Hello {{1}}! Thank you for your request. We will contact you shortly.' },
  { name: 'lead_reminder', language: 'ru', category: 'MARKETING', status: 'APPROVED', body: '{{1}}, напоминаем о вашей заявке: {{2}}. Ответьте на это сообщение, если удобно поговорить.' },
  { name: 'trial_invite', language: 'ru', category: 'MARKETING', status: 'APPROVED', body: '{{1}}, приглашаем вас на пробную тренировку в {{2}}!' },
  { name: 'lead_named', language: 'ru', category: 'MARKETING', status: 'APPROVED', parameterFormat: 'named', body: 'Здравствуйте, {{first_name}}!' },
  { name: 'paused_offer', language: 'ru', category: 'MARKETING', status: 'PAUSED', body: 'Скидка {{1}}' },
  { name: 'pending_offer', language: 'ru', category: 'MARKETING', status: 'PENDING', body: 'Скидка {{1}}' },
];

/** The placeholders of a body: ['1', '2'] or ['first_name']. */
export function placeholders(body: string): string[] {
  return [...new Set([...body.matchAll(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g)].map((m) => m[1]!))];
}

export interface TemplateCheck {
  ok: boolean;
  code?: number;
  title?: string;
  details?: string;
  params?: string[];
  rendered?: string;
}

interface SentParam {
  type?: string;
  text?: string;
  parameter_name?: string;
}

export function checkTemplate(registry: Template[], sent: { name?: unknown; language?: { code?: unknown }; components?: unknown }): TemplateCheck {
  const name = typeof sent.name === 'string' ? sent.name : '';
  const lang = typeof sent.language?.code === 'string' ? sent.language.code : '';
  const t = registry.find((x) => x.name === name && x.language === lang);
  if (!t || t.status === 'PENDING' || t.status === 'REJECTED') {
    return { ok: false, code: 132001, title: 'Template name does not exist in the translation', details: `template name (${name}) does not exist in ${lang}` };
  }
  if (t.status === 'PAUSED') return { ok: false, code: 132015, title: 'Template is Paused', details: `template ${name} is paused due to low quality` };
  if (t.status === 'DISABLED') return { ok: false, code: 132016, title: 'Template is Disabled', details: `template ${name} is disabled` };
  const components = Array.isArray(sent.components) ? (sent.components as { type?: string; parameters?: SentParam[] }[]) : [];
  const bodyParams = components.filter((c) => c?.type === 'body').flatMap((c) => (Array.isArray(c.parameters) ? c.parameters : []));
  const expected = placeholders(t.body);
  const named = t.parameterFormat === 'named';
  if (bodyParams.some((p) => (p.parameter_name !== undefined) !== named)) {
    return { ok: false, code: 132012, title: 'Parameter format does not match format in the created template', details: `template ${name} uses ${named ? 'named' : 'positional'} parameters` };
  }
  if (bodyParams.length !== expected.length || bodyParams.some((p) => p.type !== 'text' || typeof p.text !== 'string')) {
    return {
      ok: false,
      code: 132000,
      title: 'Number of parameters does not match the expected number of params',
      details: `body: number of localizable_params (${bodyParams.length}) does not match the expected number of params (${expected.length})`,
    };
  }
  const values = named ? Object.fromEntries(bodyParams.map((p) => [p.parameter_name!, p.text!])) : Object.fromEntries(bodyParams.map((p, i) => [String(i + 1), p.text!]));
  if (named && expected.some((k) => !(k in values))) {
    return { ok: false, code: 132000, title: 'Number of parameters does not match the expected number of params', details: 'named parameters do not match the template' };
  }
  const rendered = t.body.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (_m, k: string) => values[k] ?? '');
  return { ok: true, params: bodyParams.map((p) => p.text!), rendered };
}
