/**
 * The task side of checkpoints, without a JobMaster: tasks run in a WorkerRuntime (inline), the
 * test triggers a checkpoint at the source tasks, collects the acknowledgements, and deploys a
 * second run restored from the files they name — at the same parallelism and at another one.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { JobGraph } from '../../../src/api/job-graph.js';
import type { CheckpointBarrierInfo, FromWorker, TaskDeployment, TaskRestore } from '../../../src/actors/task/deployment.js';
import { registerLivePlan, unregisterLivePlan } from '../../../src/actors/task/plans.js';
import { readStateFile } from '../../../src/actors/task/state-files.js';
import { WorkerRuntime } from '../../../src/actors/task/worker-runtime.js';
import type { Committer, Sink, SinkWriter } from '../../../src/connectors/index.js';
import { isPointwise, pointwiseTargets } from '../../../src/operators/partitioners.js';
import { env } from '../../helpers/jobs.js';
import { eventually } from '../../helpers/process.js';
import { control, CountingSource, type CountingSplit } from './counting-source.js';

interface Sum {
  readonly key: number;
  readonly sum: number;
}

/** The latest running sum per key, as the sink saw it, and how many it saw. */
const latest = new Map<number, number>();
let written = 0;

class LatestSink implements Sink<Sum> {
  createWriter(): SinkWriter<Sum> {
    return {
      write: (v) => {
        latest.set(v.key, v.sum);
        written++;
      },
      flush: () => {},
      close: () => {},
    };
  }
}

const KEYS = 7;
const SPLITS: CountingSplit[] = [0, 1, 2, 3].map((i) => ({ splitId: `s${i}`, next: i * 1000, end: (i + 1) * 1000 }));

function plan(sourceParallelism: number, sumParallelism: number, checkpointing = false) {
  const e = env(sumParallelism);
  e.setMaxParallelism(16);
  // Far longer than any test: checkpoints come only from the test's triggers.
  if (checkpointing) e.enableCheckpointing(3_600_000);
  e.fromSource(new CountingSource(), undefined, 'numbers')
    .uid('numbers')
    .setParallelism(sourceParallelism)
    .map((n: number): Sum => ({ key: n % KEYS, sum: n }))
    .setParallelism(sourceParallelism)
    .keyBy((s) => s.key)
    .reduce((a, b) => ({ key: a.key, sum: a.sum + b.sum }))
    .uid('sums')
    .sinkTo(new LatestSink());
  return e.plan('checkpointed sums');
}

/** Every subtask of every vertex in one slot, connected by local channels. */
function deployments(job: JobGraph, restore: ReadonlyMap<string, TaskRestore> = new Map()): TaskDeployment[] {
  const here = { taskManager: 'tm', slot: 0 };
  const parallelism = new Map(job.vertices.map((v) => [v.id, v.parallelism]));
  const id = (edge: string, from: number, to: number): { id: string; peer: typeof here } => ({ id: `${job.jobId}/${edge}[${from}->${to}]`, peer: here });
  const result: TaskDeployment[] = [];
  for (const v of job.vertices) {
    for (let i = 0; i < v.parallelism; i++) {
      const inputs = job.edges
        .filter((e) => e.targetVertex === v.id)
        .map((e) => {
          const up = parallelism.get(e.sourceVertex)!;
          const from = Array.from({ length: up }, (_, j) => j).filter((j) => !isPointwise(e.partitioner) || pointwiseTargets(j, up, v.parallelism).includes(i));
          return { edgeId: e.id, input: e.typeNumber === 2 ? 1 : 0, channels: from.map((j) => id(e.id, j, i)) };
        });
      const outputs = job.edges
        .filter((e) => e.sourceVertex === v.id)
        .map((e) => {
          const down = parallelism.get(e.targetVertex)!;
          const to = isPointwise(e.partitioner) ? pointwiseTargets(i, v.parallelism, down) : Array.from({ length: down }, (_, j) => j);
          return { edgeId: e.id, channels: to.map((j) => id(e.id, i, j)) };
        });
      const r = restore.get(v.id);
      result.push({
        jobId: job.jobId,
        vertexId: v.id,
        taskName: `${v.name} (${i + 1}/${v.parallelism})`,
        subtaskIndex: i,
        parallelism: v.parallelism,
        attemptNumber: 0,
        executionId: `${v.id.slice(0, 24)}${String(i).padStart(8, '0')}`,
        inputs,
        outputs,
        ...(r !== undefined ? { restore: r } : {}),
      });
    }
  }
  return result;
}

