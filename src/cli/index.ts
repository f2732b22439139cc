// CLI entry (bin/leadbridge.js, `npm run leadbridge`): parses argv with the program from program.ts.
import { buildProgram } from './program.js';

await buildProgram().parseAsync(process.argv);
