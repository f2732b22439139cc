// Owns the composition of the system: openRuntime(config, { role }) opens the database and builds each domain on
// first use with the options derived from config (the same for the server and every CLI command); serverModules(rt)
// is what the server mounts and starts. describe() says what was built, with which options (tests compare roles).
export { openRuntime } from './runtime.js';
export type { Runtime, RuntimeDescription, RuntimeOptions } from './runtime.js';
export { serverModules } from './server.js';
