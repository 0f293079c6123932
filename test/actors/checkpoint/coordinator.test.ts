/**
 * The CheckpointCoordinator on its own: the test plays the JobMaster (it triggers the sources)
 * and the tasks (they acknowledge or decline), and checks what lands on disk.
 */
import t, { type Test } from 'tap';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Actor, ActorSystem, type Handlers } from '../../../src/actors/system/index.js';
import { CheckpointCoordinator } from '../../../src/actors/checkpoint/coordinator.js';
import { CheckpointCoordinatorProtocol, type CheckpointCoordinatorSpec, type TaskInfo } from '../../../src/actors/checkpoint/protocol.js';
import { METADATA_FILE, METADATA_VERSION, readMetadata, removeUnfinished, writeMetadata, type CheckpointMetadata } from '../../../src/actors/checkpoint/storage.js';
import { TaskProtocol, type TaskSpec } from '../../../src/actors/taskexecutor/protocol.js';
import type { CheckpointBarrierInfo } from '../../../src/actors/task/deployment.js';
import type { CheckpointingSettings } from '../../../src/api/job-graph.js';
import { StandaloneHaServices } from '../../../src/ha/index.js';
import type { ActorRef } from '../../../src/actors/system/ref.js';
import { MemoryNetwork } from '../../../src/net/index.js';
import { decode, encode } from '../../../src/net/codec.js';
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

/**
 * How the fake tasks respond to a checkpoint: all acknowledge; the sinks decline; nobody
 * answers; or the sources acknowledge and the sinks do not answer (yet).
 */
type Respond = 'ack' | 'decline' | 'silent' | 'sourcesOnly';

/**
 * `sharedFiles`: the shared state files (names under `<job's folder>/shared/`) a task's state
 * references at a checkpoint, as an incremental snapshot would name them; the task uploads
 * (writes) those not there yet before it acknowledges.
 */
async function setUp(t: Test, checkpointing: Partial<CheckpointingSettings>, respond: Respond = 'ack', sharedFiles?: (checkpointId: number, task: TaskInfo) => string[]) {
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
          if (mode === 'silent' || (mode === 'sourcesOnly' && !task.isSource)) continue;
          if (mode === 'decline' && task.vertexId === 'sink') {
            system.tell(coordinator, { type: 'decline', executionId: task.executionId, checkpointId, reason: 'no space left' });
            continue;
          }
          // Each task writes its state file into the barrier's folder, as the task runtime does.
          const file = join(barrier.targetDir, `${task.vertexId}-${task.subtask}`);
          writeFileSync(file, `state of ${task.executionId} at ${checkpointId}`);
          const shared = sharedFiles?.(checkpointId, task).map((name) => join(dir, JOB, 'shared', name));
          for (const path of shared ?? []) if (!existsSync(path)) writeFileSync(path, `uploaded by ${task.executionId} at ${checkpointId}`);
          system.tell(coordinator, { type: 'acknowledge', executionId: task.executionId, checkpointId, file, bytes: 20, alignmentMs: 1, syncMs: 1, asyncMs: 1, ...(shared === undefined ? {} : { sharedFiles: shared }) });
        }
      },
    }),
  );
  if (sharedFiles !== undefined) mkdirSync(join(dir, JOB, 'shared'), { recursive: true });
  system.tell(coordinator, { type: 'attemptRunning', attempt: 0, tasks });
  /** Takes one checkpoint now (no periodic ones run with interval 0) and waits until `n` completed. */
  const checkpoint = async (n: number): Promise<void> => {
    system.tell(coordinator, { type: 'triggerNow', attempt: 0 });
    await eventually(async () => ((await system.ask(coordinator, { type: 'requestStats' }, 1000)).counts.completed === n ? true : undefined), 5_000, `checkpoint ${n} completed`);
  };
  return { system, coordinator, dir, tasks, triggered, seen, failures, checkpoint, setMode: (m: Respond) => (mode = m) };
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

/** The shared files of an incremental checkpoint: each task uploads one and reuses its previous one; source-0 also reuses one from the start. */
const incremental = (checkpointId: number, task: TaskInfo): string[] => {
  const name = `${task.vertexId}-${task.subtask}`;
  return [...(task.executionId === 'source-0' ? ['base.sst'] : []), `${name}-${checkpointId}.sst`, ...(checkpointId > 1 ? [`${name}-${checkpointId - 1}.sst`] : [])];
};

