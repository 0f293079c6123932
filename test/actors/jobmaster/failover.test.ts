/**
 * Failures the JobMaster recovers from: a task that throws, and a TaskManager that goes silent
 * (a partition on the in-memory network, as a kill -9 or a pulled cable looks to the others).
 * Slots run inline, so the jobs' functions are the closures defined here.
 */
import t from 'tap';
import { ActorSystem } from '../../../src/actors/system/system.js';
import { livePlan, registerLivePlan, unregisterLivePlan } from '../../../src/actors/task/plans.js';
import type { JobResult } from '../../../src/actors/task/schemas.js';
import { TaskExecutor } from '../../../src/actors/taskexecutor/task-executor.js';
import { Configuration } from '../../../src/config/index.js';
import { StandaloneHaServices } from '../../../src/ha/index.js';
import { RichMapFunction, StreamExecutionEnvironment } from '../../../src/index.js';
import { logger } from '../../../src/log/index.js';
import { MemoryNetwork } from '../../../src/net/index.js';
import { spawnJobManagerComponents } from '../../../src/process/components.js';
import { eventually } from '../../helpers/process.js';
import { env } from '../../helpers/jobs.js';

const HEARTBEAT = { intervalMs: 100, timeoutMs: 600 };

t.test('a task that fails restarts the job with the fixed-delay strategy, and the final attempt gives the exact result', async (t) => {
  const e = StreamExecutionEnvironment.getExecutionEnvironment(
    Configuration.fromRecord({ 'restart-strategy.type': 'fixed-delay', 'restart-strategy.fixed-delay.attempts': '2', 'restart-strategy.fixed-delay.delay': '20 ms' }),
  );
  e.setParallelism(2);
  const attempts = new Set<number>();
  const out = await e
    .fromSequence(1, 200)
    .map(
      new (class extends RichMapFunction<number, number> {
        map(x: number): number {
          const attempt = this.getRuntimeContext().getAttemptNumber();
          attempts.add(attempt);
          if (attempt < 2 && x === 150) throw new Error(`boom in attempt ${attempt}`);
          return x * 2;
        }
      })(),
    )
    .executeAndCollect();
  t.same(
    out.sort((a, b) => a - b),
    Array.from({ length: 200 }, (_, i) => (i + 1) * 2),
  );
  t.same([...attempts].sort(), [0, 1, 2], 'two failed attempts, then the third finished');
});

t.test('when the restarts are used up the job fails with the last failure', async (t) => {
  const e = StreamExecutionEnvironment.getExecutionEnvironment(
    Configuration.fromRecord({ 'restart-strategy.type': 'fixed-delay', 'restart-strategy.fixed-delay.attempts': '1', 'restart-strategy.fixed-delay.delay': '0 ms' }),
  );
  let runs = 0;
  await t.rejects(
    e
      .fromElements(1, 2, 3)
      .map((x: number) => {
        if (x === 2) {
          runs++;
          throw new Error('always fails');
        }
        return x;
      })
      .executeAndCollect(),
    { message: /always fails/ },
  );
  t.equal(runs, 2, 'the first attempt and one restart');
});

t.test('with no restart strategy a failure fails the job at once', async (t) => {
  let runs = 0;
  await t.rejects(
    env(1)
      .fromElements(1)
      .map(() => {
        runs++;
        throw new Error('no second chance');
      })
      .executeAndCollect(),
    { message: /no second chance/ },
  );
  t.equal(runs, 1);
});

