/**
 * The CheckpointCoordinator on its own: the test plays the JobMaster (it triggers the sources)
 * and the tasks (they acknowledge or decline), and checks what lands on disk.
 */
import t, { type Test } from 'tap';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Actor, ActorSystem, type Handlers } from '../../../src/actors/system/index.js';
import { CheckpointCoordinator } from '../../../src/actors/checkpoint/coordinator.js';
import type { CheckpointCoordinatorSpec, TaskInfo } from '../../../src/actors/checkpoint/protocol.js';
import { METADATA_FILE, readMetadata, removeUnfinished } from '../../../src/actors/checkpoint/storage.js';
import { TaskProtocol, type TaskSpec } from '../../../src/actors/taskexecutor/protocol.js';
import type { CheckpointBarrierInfo } from '../../../src/actors/task/deployment.js';
import type { CheckpointingSettings } from '../../../src/api/job-graph.js';
import { StandaloneHaServices } from '../../../src/ha/index.js';
import type { ActorRef } from '../../../src/actors/system/ref.js';
import { MemoryNetwork } from '../../../src/net/index.js';
import { eventually } from '../../helpers/process.js';

const JOB = 'a'.repeat(32);

/** A task that records the notifications it gets. */
class FakeTask extends Actor<TaskSpec> {
  readonly protocol = TaskProtocol;
  constructor(private readonly seen: string[]) {
    super();
  }
  readonly receive: Handlers<TaskSpec> = {
    cancel: () => {},
    addSplits: () => {},
    noMoreSplits: () => {},
    sourceEvent: () => {},
    triggerCheckpoint: () => {},
    notifyCheckpointComplete: ({ checkpointId }) => void this.seen.push(`complete ${checkpointId}`),
    notifyCheckpointAborted: ({ checkpointId }) => void this.seen.push(`aborted ${checkpointId}`),
    drain: () => {},
  };
}

async function setUp(t: Test, checkpointing: Partial<CheckpointingSettings>, respond: 'ack' | 'decline' | 'silent' = 'ack') {
  // A folder of the test's own, removed only after the coordinator stopped writing into it.
  const dir = mkdtempSync(join(tmpdir(), 'runnel-coordinator-test-'));
  const system = await ActorSystem.start({ transport: new MemoryNetwork().transport('jm') });
  t.teardown(async () => {
    await system.terminate();
    rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  });
  const seen: string[] = [];
  const tasks: TaskInfo[] = ['source', 'sink'].flatMap((vertexId) =>
    [0, 1].map((subtask) => {
      const ref = system.spawn(`${vertexId}-${subtask}`, () => new FakeTask(seen));
      return { executionId: `${vertexId}-${subtask}`, vertexId, subtask, isSource: vertexId === 'source', task: ref.path };
    }),
  );
  const triggered: CheckpointBarrierInfo[] = [];
  const failures: string[] = [];
  let coordinator!: ActorRef<CheckpointCoordinatorSpec>;
  let mode = respond;
  const settings: CheckpointingSettings = { intervalMs: 0, mode: 'EXACTLY_ONCE', timeoutMs: 10_000, minPauseMs: 0, numRetained: 2, tolerableFailures: 10, dir, savepointDir: null, ...checkpointing };
  coordinator = system.spawn('checkpointcoordinator', () =>
    new CheckpointCoordinator({
      jobId: JOB,
      checkpointing: settings,
      counter: new StandaloneHaServices().checkpointIdCounter(JOB),
      vertices: { source: { parallelism: 2, maxParallelism: 128 }, sink: { parallelism: 2, maxParallelism: 128 } },
      failJob: (error) => failures.push(error.message),
      trigger: (checkpointId, _attempt, barrier) => {
        triggered.push(barrier);
        system.tell(coordinator, { type: 'checkpointTriggered', checkpointId, enumerators: { source: { pending: [checkpointId] } }, final: false });
        for (const task of tasks) {
          if (mode === 'silent') continue;
          if (mode === 'decline' && task.vertexId === 'sink') {
            system.tell(coordinator, { type: 'decline', executionId: task.executionId, checkpointId, reason: 'no space left' });
            continue;
          }
          // Each task writes its state file into the barrier's folder, as the task runtime does.
          const file = join(barrier.targetDir, `${task.vertexId}-${task.subtask}`);
          writeFileSync(file, `state of ${task.executionId} at ${checkpointId}`);
          system.tell(coordinator, { type: 'acknowledge', executionId: task.executionId, checkpointId, file, bytes: 20, alignmentMs: 1, syncMs: 1, asyncMs: 1 });
        }
      },
    }),
  );
  system.tell(coordinator, { type: 'attemptRunning', attempt: 0, tasks });
  return { system, coordinator, dir, triggered, seen, failures, setMode: (m: typeof respond) => (mode = m) };
}

