// CLI entry (bin/leadbridge.js, `npm run leadbridge`): parses argv with the program from program.ts.
import { applyEnvFiles } from '../env-files.js';
import { buildProgram } from './program.js';

// `.env` and `.env.local` of the working directory, as for `npm start` (the environment wins).
applyEnvFiles(process.env);

await (await buildProgram(process.argv)).parseAsync(process.argv);