t.test('incremental checkpoints: a shared file goes once no retained checkpoint references it, and _metadata lists them', async (t) => {
  const { dir, tasks, checkpoint } = await setUp(t, { intervalMs: 0, numRetained: 2 }, 'ack', incremental);
  const shared = (name: string): string => join(dir, JOB, 'shared', name);
  for (const n of [1, 2, 3, 4]) await checkpoint(n);
  // Checkpoints 1 and 2 are subsumed by 3 and 4. <task>-1 was referenced by 1 and 2 only.
  await eventually(() => (tasks.every((task) => !existsSync(shared(`${task.executionId}-1.sst`))) ? true : undefined), 5_000, 'the files of checkpoints 1 and 2 alone removed');
  await eventually(() => (!existsSync(join(dir, JOB, 'chk-1')) && !existsSync(join(dir, JOB, 'chk-2')) ? true : undefined), 5_000, 'subsumed folders removed');
  for (const task of tasks) {
    for (const c of [2, 3, 4]) t.ok(existsSync(shared(`${task.executionId}-${c}.sst`)), `${task.executionId}-${c}.sst is referenced by a retained checkpoint`);
  }
  t.ok(existsSync(shared('base.sst')), 'a file every checkpoint reused stays');

  const chk4 = join(dir, JOB, 'chk-4');
  const expected = [shared('base.sst'), ...tasks.flatMap((task) => [shared(`${task.executionId}-3.sst`), shared(`${task.executionId}-4.sst`)])].sort();
  t.same((await readMetadata(chk4)).metadata.sharedFiles, expected, '_metadata lists every shared file the acks named, read back absolute');
  const raw = decode(readFileSync(join(chk4, METADATA_FILE))) as CheckpointMetadata;
  t.same(raw.sharedFiles, expected.map((path) => path.slice(join(dir, JOB).length + 1)), 'written relative to the job folder');
  t.match(raw.sharedFiles![0], /^shared\//);
});

t.test('an aborted checkpoint takes the shared files uploaded for it alone, and so does an ack that comes late', async (t) => {
  const { system, coordinator, dir, checkpoint, setMode } = await setUp(t, { intervalMs: 0, numRetained: 1 }, 'ack', incremental);
  const shared = (name: string): string => join(dir, JOB, 'shared', name);
  await checkpoint(1);
  // Checkpoint 2: the sources upload <source>-2 and reuse base and <source>-1; the sinks decline.
  setMode('decline');
  system.tell(coordinator, { type: 'triggerNow', attempt: 0 });
  const stats = await eventually(async () => {
    const s = await system.ask(coordinator, { type: 'requestStats' }, 1000);
    return s.counts.failed === 1 ? s : undefined;
  }, 5_000, 'checkpoint 2 aborted');
  t.match(stats.history[0], { id: 2, status: 'FAILED', failureMessage: /declined it/ });
  await eventually(() => (!existsSync(shared('source-0-2.sst')) && !existsSync(shared('source-1-2.sst')) ? true : undefined), 5_000, 'the aborted checkpoint’s uploads removed');
  for (const name of ['base.sst', 'source-0-1.sst', 'source-1-1.sst', 'sink-0-1.sst', 'sink-1-1.sst']) t.ok(existsSync(shared(name)), `${name} (checkpoint 1's) stays`);

  // A task that acknowledges checkpoint 2 after it was aborted.
  writeFileSync(shared('sink-0-2.sst'), 'uploaded late');
  system.tell(coordinator, { type: 'acknowledge', executionId: 'sink-0', checkpointId: 2, file: null, bytes: 0, alignmentMs: 0, syncMs: 0, asyncMs: 0, sharedFiles: [shared('sink-0-2.sst'), shared('sink-0-1.sst')] });
  await eventually(() => (!existsSync(shared('sink-0-2.sst')) ? true : undefined), 5_000, 'the late upload removed');
  t.ok(existsSync(shared('sink-0-1.sst')), 'what the late ack reused from checkpoint 1 stays');

  // The next checkpoint completes and subsumes 1: what only 1 referenced goes now.
  setMode('ack');
  await checkpoint(2);
  await eventually(() => (!existsSync(shared('source-0-1.sst')) ? true : undefined), 5_000, 'checkpoint 1’s files removed once subsumed');
  t.ok(existsSync(shared('base.sst')) && existsSync(shared('source-0-3.sst')), 'the retained checkpoint’s files stay');
});

t.test('at the job’s end the retained checkpoints keep their shared files; the pending one’s uploads go', async (t) => {
  const { system, coordinator, dir, tasks, checkpoint, setMode } = await setUp(t, { intervalMs: 0, numRetained: 2 }, 'ack', incremental);
  const shared = (name: string): string => join(dir, JOB, 'shared', name);
  const sourcesAcknowledged = () =>
    eventually(async () => {
      const latest = (await system.ask(coordinator, { type: 'requestStats' }, 1000)).history[0];
      return latest?.status === 'IN_PROGRESS' && latest.numAcknowledgedSubtasks === 2 ? true : undefined;
    }, 5_000, 'the sources acknowledged');
  await checkpoint(1);
  // Checkpoint 2 is pending (the sources acknowledged) when the attempt ends: cancel, finish, fail or fail over.
  setMode('sourcesOnly');
  system.tell(coordinator, { type: 'triggerNow', attempt: 0 });
  await sourcesAcknowledged();
  t.ok(existsSync(shared('source-0-2.sst')));
  system.tell(coordinator, { type: 'attemptEnded', attempt: 0 });
  await eventually(() => (!existsSync(shared('source-0-2.sst')) && !existsSync(shared('source-1-2.sst')) ? true : undefined), 5_000, 'the pending checkpoint’s uploads removed');
  t.ok(existsSync(join(dir, JOB, 'chk-1', METADATA_FILE)), 'the retained checkpoint stays');
  t.same((await readMetadata(join(dir, JOB, 'chk-1'))).metadata.sharedFiles!.filter((path) => !existsSync(path)), [], 'with every file it references');

  // The next attempt runs; the coordinator stops while its checkpoint is pending.
  system.tell(coordinator, { type: 'attemptRunning', attempt: 1, tasks });
  system.tell(coordinator, { type: 'triggerNow', attempt: 1 });
  await eventually(() => (existsSync(shared('source-0-3.sst')) ? true : undefined), 5_000, 'checkpoint 3 triggered');
  await sourcesAcknowledged();
  await system.stop(coordinator);
  t.notOk(existsSync(shared('source-0-3.sst')) || existsSync(shared('source-1-3.sst')), 'stopping the coordinator aborted the pending checkpoint and removed its uploads');
  t.notOk(existsSync(join(dir, JOB, 'chk-3')));
  t.same((await readMetadata(join(dir, JOB, 'chk-1'))).metadata.sharedFiles!.filter((path) => !existsSync(path)), [], 'the retained checkpoint keeps its files');
});

t.test('a checkpoint that reuses a shared file no retained checkpoint references any more fails; the next one completes', async (t) => {
  const { system, coordinator, dir, tasks, triggered, checkpoint, setMode } = await setUp(t, { intervalMs: 0, numRetained: 1 }, 'ack', incremental);
  const shared = (name: string): string => join(dir, JOB, 'shared', name);
  for (const n of [1, 2, 3]) await checkpoint(n);
  // source-0-1.sst was referenced by checkpoints 1 and 2, both subsumed now.
  await eventually(() => (!existsSync(shared('source-0-1.sst')) ? true : undefined), 5_000, 'the files no retained checkpoint references removed');

  // Checkpoint 4: source-0 heard of checkpoint 1's completion only, and reuses a file of it.
  setMode('silent');
  system.tell(coordinator, { type: 'triggerNow', attempt: 0 });
  const barrier = await eventually(() => triggered.find((b) => b.checkpointId === 4), 5_000, 'checkpoint 4 triggered');
  for (const task of tasks) {
    const stale = task.executionId === 'source-0' ? [shared('source-0-1.sst')] : [];
    const file = join(barrier.targetDir, `${task.vertexId}-${task.subtask}`);
    writeFileSync(file, 'state');
    system.tell(coordinator, {
      type: 'acknowledge', executionId: task.executionId, checkpointId: 4, file, bytes: 1, alignmentMs: 0, syncMs: 0, asyncMs: 0,
      sharedFiles: [...stale, shared(`${task.executionId}-4.sst`)],
      ...(stale.length > 0 ? { reusedSharedFiles: stale } : {}),
    });
  }
  const stats = await eventually(async () => {
    const s = await system.ask(coordinator, { type: 'requestStats' }, 1000);
    return s.counts.failed === 1 ? s : undefined;
  }, 5_000, 'checkpoint 4 refused');
  t.match(stats.history[0], { id: 4, status: 'FAILED', failureMessage: /shared state file\(s\) that no retained checkpoint references any more .*source-0-1\.sst/ });
  t.equal((await system.ask(coordinator, { type: 'latestCompleted' }, 1000))?.checkpointId, 3, 'checkpoint 3 stays the latest');

  // Reusing what the retained checkpoint references is fine.
  setMode('ack');
  await checkpoint(4);
});

t.test('a savepoint’s acks naming shared files do not make them part of it, nor remove them', async (t) => {
  const { system, coordinator, dir } = await setUp(t, { intervalMs: 0 }, 'ack', incremental);
  const target = join(t.testdir(), 'savepoints');
  mkdirSync(target);
  const { path } = await system.ask(coordinator, { type: 'triggerSavepoint', targetDir: target, stop: false }, 10_000);
  t.equal((await readMetadata(path)).metadata.sharedFiles, undefined);
  t.ok(existsSync(join(dir, JOB, 'shared', 'source-0-1.sst')));
});

t.test('_metadata names shared files under the job folder relative to it, others absolute; metadata without them still reads', async (t) => {
  const jobDir = t.testdir({ 'chk-9': {}, 'chk-10': {}, 'chk-11': {} });
  const base: CheckpointMetadata = { version: METADATA_VERSION, jobId: JOB, checkpointId: 9, kind: 'CHECKPOINT', timestamp: 1, vertices: { v: { parallelism: 1, maxParallelism: 128, files: [null] } }, enumerators: {} };
  const sharedFiles = [join(jobDir, 'shared', 'a.sst'), '/elsewhere/shared/b.sst'];
  await writeMetadata(join(jobDir, 'chk-9'), { ...base, sharedFiles });
  t.same((decode(readFileSync(join(jobDir, 'chk-9', METADATA_FILE))) as CheckpointMetadata).sharedFiles, ['shared/a.sst', '/elsewhere/shared/b.sst']);
  t.same((await readMetadata(join(jobDir, 'chk-9'))).metadata.sharedFiles, sharedFiles, 'read back absolute');

  await writeMetadata(join(jobDir, 'chk-10'), base);
  t.equal((await readMetadata(join(jobDir, 'chk-10'))).metadata.sharedFiles, undefined, 'a full checkpoint, or metadata from before, has none');
  t.notOk('sharedFiles' in (await readMetadata(join(jobDir, 'chk-10'))).metadata);

  writeFileSync(join(jobDir, 'chk-11', METADATA_FILE), encode({ ...base, sharedFiles: ['shared/a.sst', 7] }));
  await t.rejects(readMetadata(join(jobDir, 'chk-11')), /metadata of .*chk-11' is corrupt: sharedFiles is not a list of paths/);
});

t.test('an acknowledgement with shared files that are not a list of paths is refused before dispatch', async (t) => {
  const ack = { executionId: 'e', checkpointId: 1, file: null, bytes: 0, alignmentMs: 0, syncMs: 0, asyncMs: 0 };
  t.equal(CheckpointCoordinatorProtocol.checkRequest('acknowledge', ack), undefined, 'absent: a full checkpoint');
  t.equal(CheckpointCoordinatorProtocol.checkRequest('acknowledge', { ...ack, sharedFiles: ['/c/job/shared/a.sst'] }), undefined);
  t.match(CheckpointCoordinatorProtocol.checkRequest('acknowledge', { ...ack, sharedFiles: '/c/job/shared/a.sst' }), /^\/sharedFiles: Expected array/);
  t.match(CheckpointCoordinatorProtocol.checkRequest('acknowledge', { ...ack, sharedFiles: ['/a', 3] }), /^\/sharedFiles\/1: Expected string/);
  t.match(CheckpointCoordinatorProtocol.checkRequest('acknowledge', { ...ack, sharedFiles: [''] }), /^\/sharedFiles\/0: .*length/);
});