t.test('periodic checkpoints complete with _metadata written last, tasks are notified, and only num-retained stay', async (t) => {
  const { system, coordinator, dir, seen } = await setUp(t, { intervalMs: 30, numRetained: 2 });
  const stats = await eventually(async () => {
    const s = await system.ask(coordinator, { type: 'requestStats' }, 1000);
    return s.counts.completed >= 4 ? s : undefined;
  }, 10_000, 'four completed checkpoints');
  t.equal(stats.counts.failed, 0);
  t.match(stats.history[0], { status: /COMPLETED|IN_PROGRESS/, numSubtasks: 4 });
  const latest = await system.ask(coordinator, { type: 'latestCompleted' }, 1000);
  t.ok(latest !== null);
  const folders = readdirSync(join(dir, JOB)).filter((f) => f.startsWith('chk-'));
  t.ok(folders.length <= 3, `subsumed checkpoints removed (${folders.join(', ')})`);
  const restored = await readMetadata(latest!.path);
  t.equal(restored.metadata.checkpointId, latest!.checkpointId);
  t.same(restored.metadata.enumerators, { source: { pending: [latest!.checkpointId] } });
  t.same(restored.metadata.vertices['sink']!.files, [join(latest!.path, 'sink-0'), join(latest!.path, 'sink-1')], 'state files resolved against the folder');
  t.ok(seen.includes('complete 1') && seen.filter((s) => s === 'complete 1').length === 4, 'every task heard that checkpoint 1 completed');
});

t.test('a declined checkpoint is aborted and its folder removed; past the tolerable failures the job is failed', async (t) => {
  const { system, coordinator, dir, seen, failures } = await setUp(t, { intervalMs: 30, tolerableFailures: 1 }, 'decline');
  await eventually(() => (failures.length > 0 ? true : undefined), 10_000, 'the job failed');
  t.match(failures[0], /tolerable failure threshold.*no space left/);
  const stats = await system.ask(coordinator, { type: 'requestStats' }, 1000);
  t.ok(stats.counts.failed >= 2);
  t.match(stats.history.find((c) => c.status === 'FAILED'), { failureMessage: /declined it: no space left/ });
  t.ok(seen.some((s) => s.startsWith('aborted')), 'tasks are told to drop what they prepared');
  await eventually(() => (readdirSync(join(dir, JOB)).filter((f) => f.startsWith('chk-')).length === 0 ? true : undefined), 5_000, 'aborted folders removed');
  t.equal(await system.ask(coordinator, { type: 'latestCompleted' }, 1000), null);
});

t.test('a checkpoint that does not complete within the timeout is aborted', async (t) => {
  const { system, coordinator } = await setUp(t, { intervalMs: 20, timeoutMs: 50, tolerableFailures: 100 }, 'silent');
  const stats = await eventually(async () => {
    const s = await system.ask(coordinator, { type: 'requestStats' }, 1000);
    return s.counts.failed >= 1 ? s : undefined;
  }, 10_000, 'an expired checkpoint');
  t.match(stats.history.find((c) => c.status === 'FAILED'), { failureMessage: /did not complete within 50 ms/ });
});

t.test('a savepoint goes to its own folder, is kept, and does not count as the latest checkpoint', async (t) => {
  const { system, coordinator } = await setUp(t, { intervalMs: 0 });
  const target = join(t.testdir(), 'savepoints');
  mkdirSync(target);
  const { path, checkpointId } = await system.ask(coordinator, { type: 'triggerSavepoint', targetDir: target, stop: false }, 10_000);
  t.ok(path.startsWith(target));
  t.ok(existsSync(join(path, METADATA_FILE)));
  t.equal((await readMetadata(path)).metadata.kind, 'SAVEPOINT');
  t.equal((await readMetadata(path)).metadata.checkpointId, checkpointId);
  t.equal(await system.ask(coordinator, { type: 'latestCompleted' }, 1000), null);
  await t.rejects(system.ask(coordinator, { type: 'triggerSavepoint', targetDir: null, stop: false }, 10_000), /savepoint-dir/);
});

