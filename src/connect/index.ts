// Connect owns the amoCRM connection: OAuth routes (install link, callback, status, token import, disable hook),
// the encrypted token store with a cross-process refresh lock, env bootstrap, keep-alive, the reconnect_required
// state, THE AmoClient of the app, setup/doctor runners and the sandbox. Provisioning logic itself is provision/'s.
export { createAmoConnection, defaultRedirectUri } from './connection.js';
export type { AmoConnection, AmoConnectionDeps } from './connection.js';
export { resolveSecretKey, getWebhookSecret, getWebhookUrl } from './keys.js';
export { authorizeUrl } from './oauth-flow.js';
export { connectRoutes } from './routes.js';
export type { ConnectRoutesDeps } from './routes.js';
export { keepAlive } from './keep-alive.js';
export { runSetup } from './setup.js';
export type { SetupResult } from './setup.js';
export { connectDoctor } from './doctor.js';
export { startSandboxEmulator, demoSpec } from './sandbox.js';
export type { Sandbox } from './sandbox.js';
export { ConnectError } from './errors.js';
export { encryptSecret, generateKey, parseSecretKey } from './crypto.js';
export { connectAppModule, startConnect } from './wire.js';
export type { ConnectRuntime } from './wire.js';
export { PgRateLimitStore } from './rate-limit-store.js';
