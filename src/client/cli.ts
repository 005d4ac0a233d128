// The `trustflow` command line's entry point (bin/trustflow.js imports the compiled file).
// The dispatch, usage text and exit codes are in cli/main.ts; the commands in cli/<group>.ts.
import { runCli } from './cli/main.js';

runCli(process.argv.slice(2));
