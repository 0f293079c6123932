/**
 * Warm slot workers in a TaskManager process (2 slots, a worker thread started per free slot
 * before any job): a job cancelled while its warm workers are still setting it up does not take
 * the TaskManager down; two jobs run one after the other in the same slots, each in fresh
 * threads that carry nothing over from the job before, with its own arguments; and SIGTERM
 * still stops the TaskManager cleanly, warm workers included.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleJob } from '../../src/cli/bundle.js';
import { RestClient } from '../../src/cli/rest-client.js';
import { runRunnel } from '../cli/helpers.js';
import { json, startTestCluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/process.js';

const JOB = 'test/fixtures/jobs/module-state.ts';
const STREAMING_JOB = 'test/fixtures/jobs/rate-generator.ts';

const blobDir = mkdtempSync(join(tmpdir(), 'runnel-warm-blob-'));
t.teardown(() => rmSync(blobDir, { recursive: true, force: true }));
const { jm, tm, restPort, base, m, env } = await startTestCluster(t, blobDir);

/** The TaskManager's printed lines of the job run with `--tag tag`, as [subtask, loads]. */
function printed(tag: string): Array<[string, number]> {
  return tm.lines.flatMap((line) => {
    const match = new RegExp(`^(\\d+)> module-state tag=${tag} loads=(\\d+) n=\\d+$`).exec(line);
    return match === null ? [] : [[match[1]!, Number(match[2])] as [string, number]];
  });
}

t.test('jobs cancelled while their slots are setting them up end, and the TaskManager keeps running jobs', async (t) => {
  // Straight over REST (`runnel run -d` returns later): the cancel is to reach the slots while
  // they load the job and bind their data sockets. That window cannot be observed from outside,
  // so the rounds sweep the wait between submission and cancel across it.
  const client = new RestClient({ host: '127.0.0.1', port: restPort });
  const bundle = await bundleJob(resolve(STREAMING_JOB), STREAMING_JOB);
  for (const waitMs of [0, 10, 20, 40, 80, 160]) {
    const jarId = await client.uploadJar(bundle.fileName, bundle.code);
    const jobId = await client.runJar(jarId, { programArgsList: [], parallelism: 2, allowNonRestoredState: false, flinkConfiguration: {} }, 30_000);
    await new Promise((resolve) => setTimeout(resolve, waitMs));
    await client.cancelJob(jobId);
    await client.deleteJar(jarId);
    const state = await eventually(async () => {
      const job = await json(`${base}/jobs/${jobId}`);
      const overview = await json(`${base}/overview`);
      return job['state'] === 'CANCELED' && overview['slots-available'] === 2 ? job['state'] : undefined;
    }, 20_000, `job ${jobId} cancelled and its slots free`);
    t.equal(state, 'CANCELED', `cancelled ${waitMs} ms after its submission`);
  }
  // Slow to abort, if it does: a worker still loading handles its shutdown once loaded.
  const result = await runRunnel(t, ['run', ...m, '-p', '2', JOB, '--tag', 'after-cancels'], { env });
  t.equal(result.code, 0, `a job runs to its end after them: ${result.stderr}`);
  t.equal(tm.process.exitCode, null, 'the TaskManager is still running');
  t.equal(tm.process.signalCode, null, 'and was not aborted');
});

t.test('two jobs in a row use both slots, each in workers that never ran the other job', async (t) => {
  for (const tag of ['first', 'second']) {
    const result = await runRunnel(t, ['run', ...m, '-p', '2', JOB, '--tag', tag], { env });
    t.equal(result.code, 0, result.stderr);
    // The job has finished, but its workers' output may still be on its way through the TaskManager's stdout.
    const lines = await eventually(() => (printed(tag).length === 20 ? printed(tag) : undefined), 10_000, `the 20 lines of job ${tag}`);
    t.same(new Set(lines.map(([subtask]) => subtask)), new Set(['1', '2']), `job ${tag} ran in both slots`);
    t.same(new Set(lines.map(([, loads]) => loads)), new Set([1]), `job ${tag} was the first job loaded in each of its threads`);
  }
  await eventually(async () => ((await json(`${base}/overview`))['slots-available'] === 2 ? true : undefined), 10_000, 'both slots free again');
});

t.test('SIGTERM stops the TaskManager with its idle warm workers, exit 0', async (t) => {
  tm.kill('SIGTERM');
  const code = await tm.exited;
  t.equal(code, 0, 'the TaskManager exits 0');
  if (code !== 0) t.comment(tm.lines.join('\n'));
  t.notMatch(tm.lines.join('\n'), /died while idle|exited unexpectedly/, 'no warm worker was lost on the way');
  jm.kill('SIGTERM');
  t.equal(await jm.exited, 0);
});
