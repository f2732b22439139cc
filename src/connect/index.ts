// Connect owns the amoCRM connection: OAuth routes (install link, callback, status, token import, disable hook),
// the encrypted token store with a cross-process refresh lock, env bootstrap, keep-alive, the reconnect_required
// state, THE AmoClient of the app, setup/doctor runners and the sandbox. Provisioning logic itself is provision/'s.
export { createAmoConnection, defaultRedirectUri, oauthFromConfig } from './connection.js';
export type { AmoConnection, AmoConnectionDeps } from './connection.js';
export { DbTokenStore, REFRESH_TOKEN_TTL_MS } from './token-store.js';
export type { ConnectionStatus, ConnectionStateView, StateListener } from './token-store.js';
export { resolveSecretKey, getWebhookSecret, getWebhookUrl, sandboxAdminToken } from './keys.js';
export { importEnvTokens, envTokens } from './env-import.js';
export type { EnvImportResult } from './env-import.js';
export { authorizeUrl, completeCallback, importRefreshToken, handleDisableHook, STATE_TTL_MS } from './oauth-flow.js';
export type { FlowDeps, CallbackQuery, DisableHookQuery } from './oauth-flow.js';
export { connectRoutes } from './routes.js';
export type { ConnectRoutesDeps } from './routes.js';
export { keepAlive, KEEP_ALIVE_AFTER_MS, KEEP_ALIVE_CRON } from './keep-alive.js';
export type { KeepAliveResult } from './keep-alive.js';
export { statusView, publicStatusView, amocrmHealthCheck } from './status-view.js';
export type { StatusView, PublicStatusView } from './status-view.js';
export { runSetup, withSystemFields, SYSTEM_LEAD_FIELDS } from './setup.js';
export type { SetupDeps, SetupResult } from './setup.js';
export { connectDoctor } from './doctor.js';
export type { DoctorDeps } from './doctor.js';
export { startSandboxEmulator, connectThroughOAuth, ensureSandboxConnected, demoSpec } from './sandbox.js';
export type { Sandbox } from './sandbox.js';
export { ConnectError } from './errors.js';
export type { ConnectErrorCode } from './errors.js';
export { encryptSecret, decryptSecret, generateKey, parseSecretKey, signState, verifyState, verifyDisableHookSignature } from './crypto.js';
export { connectAppModule, startConnect } from './wire.js';
export type { ConnectRuntime, StartConnectDeps } from './wire.js';
export { PgRateLimitStore, type PgRateLimitStoreOptions } from './rate-limit-store.js';