t.test('after a savepoint taken to stop the job, no checkpoint is triggered any more', async (t) => {
  const { system, coordinator, triggered } = await setUp(t, { intervalMs: 20 });
  await eventually(() => (triggered.length >= 2 ? true : undefined), 5_000, 'periodic checkpoints');
  const target = join(t.testdir(), 'sp');
  mkdirSync(target);
  const { checkpointId } = await system.ask(coordinator, { type: 'triggerSavepoint', targetDir: target, stop: true }, 10_000);
  const count = triggered.length;
  t.equal(triggered.at(-1)!.checkpointId, checkpointId, 'the savepoint was the last thing triggered');
  // Several intervals later, still nothing new.
  await new Promise((resolve) => setTimeout(resolve, 150));
  t.equal(triggered.length, count);
});

t.test('stop --drain: no checkpoint starts while the tasks drain; the savepoint comes once all reached the end', async (t) => {
  const { system, coordinator, triggered } = await setUp(t, { intervalMs: 20 });
  await eventually(() => (triggered.length >= 2 ? true : undefined), 5_000, 'periodic checkpoints');
  const target = join(t.testdir(), 'drained');
  mkdirSync(target);
  const savepoint = system.ask(coordinator, { type: 'triggerSavepoint', targetDir: target, stop: true, drain: true }, 10_000);
  await t.rejects(system.ask(coordinator, { type: 'triggerSavepoint', targetDir: target, stop: true, drain: true }, 10_000), /already being stopped with --drain/);
  // A checkpoint under way when the drain began may still complete; nothing starts after it.
  await eventually(async () => ((await system.ask(coordinator, { type: 'requestStats' }, 1000)).counts.inProgress === 0 ? true : undefined), 5_000, 'no checkpoint in progress');
  const count = triggered.length;
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.equal(triggered.length, count, 'several intervals pass without a checkpoint');
  system.tell(coordinator, { type: 'triggerNow', attempt: 0 });
  const { path, checkpointId } = await savepoint;
  t.match(triggered.at(-1), { checkpointId, kind: 'SAVEPOINT' }, 'every task at the end of its data: the savepoint is triggered');
  t.ok(path.startsWith(target) && existsSync(join(path, METADATA_FILE)));
});

t.test('stop --drain fails when the job attempt ends before every task drained', async (t) => {
  const { system, coordinator } = await setUp(t, { intervalMs: 0 });
  const target = join(t.testdir(), 'drained');
  mkdirSync(target);
  const savepoint = system.ask(coordinator, { type: 'triggerSavepoint', targetDir: target, stop: true, drain: true }, 10_000);
  system.tell(coordinator, { type: 'attemptEnded', attempt: 0 });
  await t.rejects(savepoint, /attempt ended before every task reached the end of its data/);
});

t.test('unfinished checkpoint folders (no _metadata) are removed; metadata errors name the path', async (t) => {
  const dir = t.testdir({ 'chk-1': { 'v-0': 'x', _metadata: 'not cbor at all \u00ff' }, 'chk-2': { 'v-0': 'half written' }, other: {} });
  const removed = await removeUnfinished(dir);
  t.same(removed, [join(dir, 'chk-2')]);
  t.ok(existsSync(join(dir, 'chk-1')) && existsSync(join(dir, 'other')));
  await t.rejects(readMetadata(join(dir, 'chk-1')), /corrupt|not a Runnel checkpoint/);
  await t.rejects(readMetadata(join(dir, 'nope')), /No checkpoint or savepoint at .*nope/);
  const halfWritten = t.testdir({ 'chk-7': { 'v-0': 'state written, metadata never' } });
  await t.rejects(readMetadata(join(halfWritten, 'chk-7')), /No checkpoint or savepoint at .*chk-7/, 'a checkpoint without _metadata is never restored from');
});
