// Sequences compiled from the config: templates read from files next to leadbridge.yaml, exits defaulted,
// stage references kept as keys or ids and matched against amoCRM ids through the provisioning map.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import Mustache from 'mustache';
import { EXIT_REASONS, type ExitReason, type SequenceFile, type StepFile } from '../config/index.js';
import { isTimeZone, parseClock, parseDuration, type QuietHours } from './schedule.js';

export type StageRef = { pipeline?: string | number; stage: string | number };

export type CompiledStep =
  | { kind: 'wait'; ms: number }
  | { kind: 'wait_until'; minute: number }
  | { kind: 'email'; subject: string; text: string; html?: string }
  | { kind: 'whatsapp'; template?: { name: string; language: string; params: string[] }; text?: string }
  | { kind: 'task'; text: string; dueMs: number; type: number };

export type Trigger =
  | { type: 'lead_captured'; forms?: string[] }
  | { type: 'deal_entered'; stage: StageRef }
  | { type: 'deal_idle'; stage: StageRef; afterMs: number };

export interface Sequence {
  key: string;
  title: string;
  enabled: boolean;
  trigger: Trigger;
  steps: CompiledStep[];
  timezone: string;
  quiet: QuietHours | null;
  exitOn: Set<ExitReason>;
  reenrol: boolean;
}

export interface SequenceDefaults {
  timezone: string;
  quietHours: { start: string; end: string } | false;
}

/** The provisioning map's pipelines: key → { id, stages: key → id }. */
export type PipelineMap = Record<string, { id: number; stages: Record<string, number> }>;

export class SequenceConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid sequences (${problems.length}):\n  - ${problems.join('\n  - ')}`);
    this.name = 'SequenceConfigError';
  }
}

function readTemplate(t: string | { file: string }, baseDir: string, where: string, problems: string[]): string {
  if (typeof t === 'string') return t;
  const path = isAbsolute(t.file) ? t.file : resolve(baseDir, t.file);
  try {
    return readFileSync(path, 'utf8');
  } catch {
    problems.push(`${where}: template file ${t.file} cannot be read`);
    return '';
  }
}

function checkMustache(text: string, where: string, problems: string[]): void {
  try {
    Mustache.parse(text);
  } catch (e) {
    problems.push(`${where}: Mustache: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function compileStep(s: StepFile, baseDir: string, where: string, problems: string[]): CompiledStep {
  if ('wait' in s) {
    if (typeof s.wait === 'object') return { kind: 'wait_until', minute: parseClock(s.wait.until) };
    return { kind: 'wait', ms: parseDuration(s.wait) };
  }
  if ('email' in s) {
    const text = readTemplate(s.email.text, baseDir, `${where}.email.text`, problems);
    const html = s.email.html !== undefined ? readTemplate(s.email.html, baseDir, `${where}.email.html`, problems) : undefined;
    for (const [k, v] of [['subject', s.email.subject], ['text', text], ['html', html]] as const) if (v) checkMustache(v, `${where}.email.${k}`, problems);
    return { kind: 'email', subject: s.email.subject, text, ...(html !== undefined ? { html } : {}) };
  }
  if ('whatsapp' in s) {
    const w = s.whatsapp;
    if ('template' in w) {
      for (const p of w.params) checkMustache(p, `${where}.whatsapp.params`, problems);
      return { kind: 'whatsapp', template: { name: w.template, language: w.language, params: w.params } };
    }
    checkMustache(w.text, `${where}.whatsapp.text`, problems);
    return { kind: 'whatsapp', text: w.text };
  }
  checkMustache(s.task.text, `${where}.task.text`, problems);
  return { kind: 'task', text: s.task.text, dueMs: parseDuration(s.task.due), type: s.task.type };
}

