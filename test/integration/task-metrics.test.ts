/**
 * Per-task busy, idle and back-pressured time, as the slot workers report them to their
 * TaskExecutor about once a second and its requestTaskMetrics ask returns them.
 */
import t from 'tap';
import { registerLivePlan, unregisterLivePlan } from '../../src/actors/task/plans.js';
import type { TaskMetrics } from '../../src/actors/task/deployment.js';
import { TaskExecutorProtocol } from '../../src/actors/taskexecutor/protocol.js';
import { Configuration } from '../../src/config/index.js';
import { StreamExecutionEnvironment } from '../../src/index.js';
import { MiniCluster } from '../../src/minicluster/index.js';
import { eventually } from '../helpers/process.js';

/** Burns about `micros` of CPU: a stand-in for an expensive user function. */
function spin(micros: number): void {
  const until = performance.now() + micros / 1000;
  while (performance.now() < until) {
    // busy
  }
}

t.test('a task feeding a slow one is back-pressured, the slow one busy, and both count their records', async (t) => {
  const env = StreamExecutionEnvironment.getExecutionEnvironment(Configuration.empty());
  env.setParallelism(1);
  env
    .fromSequence(1, 100_000_000)
    .keyBy((n) => n % 10)
    .map((n) => {
      spin(20);
      return n;
    })
    .filter(() => false)
    .print();
  const plan = env.plan('slow consumer');
  const jobId = plan.jobGraph.jobId;
  registerLivePlan(jobId, plan.streamGraph);
  t.teardown(() => unregisterLivePlan(jobId));
  const cluster = await MiniCluster.start({ slots: 1, slotMode: 'inline', configuration: Configuration.empty() });
  t.teardown(() => cluster.close());

  const running = cluster.run(plan.jobGraph, { args: [] });
  const te = cluster.system.ref(TaskExecutorProtocol, `${cluster.system.endpoint}/taskexecutor`);
  const metrics = await eventually(
    async () => {
      const all = (await cluster.system.ask(te, { type: 'requestTaskMetrics', jobId }, 5000)) as TaskMetrics[];
      return all.length === 2 && all.every((m) => m.numRecordsIn + m.numRecordsOut > 0) ? all : undefined;
    },
    10_000,
    'metrics of both tasks',
  );
  const source = metrics.find((m) => m.numRecordsIn === 0)!;
  const slow = metrics.find((m) => m.numRecordsIn > 0)!;
  t.ok(source !== undefined && slow !== undefined, 'one task reads no input (the source), the other does');
  for (const m of metrics) {
    t.match(m, { executionId: /^[0-9a-f]{32}$/, busyTimeMsPerSecond: Number, idleTimeMsPerSecond: Number, backPressuredTimeMsPerSecond: Number });
    const total = m.busyTimeMsPerSecond + m.idleTimeMsPerSecond + m.backPressuredTimeMsPerSecond;
    t.ok(total >= 999 && total <= 1000, `the shares add up to a second (${total})`);
  }
  t.ok(source.backPressuredTimeMsPerSecond > 200, `the source waits for credit most of the time (${source.backPressuredTimeMsPerSecond} ms/s)`);
  t.ok(slow.busyTimeMsPerSecond > 200, `the slow task is busy (${slow.busyTimeMsPerSecond} ms/s)`);
  t.equal(slow.backPressuredTimeMsPerSecond, 0, 'the slow task never waits for credit (its output filters everything)');
  t.ok(source.numRecordsOut >= slow.numRecordsIn, 'the source has sent at least what the slow task read');

  await cluster.cancel(jobId);
  t.equal((await running).status, 'CANCELED');
  await eventually(async () => ((await cluster.system.ask(te, { type: 'requestTaskMetrics', jobId }, 5000)).length === 0 ? true : undefined), 5000, 'the metrics to go with the job');
  t.pass('the metrics go with the job');
});