interface Run {
  readonly worker: WorkerRuntime;
  readonly messages: FromWorker[];
  readonly tasks: TaskDeployment[];
  readonly job: JobGraph;
}

function start(t: Test, p: ReturnType<typeof plan>, restore?: ReadonlyMap<string, TaskRestore>): Run {
  const job = p.jobGraph;
  registerLivePlan(job.jobId, p.streamGraph);
  const messages: FromWorker[] = [];
  const worker = new WorkerRuntime({ taskManager: 'tm', slot: 0 }, (m) => messages.push(m));
  t.teardown(async () => {
    await worker.shutdown();
    unregisterLivePlan(job.jobId);
  });
  worker.handle({ type: 'job', jobGraph: job, artifact: { args: [] } });
  const tasks = deployments(job, restore);
  for (const d of tasks) worker.handle({ type: 'deploy', deployment: d });
  return { worker, messages, tasks, job };
}

const sources = (run: Run): TaskDeployment[] => run.tasks.filter((d) => d.inputs.length === 0);

function states(run: Run, state: string): number {
  return run.messages.filter((m) => m.type === 'state' && m.state === state).length;
}

async function finished(run: Run): Promise<void> {
  await eventually(() => {
    const failed = run.messages.find((m) => m.type === 'state' && m.state === 'FAILED');
    if (failed !== undefined) throw new Error(`a task failed: ${JSON.stringify(failed)}`);
    return states(run, 'FINISHED') === run.tasks.length ? true : undefined;
  }, 10_000, 'every task to finish');
}

/** Triggers checkpoint `id` at the sources and resolves with the files per vertex, by subtask. */
async function checkpoint(run: Run, id: number, dir: string, final = false): Promise<Map<string, TaskRestore>> {
  const barrier: CheckpointBarrierInfo = {
    checkpointId: id,
    timestamp: Date.now(),
    kind: 'CHECKPOINT',
    targetDir: join(dir, `chk-${id}`),
    traceContext: '',
    ...(final ? { final } : {}),
  };
  // The coordinator makes the checkpoint's folder before the barrier goes out.
  mkdirSync(barrier.targetDir, { recursive: true });
  for (const d of sources(run)) run.worker.handle({ type: 'triggerCheckpoint', executionId: d.executionId, barrier });
  const acks = await eventually(() => {
    const declined = run.messages.find((m) => m.type === 'declineCheckpoint');
    if (declined !== undefined) throw new Error(`declined: ${JSON.stringify(declined)}`);
    const got = run.messages.flatMap((m) => (m.type === 'acknowledgeCheckpoint' && m.checkpointId === id ? [m] : []));
    return got.length === run.tasks.length ? got : undefined;
  }, 10_000, `every task to acknowledge checkpoint ${id}`);
  const restore = new Map<string, TaskRestore>();
  for (const v of run.job.vertices) {
    const files = run.tasks
      .filter((d) => d.vertexId === v.id)
      .sort((a, b) => a.subtaskIndex - b.subtaskIndex)
      .map((d) => acks.find((a) => a.executionId === d.executionId)!.file);
    restore.set(v.id, { checkpointId: id, files });
  }
  return restore;
}

function expectedSums(): Map<number, number> {
  const sums = new Map<number, number>();
  for (let n = 0; n < 4000; n++) sums.set(n % KEYS, (sums.get(n % KEYS) ?? 0) + n);
  return sums;
}

