// createIntake: intake as a module of the running system — the one LeadIntake every capture surface stores through
// (same validation, dedup, spam rules) and its routes (POST /api/leads, /api/crm, admin GET /api/leads/:id), built
// from the config's forms, intake and rate-limit sections.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AppModule } from '../app-module.js';
import type { Config } from '../config/index.js';
import type { Db } from '../db/index.js';
import { createLeadIntake, type IntakeFormInfo, type LeadIntake, type LeadIntakeDeps } from './accept.js';
import { intakeRoutes, type IntakeDeps } from './routes.js';

export interface CreateIntakeDeps {
  config: Config;
  db: Db;
  /** The amoCRM account the leads are for (the runtime's). */
  account?: string;
  metrics: Registry;
  logger?: Logger;
  now?: () => number;
  /** Wakes the delivery worker (and follow-ups) after a lead commits. */
  onLeadCaptured?: (leadId: string) => void;
  /** The synced amoCRM deal for GET /api/leads/:id (webhook sync). */
  dealView?: IntakeDeps['dealView'];
  /** The routing decision for GET /api/leads/:id (routing). */
  routingView?: IntakeDeps['routingView'];
  /** The lead's follow-up enrolments for GET /api/leads/:id. */
  followupsView?: IntakeDeps['followupsView'];
}

export interface IntakeModule extends AppModule {
  intake: LeadIntake;
}

/** The config's forms as intake knows them (key → honeypot, extra field names, consent text version). */
export function intakeForms(config: Config): Record<string, IntakeFormInfo> {
  const forms: Record<string, { honeypot: string; extraFields: string[]; consentVersion?: string }> = {};
  for (const [key, f] of Object.entries(config.forms)) {
    forms[key] = { honeypot: f.honeypot, extraFields: [...Object.keys(f.fields), ...f.extraFields] };
    const consentVersion = f.consentVersion ?? f.capture?.widget?.consent?.version;
    if (consentVersion) forms[key].consentVersion = consentVersion;
  }
  return forms;
}

export function createIntake(deps: CreateIntakeDeps): IntakeModule {
  const { config } = deps;
  const intakeDeps: LeadIntakeDeps = {
    db: deps.db.db,
    ...(deps.account ? { account: deps.account } : {}),
    defaultCountry: config.defaultCountry,
    defaultForm: config.defaultForm,
    forms: intakeForms(config),
    honeypot: config.intake.honeypot,
    // PGlite is one session: one batch at a time. PostgreSQL: four (of the pool's ten connections); more
    // statements in flight let PostgreSQL's own group commit share WAL flushes between them.
    groupCommit: { maxInFlight: deps.db.kind === 'pglite' ? 1 : 4 },
    metrics: deps.metrics,
    ...(deps.logger ? { logger: deps.logger.child({ module: 'intake' }) } : {}),
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.onLeadCaptured ? { onLeadCaptured: deps.onLeadCaptured } : {}),
  };
  const intake = createLeadIntake(intakeDeps);
  return {
    name: 'intake',
    intake,
    routes: (ctx) =>
      intakeRoutes({
        ...intakeDeps,
        intake,
        requireAdmin: ctx.requireAdmin,
        rateLimit: { max: config.rateLimit.perIpPerMinute, timeWindow: 60_000 },
        apiKeys: config.apiKeys.map((k) => ({ name: k.name, keySha256: k.keySha256, perMinute: k.perMinute })),
        ...(deps.dealView ? { dealView: deps.dealView } : {}),
        ...(deps.routingView ? { routingView: deps.routingView } : {}),
        ...(deps.followupsView ? { followupsView: deps.followupsView } : {}),
      }),
  };
}
