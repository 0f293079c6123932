/**
 * The REST routes of one job — details, status, plan, config, exceptions, a vertex's subtasks
 * and back pressure — over a JobManager's actors on the in-memory network with inline slots,
 * so the jobs are closures defined here.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { ActorSystem } from '../../src/actors/system/system.js';
import { livePlan, registerLivePlan, unregisterLivePlan } from '../../src/actors/task/plans.js';
import { TaskExecutor } from '../../src/actors/taskexecutor/task-executor.js';
import { Configuration } from '../../src/config/index.js';
import { StandaloneHaServices } from '../../src/ha/index.js';
import { StreamExecutionEnvironment, TumblingEventTimeWindows, WatermarkStrategy, type DataStream } from '../../src/index.js';
import { logger } from '../../src/log/index.js';
import { MemoryNetwork } from '../../src/net/index.js';
import { spawnJobManagerComponents } from '../../src/process/components.js';
import { RestServer } from '../../src/rest/server.js';
import { eventually } from '../helpers/process.js';

type Json = Record<string, unknown>;

async function cluster(t: Test) {
  const log = logger('job-routes-test');
  log.level = 'error';
  const config = Configuration.empty();
  const system = await ActorSystem.start({ transport: new MemoryNetwork().transport('jm'), log });
  const components = spawnJobManagerComponents(system, { ha: new StandaloneHaServices(), config, livePlan, slotRequestTimeoutMs: 10_000 });
  await components.dispatcherLeader.next();
  system.spawn(
    'taskexecutor',
    () =>
      new TaskExecutor({
        resourceId: 'tm-1',
        slots: 2,
        slotMode: 'inline',
        resourceManager: components.resourceManager.path,
        askTimeoutMs: 5_000,
        heartbeat: { intervalMs: 1_000, timeoutMs: 5_000 },
      }),
  );
  const rest = new RestServer({ system, dispatcher: components.dispatcher, resourceManager: components.resourceManager, configuration: config, version: 'test', askTimeoutMs: 5_000, log });
  const port = await rest.listen('127.0.0.1', 0);
  t.teardown(async () => {
    await rest.close();
    await system.terminate();
    await components.close();
  });
  const get = async (path: string): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: res.status, body: (await res.json()) as Json };
  };
  const post = async (path: string, body: unknown): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const submit = async (build: (env: StreamExecutionEnvironment) => DataStream<number>, settings: Record<string, string> = {}): Promise<string> => {
    const env = StreamExecutionEnvironment.getExecutionEnvironment(Configuration.fromRecord(settings));
    build(env).sinkTo({ createWriter: () => ({ write: () => {}, flush: async () => {}, close: async () => {} }) });
    const plan = env.plan('rest job');
    registerLivePlan(plan.jobGraph.jobId, plan.streamGraph);
    t.teardown(() => unregisterLivePlan(plan.jobGraph.jobId));
    await system.ask(components.dispatcher(), { type: 'submitJob', jobGraph: plan.jobGraph, artifact: { args: [] } }, 5_000);
    return plan.jobGraph.jobId;
  };
  return { get, post, submit };
}

t.test('a job that failed once and restarted shows its details, timestamps and exception history', async (t) => {
  const { get, post, submit } = await cluster(t);
  const jobId = await submit(
    (env) =>
      env.fromSequence(1, 100).map((x: number) => {
        if (x === 42 && !failedOnce) {
          failedOnce = true;
          throw new RangeError('forty-two is not allowed the first time');
        }
        return x;
      }),
    { 'restart-strategy.type': 'fixed-delay', 'restart-strategy.fixed-delay.delay': '10 ms' },
  );
  let failedOnce = false;
  await eventually(async () => ((await get(`/jobs/${jobId}/status`)).body['status'] === 'FINISHED' ? true : undefined), 10_000, 'the job to finish');

  const { status, body: job } = await get(`/jobs/${jobId}`);
  t.equal(status, 200);
  t.match(job, { jid: jobId, name: 'rest job', state: 'FINISHED', 'job-type': 'STREAMING', maxParallelism: 128, 'status-counts': { FINISHED: 1 } });
  const timestamps = job['timestamps'] as Record<string, number>;
  t.ok(timestamps['RESTARTING']! > 0 && timestamps['FINISHED']! >= timestamps['RESTARTING']!, 'went through RESTARTING before FINISHED');
  t.equal(timestamps['FAILED'], 0);
  const vertices = job['vertices'] as Json[];
  t.equal(vertices.length, 1);
  t.match(vertices[0], { status: 'FINISHED', parallelism: 1, tasks: { FINISHED: 1, RUNNING: 0 } });
  t.same((job['plan'] as Json)['jid'], jobId);

  const { body: exceptions } = await get(`/jobs/${jobId}/exceptions`);
  const entries = (exceptions['exceptionHistory'] as { entries: Json[] }).entries;
  t.equal(entries.length, 1);
  t.match(entries[0], { exceptionName: 'RangeError', stacktrace: /forty-two is not allowed/, taskManagerId: 'tm-1', taskName: /Map.*\(1\/1\)/ });
  t.match(exceptions['root-exception'], /forty-two/);

  const { body: config } = await get(`/jobs/${jobId}/config`);
  t.match(config, { jid: jobId, 'execution-config': { 'execution-mode': 'PIPELINED', 'restart-strategy': /fixed delay/, 'job-parallelism': 1 } });

  const vertexId = String(vertices[0]!['id']);
  const { body: vertex } = await get(`/jobs/${jobId}/vertices/${vertexId}`);
  t.match(vertex, { id: vertexId, parallelism: 1, subtasks: [{ subtask: 0, status: 'FINISHED', attempt: 1, 'taskmanager-id': 'tm-1' }] });

  t.equal((await get(`/jobs/${jobId}/vertices/nope`)).status, 404);
  t.equal((await get(`/jobs/${'0'.repeat(32)}`)).status, 404);
  t.equal((await get('/jobs/not-a-job-id/plan')).status, 400);
  t.match((await get(`/jobs/${jobId}/exceptions?maxExceptions=-1`)).body, { errors: [/maxExceptions/] });
  t.match(await post(`/jobs/${jobId}/stop`, { drain: 'yes' }), { status: 400, body: { errors: [/'drain' must be true or false/] } });
  t.match(await post(`/jobs/${jobId}/savepoints`, { 'target-directory': 42 }), { status: 400, body: { errors: [/target-directory must be a folder path/] } });
  t.equal((await get(`/jobs/${jobId}/checkpoints/config`)).status, 404, 'no checkpointing configured');
  t.match((await get(`/jobs/${jobId}/checkpoints`)).body, { counts: { total: 0, completed: 0 }, history: [] });
});

t.test('a fast source feeding a slow operator is reported back-pressured; the slow operator busy', async (t) => {
  const { get, submit } = await cluster(t);
  const jobId = await submit((env) =>
    env
      .fromGenerator((i) => i, 1_000_000)
      .rebalance()
      .map((x: number) => {
        // About 20 µs of work per record: slower than the source, yet short steps (slots run inline).
        const until = performance.now() + 0.02;
        while (performance.now() < until);
        return x;
      }),
  );
  const { body: job } = await eventually(async () => {
    const r = await get(`/jobs/${jobId}`);
    return (r.body['vertices'] as Json[]).every((v) => v['status'] === 'RUNNING') ? r : undefined;
  }, 10_000, 'every task running');
  const [source, slow] = (job['vertices'] as Json[]).map((v) => String(v['id']));
  const pressured = await eventually(async () => {
    const { body } = await get(`/jobs/${jobId}/vertices/${source}/backpressure`);
    return body['backpressureLevel'] === 'high' ? body : undefined;
  }, 15_000, 'the source to be reported back-pressured');
  t.match(pressured, { status: 'ok', 'backpressure-level': 'high', subtasks: [{ subtask: 0, backpressureLevel: 'high' }] });
  const ratio = (pressured['subtasks'] as Json[])[0]!['ratio'] as number;
  t.ok(ratio > 0.5 && ratio <= 1, `back-pressured ratio ${ratio}`);
  const busy = await eventually(async () => {
    const { body } = await get(`/jobs/${jobId}/vertices/${slow}/backpressure`);
    const sub = (body['subtasks'] as Json[])[0]!;
    return (sub['busyRatio'] as number) > 0.5 ? sub : undefined;
  }, 15_000, 'the slow operator to be reported busy');
  t.equal(busy['backpressureLevel'], 'ok', 'the slow operator itself is not back-pressured');
});

t.test('stop --drain ends the sources, fires every window, takes the savepoint and finishes the job', async (t) => {
  const { get, post, submit } = await cluster(t);
  const fired: number[] = [];
  let read = 0;
  // Event time is the record's own number (ms): an hour-long window never fires by itself.
  const jobId = await submit((env) =>
    env
      .fromGenerator((i) => i, 1_000_000_000, 5_000)
      .map((i: number) => (read++, i))
      .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((i) => i))
      .keyBy((i) => i % 3)
      .window(TumblingEventTimeWindows.of(3_600_000))
      .reduce((a, b) => a + b)
      .map((sum: number) => (fired.push(sum), sum)),
  );
  await eventually(async () => {
    const vertices = (await get(`/jobs/${jobId}`)).body['vertices'] as Json[];
    return vertices.every((v) => v['status'] === 'RUNNING') && read >= 10 ? true : undefined;
  }, 10_000, 'every task running, records of every key read');
  const target = t.testdir();
  const accepted = await post(`/jobs/${jobId}/stop`, { drain: true, targetDirectory: target });
  t.equal(accepted.status, 202);
  const done = await eventually(async () => {
    const { body } = await get(`/jobs/${jobId}/savepoints/${String(accepted.body['request-id'])}`);
    return (body['status'] as Json)['id'] === 'COMPLETED' ? body : undefined;
  }, 15_000, 'the savepoint');
  const location = String((done['operation'] as Json)['location']);
  t.ok(location.startsWith(target) && existsSync(join(location, '_metadata')), `the savepoint is at ${location}`);
  await eventually(async () => ((await get(`/jobs/${jobId}/status`)).body['status'] === 'FINISHED' ? true : undefined), 10_000, 'the job to finish');
  t.equal(fired.length, 3, 'each key\'s window fired once, at the end of event time');
  // The sources stopped after some prefix 0..n-1 of their records, all of which were counted.
  const total = fired.reduce((a, b) => a + b, 0);
  const n = Math.round((1 + Math.sqrt(1 + 8 * total)) / 2);
  t.equal((n * (n - 1)) / 2, total, `the windows hold exactly the first ${n} records`);
  t.equal(n, read, 'every record read before the drain is in a window');
  const stats = (await get(`/jobs/${jobId}/checkpoints`)).body;
  t.match(stats, { counts: { completed: 1 }, latest: { savepoint: { external_path: location } } });
});
