// Public surface of the amoCRM emulator: build it (tests inject/listen themselves) or start it on a port.
import { buildEmulator } from './server.js';
import type { EmulatorOptions, RunningEmulator } from './options.js';

export { buildEmulator, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REDIRECT_URI, ACCOUNT_ID } from './server.js';
export { ADMIN_USER_ID, DEMO_MANAGERS, MANAGER_USER_ID, MANAGER2_USER_ID } from './seed.js';
export type {
  BuiltEmulator,
  ContactPatch,
  EmulatorConfig,
  EmulatorControl,
  EmulatorOptions,
  EmulatorStateJson,
  FaultSpec,
  LeadPatch,
  RateLimitOptions,
  RunningEmulator,
  UiLeadInput,
} from './options.js';

export async function startEmulator(opts: EmulatorOptions = {}): Promise<RunningEmulator> {
  const { app, control, config } = await buildEmulator(opts);
  const host = opts.host ?? '127.0.0.1';
  await app.listen({ port: opts.port ?? 0, host });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? 0);
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return { url: `http://${shownHost}:${port}`, port, config, control, close: () => app.close() };
}
