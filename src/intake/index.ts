// Intake owns capturing a lead: validate + normalise (phone E.164, email), then store the lead and its first
// timeline event atomically (one statement, group-committed). It does not deliver (delivery/ claims pending leads) nor know amoCRM.
export type { CaptureDeps } from './capture-lead.js';
export type { FieldError } from './errors.js';
export { normalisePhone } from './phone.js';
export { createLeadIntake, publicStatus } from './accept.js';
export type { AcceptOptions, LeadIntake } from './accept.js';
export { getLead } from './sql.js';
export type { LeadInput } from './validate.js';
export { createIntake } from './module.js';
export type { CreateIntakeDeps } from './module.js';
