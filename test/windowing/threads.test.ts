/**
 * Windows whose operators run in worker threads: the job file is loaded again in every slot
 * worker, and window state, timers and merging work there as inline.
 */
import t from 'tap';
import { startNode } from '../helpers/process.js';
import { allEvents, byVariant, expectedLines, groupSessions, VARIANTS } from '../helpers/windows.js';

t.test('session windows run in worker threads at parallelism 2 match sessions found by sorting each key\'s events', async (t) => {
  const job = startNode(t, 'test/fixtures/jobs/session-windows.ts', ['--parallelism', '2'], { RUNNEL_SLOT_MODE: undefined });
  const line = await job.waitForLine(/^RESULT /, 60_000);
  const actual = byVariant(JSON.parse(line.slice('RESULT '.length)) as string[]);
  const expected = expectedLines(groupSessions(allEvents(), 61));
  for (const variant of VARIANTS) t.same(actual[variant], expected[variant], variant);
  t.equal(await job.exited, 0);
});
