// Operating Leadbridge: start-up checks with one-line fixes, operator endpoints (webhook URL, setup, reconcile), the
// reports of the operator commands (shared by the CLI and those endpoints), the sandbox admin-token file.
export { checkDataDir, checkPortFree, portInUseError, StartupError } from './preflight.js';
export { opsAppModule } from './routes.js';
export { collectReport, reconcileLine, setupReport } from './commands.js';
export { adminTokenPath, readAdminTokenFile, writeAdminTokenFile } from './admin-token.js';
