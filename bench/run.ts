/** Entry point of `npm run bench` (see bench/README.md). */
import { main } from './harness.js';
import { scenarios } from './scenarios/index.js';

const code = await main(process.argv.slice(2), scenarios);
// Exit explicitly: children are killed by the exit hook in child.ts, and an open handle left
// behind by a scenario must not keep the benchmark from finishing.
process.exit(code);