/** Run 1: two readers with two splits each; a checkpoint after 300 records per reader, then 300 more. */
async function firstRun(t: Test, dir: string): Promise<Map<string, TaskRestore>> {
  latest.clear();
  written = 0;
  control.reset(300);
  const run = start(t, plan(2, 2));
  sources(run).forEach((d, i) => {
    run.worker.handle({ type: 'addSplits', executionId: d.executionId, splits: SPLITS.slice(i * 2, i * 2 + 2) });
    run.worker.handle({ type: 'noMoreSplits', executionId: d.executionId });
  });
  await eventually(() => (written === 600 ? true : undefined), 10_000, 'the first 600 records');
  const restore = await checkpoint(run, 1, dir);
  // Records after the checkpoint: processed now, then lost with this run, and read again.
  control.raise(600);
  await eventually(() => (written === 1200 ? true : undefined), 10_000, '600 records more');
  return restore;
}

t.test('a restored run continues with exactly the state and positions of the checkpoint', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-chk-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const restore = await firstRun(t, dir);

  const files = [...restore.values()].flatMap((r) => r.files);
  t.equal(files.length, 4);
  t.ok(files.every((f) => f !== null && f.startsWith(join(dir, 'chk-1'))), 'every task wrote a file into the checkpoint folder');
  t.match(await readStateFile(files[0]!), { format: 'runnel-task-state', version: 2, checkpointId: 1 });

  latest.clear();
  written = 0;
  control.reset(Number.POSITIVE_INFINITY);
  const run = start(t, plan(2, 2), restore);
  for (const d of sources(run)) run.worker.handle({ type: 'noMoreSplits', executionId: d.executionId });
  await finished(run);
  t.equal(written, 4000 - 600, 'the second run reads from where the checkpoint was: 3400 records');
  t.same(latest, expectedSums(), 'and ends with the sums over every record, each counted once');
});

t.test('a run restored at another parallelism redistributes key groups and splits', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-chk-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const restore = await firstRun(t, dir);

  latest.clear();
  written = 0;
  control.reset(Number.POSITIVE_INFINITY);
  const run = start(t, plan(1, 3), restore);
  t.equal(run.tasks.length, 4, 'one reader and three summing subtasks now');
  for (const d of sources(run)) run.worker.handle({ type: 'noMoreSplits', executionId: d.executionId });
  await finished(run);
  t.equal(written, 3400, 'the one reader got all four splits back at their positions');
  t.same(latest, expectedSums(), 'and every key group found its subtask');
});

t.test('the source snapshot holds each split with its position', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-chk-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const restore = await firstRun(t, dir);
  const numbers = plan(2, 2).jobGraph.vertices.find((v) => v.isSource)!;
  const first = await readStateFile(restore.get(numbers.id)!.files[0]!);
  const snapshot = Object.values(first.operators).find((o) => o.splits !== undefined);
  t.same(snapshot?.splits, [
    { splitId: 's0', next: 300, end: 1000 },
    { splitId: 's1', next: 1000, end: 2000 },
  ]);
});

t.test('a missing or corrupt state file fails the task with an error naming the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-chk-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const corrupt = join(dir, 'corrupt');
  writeFileSync(corrupt, Buffer.from([0xff, 0x00, 0x13]));
  control.reset(Number.POSITIVE_INFINITY);
  const p = plan(1, 1);
  const sums = p.jobGraph.vertices.find((v) => !v.isSource)!;
  const numbers = p.jobGraph.vertices.find((v) => v.isSource)!;
  const missing = join(dir, 'nowhere');
  const run = start(
    t,
    p,
    new Map([
      [sums.id, { checkpointId: 3, files: [corrupt] }],
      [numbers.id, { checkpointId: 3, files: [missing] }],
    ]),
  );
  const failures = await eventually(() => {
    const f = run.messages.flatMap((m) => (m.type === 'state' && m.state === 'FAILED' ? [m.error?.message ?? ''] : []));
    return f.length === 2 ? f : undefined;
  }, 5000, 'both tasks to fail');
  t.ok(failures.some((m) => m.includes(corrupt)), 'the corrupt file is named');
  t.ok(failures.some((m) => m.includes(missing) && /does not exist/.test(m)), 'the missing file is named');
});

