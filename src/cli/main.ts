/**
 * The `runnel` executable (scripts/runnel runs this file with tsx). A client verb exits with
 * its code once its output is written; a cluster process keeps running until a signal.
 */
import { processIO } from './context.js';
import { runCli } from './program.js';

const outcome = await runCli(process.argv.slice(2), processIO());
if (outcome.kind === 'exit') {
  process.exitCode = outcome.code;
  // Idle keep-alive connections of fetch must not hold a finished command open; exit once
  // what was written has been flushed.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(outcome.code)));
}
