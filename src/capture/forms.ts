// The public form definition the widget renders (GET /api/forms/:key): fields with ru/en labels, the consent text
// and its version, the button and messages, the honeypot name and the minimum fill time. Nothing secret is in it.
import type { FormConfig, LocalText, WidgetConfig, WidgetField } from '../config/index.js';

export interface PublicForm {
  key: string;
  title: LocalText;
  fields: WidgetField[];
  consent: { text: LocalText; version: string; url?: string; required: boolean } | null;
  button: LocalText;
  messages: { success: LocalText; error: LocalText; queued: LocalText };
  honeypot: string;
  min_fill_ms: number;
  submit_url: string;
}

export function publicForm(form: FormConfig, widget: WidgetConfig): PublicForm {
  return {
    key: form.key,
    title: widget.title ?? { ru: form.title, en: form.title },
    fields: widget.fields,
    consent: widget.consent ?? null,
    button: widget.button,
    messages: { success: widget.success, error: widget.error, queued: widget.queued },
    honeypot: form.honeypot,
    min_fill_ms: widget.minFillMs,
    submit_url: `/api/forms/${form.key}/submit`,
  };
}

/** Lead body names intake knows at the top level; every other widget field travels in `extra`. */
export const CORE_FIELDS = new Set(['name', 'phone', 'email', 'message']);

/** Extra field names a widget form declares (so intake keeps them in `extra`). */
export function widgetExtraFields(widget: WidgetConfig | undefined): string[] {
  return (widget?.fields ?? []).map((f) => f.name).filter((n) => !CORE_FIELDS.has(n));
}
