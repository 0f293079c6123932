/**
 * Records crossing process boundaries over the ZeroMQ data plane: a JobManager in this process
 * and two TaskManager processes with one slot each; a keyed job of parallelism 2, whose keyBy
 * shuffle must go from each TaskManager to the other, gives exact per-key results.
 */
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { extractPlan, registerLivePlan, unregisterLivePlan } from '../../src/actors/task/plans.js';
import type { JobResult } from '../../src/actors/task/schemas.js';
import { TaskExecutorProtocol } from '../../src/actors/taskexecutor/protocol.js';
import { Configuration } from '../../src/config/index.js';
import { startJobManager } from '../../src/process/index.js';
import { freePort, MAIN } from '../cli/helpers.js';
import { eventually, startNode } from '../helpers/process.js';

const JOB = fileURLToPath(new URL('../fixtures/jobs/network-sums.ts', import.meta.url));
const RECORDS = 60_000;
const KEYS = 7;

t.test('a keyed shuffle between two TaskManager processes delivers every record over ZeroMQ', async (t) => {
  const rpcPort = await freePort();
  const config = Configuration.fromRecord({
    'jobmanager.rpc.address': '127.0.0.1',
    'jobmanager.rpc.port': String(rpcPort),
    'rest.port': '0',
  });
  const jm = await startJobManager(config, { version: 'test', confDir: '(test)', onFatalError: (err) => t.fail(`JobManager fatal error: ${err.message}`) });
  t.teardown(() => jm.stop());

  const common = ['-D', 'jobmanager.rpc.address=127.0.0.1', '-D', `jobmanager.rpc.port=${rpcPort}`, '-D', 'taskmanager.host=127.0.0.1', '-D', 'taskmanager.numberOfTaskSlots=1'];
  const tms = [1, 2].map(() => startNode(t, MAIN, ['taskmanager', ...common]));
  const tmEndpoints = await Promise.all(tms.map(async (tm) => /at (tcp:\/\/\S+)/.exec(await tm.waitForLine(/Starting TaskManager .* at tcp:/))![1]!));
  await Promise.all(tms.map((tm) => tm.waitForLine(/registered with the ResourceManager/)));

  const plan = await extractPlan(() => import(`${JOB}?plan`));
  const jobId = plan.jobGraph.jobId;
  registerLivePlan(jobId, plan.streamGraph);
  t.teardown(() => unregisterLivePlan(jobId));

  const dispatcher = jm.dispatcher();
  await jm.system.ask(dispatcher, { type: 'submitJob', jobGraph: plan.jobGraph, artifact: { modulePath: JOB, args: [] } }, 20_000);
  const result = (await jm.system.ask(dispatcher, { type: 'requestJobResult', jobId }, 60_000)) as JobResult;
  t.equal(result.status, 'FINISHED', result.error?.message ?? 'the job finished');

  const rows = (result.collected ?? []) as Array<{ key: number; sum: number; count: number; pid: number }>;
  const expected = Array.from({ length: KEYS }, (_, key) => {
    let sum = 0;
    let count = 0;
    for (let n = key === 0 ? KEYS : key; n <= RECORDS; n += KEYS) {
      sum += n;
      count++;
    }
    return { key, sum, count };
  });
  t.same(
    rows.map(({ key, sum, count }) => ({ key, sum, count })).sort((a, b) => a.key - b.key),
    expected,
    'every key has the exact sum and count of its records, half of which came from the other TaskManager',
  );
  t.same(new Set(rows.map((r) => r.pid)), new Set(tms.map((tm) => tm.pid)), 'both TaskManager processes computed keys');

  // The job's slots are released: the TaskExecutors no longer know it.
  for (const endpoint of tmEndpoints) {
    const te = jm.system.ref(TaskExecutorProtocol, `${endpoint}/taskexecutor`);
    await eventually(async () => ((await jm.system.ask(te, { type: 'requestTaskMetrics', jobId }, 5000)).length === 0 ? true : undefined), 10_000, 'metrics gone with the job');
  }

  for (const tm of tms) tm.kill('SIGTERM');
  t.same(await Promise.all(tms.map((tm) => tm.exited)), [0, 0], 'both TaskManagers stop cleanly, their data sockets closed');
});
