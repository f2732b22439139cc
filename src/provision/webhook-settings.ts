import type { WebhookSetting } from '../amocrm/index.js';

/** The amoCRM events Leadbridge subscribes its webhook URL to (fact sheet §7.14). */
export const WEBHOOK_SETTINGS: readonly WebhookSetting[] = [
  'add_lead',
  'update_lead',
  'status_lead',
  'responsible_lead',
  'delete_lead',
  'restore_lead',
  'add_contact',
  'update_contact',
];
