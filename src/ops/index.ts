// Operating Leadbridge: start-up checks with one-line fixes, operator endpoints (webhook URL, setup, reconcile), the
// reports of the operator commands (shared by the CLI and those endpoints), the sandbox admin-token file.
export { checkDataDir, checkPortFree, portInUseError, StartupError } from './preflight.js';
export { opsAppModule, opsRoutes } from './routes.js';
export type { OpsRoutesDeps } from './routes.js';
export { collectReport, reconcileLine, setupReport } from './commands.js';
export type { CommandReport, SetupReportDeps } from './commands.js';
export { ADMIN_TOKEN_FILE, adminTokenPath, readAdminTokenFile, writeAdminTokenFile } from './admin-token.js';