t.test('a trigger for a task that is not a running source is declined', async (t) => {
  control.reset(0);
  const run = start(t, plan(1, 1));
  const sum = run.tasks.find((d) => d.inputs.length > 0)!;
  await eventually(() => (states(run, 'RUNNING') === 2 ? true : undefined), 5000, 'both tasks running');
  const barrier: CheckpointBarrierInfo = { checkpointId: 9, timestamp: 0, kind: 'CHECKPOINT', targetDir: tmpdir(), traceContext: '' };
  run.worker.handle({ type: 'triggerCheckpoint', executionId: sum.executionId, barrier });
  run.worker.handle({ type: 'triggerCheckpoint', executionId: 'f'.repeat(32), barrier });
  const declined = run.messages.filter((m) => m.type === 'declineCheckpoint');
  t.equal(declined.length, 2);
  t.match(declined[0], { checkpointId: 9, reason: /not a source task/ });
  t.match(declined[1], { checkpointId: 9, reason: /not running/ });
});

t.test('after the end of data, barriers still reach every task; only the final checkpoint ends them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-chk-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  latest.clear();
  control.reset(1000);
  const run = start(t, plan(1, 1, true));
  const [source] = sources(run);
  run.worker.handle({ type: 'addSplits', executionId: source!.executionId, splits: [SPLITS[0]!] });
  run.worker.handle({ type: 'noMoreSplits', executionId: source!.executionId });
  await eventually(() => (run.messages.filter((m) => m.type === 'endOfData').length === 2 ? true : undefined), 5000, 'both tasks at the end of their data');
  // The JobMaster may trigger a checkpoint that is not the final one at a source already at its
  // end (it had not heard of the end yet): its barrier must still reach the task downstream.
  await checkpoint(run, 1, dir);
  for (const d of run.tasks) run.worker.handle({ type: 'notifyCheckpointComplete', executionId: d.executionId, checkpointId: 1 });
  await checkpoint(run, 2, dir, true);
  t.equal(states(run, 'FINISHED'), 0, 'a checkpoint that is not the final one ends no task');
  for (const d of run.tasks) run.worker.handle({ type: 'notifyCheckpointComplete', executionId: d.executionId, checkpointId: 2 });
  await finished(run);
  const sums = new Map<number, number>();
  for (let n = 0; n < 1000; n++) sums.set(n % KEYS, (sums.get(n % KEYS) ?? 0) + n);
  t.same(latest, sums, 'every record reached the sink before the end');
});

// ---- two-phase commit ----------------------------------------------------------------------------

const committed: string[][] = [];
class TwoPhaseSink implements Sink<number, string> {
  createWriter(): SinkWriter<number, string> {
    let open: number[] = [];
    return {
      write: (n) => void open.push(n),
      flush: async () => {},
      prepareCommit: async (id) => {
        const c = open.length > 0 ? [`chk${id}:${open.length}`] : [];
        open = [];
        return c;
      },
      close: () => {},
    };
  }
  createCommitter(): Committer<string> {
    return {
      commit: async (c) => void committed.push([...c]),
      close: () => {},
    };
  }
}

t.test('a two-phase-commit sink commits on completion, and re-commits what a restored checkpoint holds', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-chk-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const build = () => {
    const e = env(1);
    e.fromSource(new CountingSource(), undefined, 'numbers').uid('numbers').sinkTo(new TwoPhaseSink());
    return e.plan('two-phase');
  };
  committed.length = 0;
  control.reset(250);
  const run = start(t, build());
  const [source] = sources(run);
  run.worker.handle({ type: 'addSplits', executionId: source!.executionId, splits: [SPLITS[0]!] });
  await eventually(() => (control.emitted >= 250 ? true : undefined), 5000, '250 records');
  const restore = await checkpoint(run, 4, dir);
  t.same(committed, [], 'nothing is committed before the checkpoint completes');
  run.worker.handle({ type: 'notifyCheckpointComplete', executionId: source!.executionId, checkpointId: 4 });
  await eventually(() => (committed.length === 1 ? true : undefined), 5000, 'the commit');
  t.same(committed, [['chk4:250']]);

  committed.length = 0;
  start(t, build(), restore);
  await eventually(() => (committed.length === 1 ? true : undefined), 5000, 'the commit on restore');
  t.same(committed, [['chk4:250']], 'the restored committables are committed again (commits are idempotent)');
});
