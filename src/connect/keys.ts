// The secrets connect needs: the token encryption key, the webhook URL secret, the sandbox admin token.
import type { Config } from '../config/index.js';
import type { Database } from '../db/index.js';
import { decryptSecret, encryptSecret, generateKey, parseSecretKey } from './crypto.js';
import { ConnectError } from './errors.js';
import { deleteSetting, ensureSetting, getSetting, randomSecret } from './settings.js';

const SECRET_KEY_SETTING = 'connect.secret_key';
/** Plaintext, as older versions stored it: moved to the encrypted setting on first read. */
const WEBHOOK_SECRET_SETTING = 'connect.webhook_secret';
const WEBHOOK_SECRET_ENC_SETTING = 'connect.webhook_secret_enc';
const ADMIN_TOKEN_SETTING = 'connect.sandbox_admin_token';

/**
 * The AES-256-GCM key for tokens at rest: LEADBRIDGE_SECRET_KEY, or (sandbox only) a key generated once and kept
 * in app_settings. Outside the sandbox a missing key is a startup error: tokens are never stored unencrypted.
 */
export async function resolveSecretKey(db: Database, config: Pick<Config, 'secretKey' | 'sandbox'>): Promise<Buffer> {
  if (config.secretKey) return parseSecretKey(config.secretKey);
  if (!config.sandbox) {
    throw new ConnectError(
      'SECRET_KEY_MISSING',
      500,
      'LEADBRIDGE_SECRET_KEY is not set. amoCRM tokens are stored encrypted with it; generate one with ' +
        '`node -e "console.log(require(\'crypto\').randomBytes(32).toString(\'hex\'))"` and set it in the environment ' +
        '(keep it: tokens stored with one key cannot be read with another).',
    );
  }
  return parseSecretKey(await ensureSetting(db, SECRET_KEY_SETTING, generateKey));
}

/** The secret in Leadbridge's webhook URL: LEADBRIDGE_WEBHOOK_SECRET, or generated once and kept in app_settings. */
export async function getWebhookSecret(db: Database, config: Pick<Config, 'webhookSecret' | 'secretKey' | 'sandbox'>): Promise<string> {
  if (config.webhookSecret) return config.webhookSecret;
  let key: Buffer;
  try {
    key = await resolveSecretKey(db, config);
  } catch (err) {
    // No key (outside the sandbox without LEADBRIDGE_SECRET_KEY: the server refuses to start anyway; CLI reads).
    if (err instanceof ConnectError) return ensureSetting(db, WEBHOOK_SECRET_SETTING, () => randomSecret(24));
    throw err;
  }
  // Generated secrets are stored encrypted with the token key; a plaintext one from an older version keeps its
  // value (the URL amoCRM calls must not change) and is moved.
  const legacy = await getSetting(db, WEBHOOK_SECRET_SETTING);
  const blob = await ensureSetting(db, WEBHOOK_SECRET_ENC_SETTING, () => encryptSecret(legacy ?? randomSecret(24), key, WEBHOOK_SECRET_ENC_SETTING));
  if (legacy !== undefined) await deleteSetting(db, WEBHOOK_SECRET_SETTING);
  return decryptSecret(blob, key, WEBHOOK_SECRET_ENC_SETTING);
}

/** `${publicUrl}/api/webhooks/amo/${secret}`: the URL setup subscribes in amoCRM. */
export async function getWebhookUrl(db: Database, config: Pick<Config, 'webhookSecret' | 'publicUrl' | 'secretKey' | 'sandbox'>): Promise<string> {
  return `${config.publicUrl.replace(/\/+$/, '')}/api/webhooks/amo/${await getWebhookSecret(db, config)}`;
}

/** Sandbox only: an admin token generated once (stable across restarts) when LEADBRIDGE_ADMIN_TOKEN is unset. */
export async function sandboxAdminToken(db: Database): Promise<string> {
  return ensureSetting(db, ADMIN_TOKEN_SETTING, () => `sbx_${randomSecret(24)}`);
}