export function compileSequences(files: Record<string, SequenceFile>, configPath: string, defaults: SequenceDefaults): Sequence[] {
  const problems: string[] = [];
  const baseDir = dirname(configPath);
  const out: Sequence[] = [];
  for (const [key, f] of Object.entries(files)) {
    const where = `sequences.${key}`;
    const steps = f.steps.map((s, i) => compileStep(s, baseDir, `${where}.steps.${i}`, problems));
    const t = f.trigger;
    const trigger: Trigger =
      'lead_captured' in t
        ? { type: 'lead_captured', ...(t.lead_captured.forms ? { forms: t.lead_captured.forms } : {}) }
        : 'deal_entered' in t
          ? { type: 'deal_entered', stage: stageRef(t.deal_entered) }
          : { type: 'deal_idle', stage: stageRef(t.deal_idle), afterMs: parseDuration(t.deal_idle.after) };
    const timezone = f.timezone ?? defaults.timezone;
    if (!isTimeZone(timezone)) problems.push(`${where}.timezone: unknown time zone ${timezone}`);
    const q = f.quiet_hours ?? defaults.quietHours;
    const exitOn = new Set<ExitReason>(f.exit_on ?? EXIT_REASONS.filter((r) => r !== 'left_stage' || trigger.type !== 'lead_captured'));
    exitOn.add('stopped');
    if (!steps.some((s) => s.kind !== 'wait' && s.kind !== 'wait_until')) problems.push(`${where}.steps: no step sends anything`);
    out.push({
      key,
      title: f.title ?? key,
      enabled: f.enabled,
      trigger,
      steps,
      timezone,
      quiet: q ? { start: parseClock(q.start), end: parseClock(q.end) } : null,
      exitOn,
      reenrol: f.reenrol,
    });
  }
  if (problems.length) throw new SequenceConfigError(problems);
  return out;
}

function stageRef(t: { pipeline?: string | number | undefined; stage: string | number }): StageRef {
  return t.pipeline !== undefined ? { pipeline: t.pipeline, stage: t.stage } : { stage: t.stage };
}

/** Does amoCRM stage (pipelineId, statusId) match the reference? Keys go through the provisioning map. */
export function stageMatches(ref: StageRef, pipelineId: number | null, statusId: number | null, map: PipelineMap | undefined): boolean {
  if (statusId === null) return false;
  const pipelines = ref.pipeline === undefined ? Object.values(map ?? {}) : typeof ref.pipeline === 'number' ? [] : [map?.[ref.pipeline]].filter((p) => p !== undefined);
  if (typeof ref.pipeline === 'number' && pipelineId !== ref.pipeline) return false;
  if (typeof ref.stage === 'number') {
    if (ref.stage !== statusId) return false;
    return ref.pipeline === undefined || typeof ref.pipeline === 'number' || pipelines.some((p) => p.id === pipelineId);
  }
  if (typeof ref.pipeline === 'number') return Object.values(map ?? {}).some((p) => p.id === pipelineId && p.stages[ref.stage as string] === statusId);
  return pipelines.some((p) => (pipelineId === null || p.id === pipelineId) && p.stages[ref.stage as string] === statusId);
}

/** Channels the steps from `from` on send through (for the "undeliverable" exit). */
/** The WhatsApp templates the sequences send (name, language, number of body parameters). */
export function templatesUsed(sequences: Sequence[]): { name: string; language: string; params: number }[] {
  const seen = new Map<string, { name: string; language: string; params: number }>();
  for (const seq of sequences) {
    for (const s of seq.steps) {
      if (s.kind === 'whatsapp' && s.template) seen.set(`${s.template.name}/${s.template.language}`, { name: s.template.name, language: s.template.language, params: s.template.params.length });
    }
  }
  return [...seen.values()];
}

export function channelsAhead(seq: Sequence, from: number): Set<'email' | 'whatsapp'> {
  const out = new Set<'email' | 'whatsapp'>();
  for (const s of seq.steps.slice(from)) if (s.kind === 'email' || s.kind === 'whatsapp') out.add(s.kind);
  return out;
}
