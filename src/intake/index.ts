// Intake owns capturing a lead: validate + normalise (phone E.164, email), then store the lead and its first
// timeline event atomically (one statement, group-committed). It does not deliver (delivery/ claims pending leads) nor know amoCRM.
export { captureLead, toBatchLead } from './capture-lead.js';
export type { CaptureDeps, CaptureMeta, CaptureResult } from './capture-lead.js';
export { IntakeError } from './errors.js';
export { createLeadWriter, LeadStoreError, writeLeads } from './lead-writer.js';
export type { LeadWriter, LeadWriterOptions, StoredLead } from './lead-writer.js';
export type { FieldError, IntakeErrorCode } from './errors.js';
export { normalisePhone } from './phone.js';
export { createLeadIntake, publicStatus } from './accept.js';
export type { AcceptOptions, AcceptResult, LeadIntake, LeadIntakeDeps } from './accept.js';
export { intakeRoutes } from './routes.js';
export type { IntakeDeps, IntakeFormInfo } from './routes.js';
export { getLead, listLeadEvents, insertLeadEvent } from './sql.js';
export type { BatchLead } from './sql.js';
export { validateLead } from './validate.js';
export type { LeadInput, ValidateContext } from './validate.js';
export { createIntake, intakeForms } from './module.js';
export type { CreateIntakeDeps, IntakeModule } from './module.js';
