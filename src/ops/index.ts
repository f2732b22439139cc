// Operating Leadbridge: start-up checks with one-line fixes, operator endpoints (webhook URL).
export { checkDataDir, checkPortFree, portInUseError, StartupError } from './preflight.js';
export { opsRoutes } from './routes.js';
export type { OpsRoutesDeps } from './routes.js';
