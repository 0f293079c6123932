/**
 * Jobs whose slots are real worker threads: a job file run as a child process without
 * RUNNEL_SLOT_MODE, so every slot worker loads the job file again to rebuild its operators.
 */
import t from 'tap';
import { wordCounts } from '../fixtures/pipelines.js';
import { env, sortedJson } from '../helpers/jobs.js';
import { startNode } from '../helpers/process.js';

/** The child's environment: slots in worker threads (an undefined variable is not passed on). */
const threadedEnv = (): NodeJS.ProcessEnv => ({ RUNNEL_SLOT_MODE: undefined });

t.test('a keyed pipeline run in worker threads at parallelism 2 gives the same result as inline', async (t) => {
  const job = startNode(t, 'test/fixtures/jobs/word-counts.ts', ['--parallelism', '2', '--times', '25'], threadedEnv());
  const expected = await wordCounts(env(2), 25).executeAndCollect();
  t.ok(expected.length > 10, 'the inline run has results to compare');
  const result = (await job.waitForLine(/^RESULT /, 60_000)).slice('RESULT '.length);
  t.same((JSON.parse(result) as Array<[string, number]>).map((r) => JSON.stringify(r)).sort(), sortedJson(expected));
  const [, threads, main] = /^THREADS (\[[\d,]*\]) MAIN (\d+)$/.exec(await job.waitForLine(/^THREADS /))!;
  const used = JSON.parse(threads!) as number[];
  t.ok(used.length >= 1 && !used.includes(Number(main)), `the operators ran in worker threads ${threads}, not the main thread ${main}`);
  t.equal(await job.exited, 0);
});

t.test("a user function that throws in a worker thread fails the job: its error and stack reach stderr, and the exit code is not 0", async (t) => {
  const job = startNode(t, 'test/fixtures/jobs/throwing.ts', ['--parallelism', '2'], threadedEnv());
  const code = await job.exited;
  t.not(code, 0, 'a non-zero exit');
  const output = job.lines.join('\n');
  t.match(output, /JobExecutionException: Job [0-9a-f]{32} failed: record 500 is out of range/, 'the job failure');
  t.match(output, /RangeError: record 500 is out of range/, 'the original error');
  t.match(output, /at Boom\.map \(.*test\/fixtures\/jobs\/throwing\.ts:\d+:\d+\)/, "the stack points at the user's function");
  t.notOk(output.includes('unreachable'), 'execute() did not return');
});