t.test('a TaskManager that goes silent is detected by heartbeat; the job restarts on another one and finishes', async (t) => {
  const network = new MemoryNetwork();
  const log = logger('failover-test');
  log.level = 'error';
  const config = Configuration.fromRecord({ 'heartbeat.interval': `${HEARTBEAT.intervalMs} ms`, 'heartbeat.timeout': `${HEARTBEAT.timeoutMs} ms` });
  const jm = await ActorSystem.start({ transport: network.transport('jm'), log });
  const components = spawnJobManagerComponents(jm, { ha: new StandaloneHaServices(), config, livePlan, slotRequestTimeoutMs: 10_000 });
  await components.dispatcherLeader.next();
  const tms = await Promise.all(['tm-a', 'tm-b'].map((name) => ActorSystem.start({ transport: network.transport(name), log })));
  tms.forEach((system, i) =>
    system.spawn(
      'taskexecutor',
      () =>
        new TaskExecutor({
          resourceId: `tm-${i}`,
          slots: 1,
          slotMode: 'inline',
          resourceManager: components.resourceManager.path,
          askTimeoutMs: 2_000,
          heartbeat: HEARTBEAT,
        }),
    ),
  );
  t.teardown(async () => {
    await Promise.all([jm, ...tms].map((s) => s.terminate()));
    await components.close();
  });
  await eventually(async () => {
    const overview = await jm.ask(components.resourceManager, { type: 'overview' }, 1000);
    if (overview.taskManagers !== 2) throw new Error(`waiting for both TaskManagers: ${JSON.stringify(overview)}`);
    return true;
  });

  // A slow source, so the job is still running when its TaskManager goes silent.
  const e = StreamExecutionEnvironment.getExecutionEnvironment(
    Configuration.fromRecord({ 'restart-strategy.type': 'fixed-delay', 'restart-strategy.fixed-delay.attempts': '3', 'restart-strategy.fixed-delay.delay': '500 ms' }),
  );
  e.setParallelism(1);
  // Slots run inline, in this thread: the sink keeps each attempt's records in an array here.
  const byAttempt = new Map<number, number[]>();
  e.fromGenerator((i) => i, 300, 300).sinkTo({
    createWriter: ({ attemptNumber }) => {
      const out: number[] = [];
      byAttempt.set(attemptNumber, out);
      return { write: (v: number) => void out.push(v), flush: async () => {}, close: async () => {} };
    },
  });
  const plan = e.plan('failover');
  registerLivePlan(plan.jobGraph.jobId, plan.streamGraph);
  t.teardown(() => unregisterLivePlan(plan.jobGraph.jobId));
  await jm.ask(components.dispatcher(), { type: 'submitJob', jobGraph: plan.jobGraph, artifact: { args: [] } }, 5_000);
  const jobId = plan.jobGraph.jobId;

  const running = await eventually(async () => {
    const listed = await jm.ask(components.resourceManager, { type: 'listTaskManagers' }, 1000);
    const holder = listed.find((tm) => tm.allocated.some((a) => a.jobId === jobId));
    if (holder === undefined) throw new Error('waiting for the job to get its slot');
    return holder;
  });
  const silent = running.resourceId === 'tm-0' ? tms[0]! : tms[1]!;
  network.partition(silent.endpoint);
  const lostAt = Date.now();
  await eventually(async () => {
    const jobs = await jm.ask(components.dispatcher(), { type: 'listJobs' }, 1000);
    return jobs.find((j) => j.jid === jobId)?.state === 'RESTARTING' ? true : undefined;
  }, 5_000, 'the job listed as RESTARTING');
  t.pass('the job is listed as RESTARTING while it waits for its restart');

  const result = (await jm.ask(components.dispatcher(), { type: 'requestJobResult', jobId }, 30_000)) as JobResult;
  t.equal(result.status, 'FINISHED');
  const last = Math.max(...byAttempt.keys());
  t.ok(last >= 1, 'the job was restarted');
  t.same(byAttempt.get(last), Array.from({ length: 300 }, (_, i) => i), 'every record once, from the attempt that finished');
  t.ok(Date.now() - lostAt >= HEARTBEAT.timeoutMs, 'not before the heartbeat timeout');
  const listed = await jm.ask(components.resourceManager, { type: 'listTaskManagers' }, 1000);
  t.same(
    listed.map((tm) => tm.resourceId),
    [running.resourceId === 'tm-0' ? 'tm-1' : 'tm-0'],
    'the silent TaskManager is no longer offered',
  );
});
