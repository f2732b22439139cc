// Configuration: environment variables (secrets) + one YAML file (forms, routing, delivery, CORS, limits).
// Only main.ts and cli/ call loadConfig(); everything else receives the typed Config (or a slice of it).
export { ConfigError, loadConfig } from './load-config.js';
export { parseAmoDomain } from './env.js';
export { CONTACT_LOOKUPS } from './types.js';
export type { AmoCrmConfig, Config, ContactLookup, FieldMapping, FormConfig } from './types.js';
export type { CaptureFormConfig, LocalText, WidgetConfig, WidgetField } from './capture-schema.js';
export type { ChannelEnv } from './types.js';
export type { ExitReason, SequenceFile, StepFile } from './followups-schema.js';
export { EXIT_REASONS } from './followups-schema.js';
