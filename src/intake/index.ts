// Intake owns capturing a lead: validate + normalise (phone E.164, email), then store the lead and its first
// timeline event in one transaction. It does not deliver (delivery/ claims pending leads) nor know amoCRM.
export { captureLead } from './capture-lead.js';
export type { CaptureDeps, CaptureMeta, CaptureResult } from './capture-lead.js';
export { IntakeError } from './errors.js';
export type { FieldError, IntakeErrorCode } from './errors.js';
export { normalisePhone } from './phone.js';
export { intakeRoutes } from './routes.js';
export type { IntakeDeps, IntakeFormInfo } from './routes.js';
export { getLead, listLeadEvents, insertLeadEvent } from './sql.js';
export { validateLead } from './validate.js';
export type { LeadInput, ValidateContext } from './validate.js';
