/**
 * The CheckpointCoordinator of one job (a child of its JobMaster): triggers a checkpoint every
 * `execution.checkpointing.interval` (one at a time, after `min-pause`), collects every task's
 * acknowledgement, writes `_metadata` last, tells the tasks the checkpoint is complete, keeps
 * `num-retained` checkpoints and removes the ones they subsume. A checkpoint that a task
 * declines, or that does not complete within `timeout`, is aborted. Savepoints go the same way
 * into a folder of their own and are never removed.
 *
 * Incremental checkpoints share state files (`<job's folder>/shared/`): the tasks' acks name
 * them, `_metadata` lists them, and a SharedStateRegistry counts the retained checkpoints that
 * reference each; a subsumed checkpoint drops its references, and a file goes at zero. A
 * checkpoint that does not complete takes with it the shared files no completed one references.
 * At the job's end the retained checkpoints stay, and with them every file they reference.
 *
 * The sources are triggered by the JobMaster, in the same turn in which it snapshots the split
 * enumerators: no split assignment can fall between the enumerators' state and the readers'.
 */
import { rm } from 'node:fs/promises';
import { Type } from '@sinclair/typebox';
import type { CheckpointingSettings } from '../../api/job-graph.js';
import type { CheckpointIdCounter } from '../../ha/index.js';
import { Actor } from '../system/actor.js';
import { defineProtocol, type Handlers } from '../system/protocol.js';
import type { ActorRef } from '../system/ref.js';
import { TaskProtocol } from '../taskexecutor/protocol.js';
import type { CheckpointBarrierInfo } from '../task/deployment.js';
import { CheckpointCoordinatorProtocol, type CheckpointStats, type CheckpointingStats, type TaskInfo } from './protocol.js';
import { SharedStateRegistry } from './shared-state.js';
import { checkpointDir, createFolder, discard, jobCheckpointsDir, removeUnfinished, sharedStateDir, writeMetadata, type CheckpointMetadata, type CompletedCheckpoint } from './storage.js';

export interface CheckpointCoordinatorSettings {
  readonly jobId: string;
  readonly checkpointing: CheckpointingSettings;
  readonly counter: CheckpointIdCounter;
  /** Vertex id → parallelism and max parallelism. */
  readonly vertices: Readonly<Record<string, { readonly parallelism: number; readonly maxParallelism: number }>>;
  /** Asks the JobMaster to trigger the sources of a checkpoint. */
  readonly trigger: (checkpointId: number, attempt: number, barrier: CheckpointBarrierInfo) => void;
  /** Fails the job (too many checkpoints failed in a row). */
  readonly failJob: (error: Error) => void;
  /** The checkpoint the job was submitted to start from (`runnel run -s`). */
  readonly initial?: CompletedCheckpoint;
}

const Internal = defineProtocol('checkpointcoordinator-internal', {
  tick: { request: Type.Object({}) },
  idReady: { request: Type.Object({ checkpointId: Type.Integer(), kind: Type.Union([Type.Literal('CHECKPOINT'), Type.Literal('SAVEPOINT')]), folder: Type.String(), error: Type.String() }) },
  expired: { request: Type.Object({ checkpointId: Type.Integer() }) },
  persisted: { request: Type.Object({ checkpointId: Type.Integer(), error: Type.String() }) },
});
type Spec = typeof CheckpointCoordinatorProtocol.spec & typeof Internal.spec;
const Protocol = defineProtocol('checkpointcoordinator', { ...CheckpointCoordinatorProtocol.spec, ...Internal.spec });

interface Pending {
  readonly checkpointId: number;
  readonly kind: 'CHECKPOINT' | 'SAVEPOINT';
  readonly folder: string;
  readonly attempt: number;
  readonly triggeredAt: number;
  readonly waiting: Set<string>;
  readonly files: Map<string, string | null>;
  /** The shared state files the acks named so far (checkpoints only). */
  readonly sharedFiles: Set<string>;
  /** Those of them the tasks uploaded for earlier checkpoints. */
  readonly reusedSharedFiles: Set<string>;
  enumerators: Record<string, unknown> | undefined;
  bytes: number;
  alignmentMs: number;
  latestAck: number;
  readonly perVertex: Map<string, { acknowledged: number; stateSize: number; latestAck: number }>;
  readonly onDone: Array<(error: Error | undefined, path: string, checkpointId: number) => void>;
  persisting: boolean;
  metadata: CheckpointMetadata | undefined;
  /** Taken when every task had reached the end of its data: the last one. */
  final: boolean;
}

/** How many finished checkpoints the statistics keep. */
const HISTORY = 10;
/** How many aborted checkpoints are remembered, so that what their late acks uploaded goes (as Flink's). */
const RECENTLY_ABORTED = 16;

export class CheckpointCoordinator extends Actor<Spec> {
  readonly protocol = Protocol;
  private readonly jobDir: string;
  private attempt = -1;
  private tasks: TaskInfo[] = [];
  private pending: Pending | undefined;
  /** Savepoints asked for while a checkpoint was pending. */
  private readonly queuedSavepoints: Array<{ targetDir: string | null; done: (error: Error | undefined, path: string, checkpointId: number) => void }> = [];
  /**
   * Stop with --drain: the savepoint taken once every task reached the end of its data
   * (`endOfDataEverywhere`), as the final checkpoint. No periodic checkpoint starts meanwhile.
   */
  private drain: { readonly targetDir: string; readonly done: (error: Error | undefined, path: string, checkpointId: number) => void } | undefined;
  private endOfDataEverywhere = false;
  private completed: CompletedCheckpoint[] = [];
  /** References from the completed checkpoints in `completed` to shared state files. */
  private readonly sharedState: SharedStateRegistry;
  /** Ids of checkpoints aborted lately, newest last. */
  private readonly recentlyAborted: number[] = [];
  private lastCompletedAt = 0;
  private readonly history: CheckpointStats[] = [];
  private counts = { total: 0, completed: 0, failed: 0 };
  private failuresInARow = 0;
  private readonly restored: CheckpointingStats['restored'];

  constructor(private readonly settings: CheckpointCoordinatorSettings) {
    super();
    this.jobDir = jobCheckpointsDir(settings.checkpointing.dir, settings.jobId);
    this.sharedState = new SharedStateRegistry({
      sharedDir: sharedStateDir(this.jobDir),
      remove: (path) => rm(path, { force: true }),
      warn: (message) => this.ctx.log.warn({ job: settings.jobId }, message),
    });
    const initial = settings.initial;
    if (initial !== undefined) {
      this.completed = [initial];
      // The files the job starts from are referenced until it is subsumed, as Flink registers a restored checkpoint.
      if (initial.metadata.kind === 'CHECKPOINT') this.sharedState.register(initial.metadata.checkpointId, initial.metadata.sharedFiles ?? []);
    }
    this.restored =
      initial === undefined
        ? null
        : { id: initial.metadata.checkpointId, restoreTimestamp: Date.now(), isSavepoint: initial.metadata.kind === 'SAVEPOINT', externalPath: initial.path };
  }

  override async preStart(): Promise<void> {
    // Checkpoint ids go on after the one the job restores (a savepoint of an earlier run).
    const initial = this.settings.initial;
    if (initial !== undefined && (await this.settings.counter.get()) <= initial.metadata.checkpointId) {
      await this.settings.counter.set(initial.metadata.checkpointId + 1);
    }
    // What an earlier JobManager left half-written is never restored from.
    const removed = await removeUnfinished(this.jobDir);
    for (const folder of removed) this.ctx.log.info({ job: this.settings.jobId }, `removed unfinished checkpoint ${folder}`);
  }

  /**
   * A pending checkpoint is aborted, as Flink's coordinator does when it shuts down; the
   * retained ones stay with their shared files. One whose `_metadata` is being written may be
   * complete on disk, so it stays too (if it is not, the next start removes its folder).
   */
  override async postStop(): Promise<void> {
    const pending = this.pending;
    if (pending === undefined || pending.persisting) return;
    this.pending = undefined;
    await this.discardPending(pending);
  }

  readonly receive: Handlers<Spec> = {
    attemptRunning: ({ attempt, tasks }) => {
      this.attempt = attempt;
      this.tasks = tasks;
      if (this.settings.checkpointing.intervalMs > 0) this.ctx.schedule('tick', this.settings.checkpointing.intervalMs, { type: 'tick' });
      this.startQueuedSavepoint();
    },
    attemptEnded: ({ attempt }) => {
      if (attempt !== this.attempt) return;
      this.attempt = -1;
      this.tasks = [];
      this.ctx.cancelSchedule('tick');
      if (this.pending !== undefined) this.abort(this.pending, 'the job attempt it belonged to ended', false);
      const drain = this.drain;
      this.drain = undefined;
      this.endOfDataEverywhere = false;
      drain?.done(new Error('the job attempt ended before every task reached the end of its data'), '', 0);
    },
    tick: () => {
      const { intervalMs, minPauseMs } = this.settings.checkpointing;
      if (this.attempt < 0 || this.drain !== undefined) return;
      const wait = this.lastCompletedAt + minPauseMs - Date.now();
      if (this.pending === undefined && wait <= 0) this.start('CHECKPOINT', null, undefined);
      this.ctx.schedule('tick', Math.max(intervalMs, wait), { type: 'tick' });
    },
    triggerSavepoint: ({ targetDir, stop, drain }) =>
      new Promise((resolve, reject) => {
        const done = (error: Error | undefined, path: string, checkpointId: number): void => {
          if (error !== undefined) {
            reject(error);
            return;
          }
          // Stop with savepoint: nothing may complete after the savepoint, or a restore from it
          // would replay what a later checkpoint already committed.
          if (stop) this.stopTriggering();
          resolve({ checkpointId, path });
        };
        const dir = targetDir ?? this.settings.checkpointing.savepointDir;
        if (dir === null) {
          reject(new Error('No savepoint folder: give one (runnel savepoint <id> DIR, or target-directory) or set execution.checkpointing.savepoint-dir.'));
          return;
        }
        if (drain === true) {
          if (this.attempt < 0 || this.drain !== undefined) {
            reject(new Error(this.drain !== undefined ? 'The job is already being stopped with --drain.' : 'The job is not running.'));
            return;
          }
          this.drain = { targetDir: dir, done };
          this.ctx.cancelSchedule('tick');
          this.startQueuedSavepoint();
        } else if (this.attempt < 0 || this.pending !== undefined) {
          this.queuedSavepoints.push({ targetDir: dir, done });
        } else {
          this.start('SAVEPOINT', dir, done);
        }
      }),
    idReady: ({ checkpointId, kind, folder, error }) => {
      const pending = this.pending;
      if (pending === undefined || pending.checkpointId !== -1) {
        // Given up while its folder was being made (the attempt failed): nothing will use it.
        if (error === '' && folder !== '') void discard(folder);
        return;
      }
      if (error !== '') {
        this.pending = undefined;
        this.fail(pending, error);
        return;
      }
      const barrier: CheckpointBarrierInfo = { checkpointId, timestamp: pending.triggeredAt, kind, targetDir: folder, traceContext: '' };
      const started: Pending = { ...pending, checkpointId, folder };
      this.pending = started;
      this.counts.total++;
      this.ctx.schedule(`expire`, this.settings.checkpointing.timeoutMs, { type: 'expired', checkpointId });
      this.settings.trigger(checkpointId, started.attempt, barrier);
    },
    checkpointTriggered: ({ checkpointId, enumerators, final }) => {
      const pending = this.pending;
      if (pending?.checkpointId !== checkpointId) return;
      pending.enumerators = enumerators;
      pending.final = final;
      this.completeIfDone(pending);
    },
    checkpointNotTriggered: ({ checkpointId, reason }) => {
      const pending = this.pending;
      // Not a failure of the checkpoint (tasks not all running yet): it does not count.
      if (pending?.checkpointId === checkpointId) this.abort(pending, reason, false);
    },
    triggerNow: ({ attempt }) => {
      if (attempt !== this.attempt) return;
      this.endOfDataEverywhere = true;
      if (this.drain !== undefined) this.startQueuedSavepoint();
      else if (this.pending === undefined) this.start('CHECKPOINT', null, undefined);
    },
    acknowledge: (ack) => {
      const pending = this.pending;
      if (pending?.checkpointId !== ack.checkpointId) {
        this.discardLateAck(ack.checkpointId, ack.sharedFiles ?? []);
        return;
      }
      if (!pending.waiting.delete(ack.executionId)) return;
      const task = this.tasks.find((t) => t.executionId === ack.executionId);
      if (task === undefined) return;
      pending.files.set(`${task.vertexId}#${task.subtask}`, ack.file);
      if (ack.sharedFiles !== undefined && ack.sharedFiles.length > 0) {
        // A savepoint is self-contained and canonical: it can share nothing with a checkpoint.
        if (pending.kind === 'SAVEPOINT') this.ctx.log.warn({ job: this.settings.jobId, checkpoint: pending.checkpointId, task: ack.executionId }, 'a savepoint acknowledgement named shared state files; they are ignored');
        else {
          for (const path of ack.sharedFiles) pending.sharedFiles.add(path);
          for (const path of ack.reusedSharedFiles ?? []) pending.reusedSharedFiles.add(path);
        }
      }
      pending.bytes += ack.bytes;
      pending.alignmentMs = Math.max(pending.alignmentMs, ack.alignmentMs);
      pending.latestAck = Date.now();
      const v = pending.perVertex.get(task.vertexId) ?? { acknowledged: 0, stateSize: 0, latestAck: 0 };
      v.acknowledged++;
      v.stateSize += ack.bytes;
      v.latestAck = pending.latestAck;
      pending.perVertex.set(task.vertexId, v);
      this.completeIfDone(pending);
    },
    decline: ({ checkpointId, executionId, reason }) => {
      const pending = this.pending;
      if (pending?.checkpointId === checkpointId) this.abort(pending, `task ${executionId} declined it: ${reason}`);
    },
    expired: ({ checkpointId }) => {
      const pending = this.pending;
      if (pending?.checkpointId === checkpointId && !pending.persisting) {
        this.abort(pending, `it did not complete within ${this.settings.checkpointing.timeoutMs} ms (execution.checkpointing.timeout)`);
      }
    },
    persisted: ({ checkpointId, error }) => {
      const pending = this.pending;
      if (pending?.checkpointId !== checkpointId) return;
      this.pending = undefined;
      this.ctx.cancelSchedule('expire');
      if (error !== '') {
        this.fail(pending, `its metadata could not be written: ${error}`);
        void this.discardPending(pending);
        return;
      }
      this.complete(pending);
      this.startQueuedSavepoint();
    },
    latestCompleted: () => {
      const latest = this.completed.at(-1);
      return latest === undefined ? null : { checkpointId: latest.metadata.checkpointId, path: latest.path, metadata: latest.metadata };
    },
    requestStats: () => ({
      counts: { restored: this.restored === null ? 0 : 1, total: this.counts.total, inProgress: this.pending !== undefined && this.pending.checkpointId > 0 ? 1 : 0, completed: this.counts.completed, failed: this.counts.failed },
      history: [...(this.pending !== undefined && this.pending.checkpointId > 0 ? [this.stats(this.pending, 'IN_PROGRESS', null)] : []), ...this.history],
      restored: this.restored,
    }),
  };

  private start(kind: 'CHECKPOINT' | 'SAVEPOINT', savepointDir: string | null, done: ((error: Error | undefined, path: string, checkpointId: number) => void) | undefined): void {
    const waiting = new Set(this.tasks.map((t) => t.executionId));
    // Until the id is known the pending checkpoint is a placeholder (id -1).
    this.pending = {
      checkpointId: -1,
      kind,
      folder: '',
      attempt: this.attempt,
      triggeredAt: Date.now(),
      waiting,
      files: new Map(),
      sharedFiles: new Set(),
      reusedSharedFiles: new Set(),
      enumerators: undefined,
      bytes: 0,
      alignmentMs: 0,
      latestAck: 0,
      perVertex: new Map(),
      onDone: done === undefined ? [] : [done],
      persisting: false,
      metadata: undefined,
      final: false,
    };
    const id = this.settings.counter.getAndIncrement();
    const folder = id.then(async (checkpointId) => {
      const path = kind === 'SAVEPOINT' ? `${savepointDir}/savepoint-${this.settings.jobId.slice(0, 6)}-${checkpointId}-${Date.now().toString(36)}` : checkpointDir(this.jobDir, checkpointId);
      await createFolder(path);
      return { checkpointId, path };
    });
    this.ctx.pipeToSelf(folder, (r) =>
      r.ok
        ? { type: 'idReady', checkpointId: r.value.checkpointId, kind, folder: r.value.path, error: '' }
        : { type: 'idReady', checkpointId: 0, kind, folder: '', error: r.error.message },
    );
  }

  private stopTriggering(): void {
    this.attempt = -1;
    this.tasks = [];
    this.ctx.cancelSchedule('tick');
  }

  private startQueuedSavepoint(): void {
    if (this.pending !== undefined || this.attempt < 0) return;
    const drain = this.drain;
    if (drain !== undefined) {
      // Nothing else starts while draining; the savepoint itself once every task is at the end.
      if (!this.endOfDataEverywhere) return;
      this.drain = undefined;
      this.start('SAVEPOINT', drain.targetDir, drain.done);
      return;
    }
    const next = this.queuedSavepoints.shift();
    if (next !== undefined) this.start('SAVEPOINT', next.targetDir, next.done);
  }

  private completeIfDone(pending: Pending): void {
    if (pending.waiting.size > 0 || pending.enumerators === undefined || pending.persisting) return;
    // A task reuses the files of the last checkpoint it heard complete. Had it not heard of a
    // later one yet, a file it reuses may have gone with the checkpoint that later one subsumed.
    const gone = [...pending.reusedSharedFiles].filter((path) => this.sharedState.references(path) === 0);
    if (gone.length > 0) {
      this.abort(
        pending,
        `it references ${gone.length} shared state file(s) that no retained checkpoint references any more (${gone[0]}): ` +
          'a task reused the files of a checkpoint it did not yet know was subsumed; the tasks upload them again for the next checkpoint',
      );
      return;
    }
    pending.persisting = true;
    const metadata: CheckpointMetadata = {
      version: 1,
      jobId: this.settings.jobId,
      checkpointId: pending.checkpointId,
      kind: pending.kind,
      timestamp: pending.triggeredAt,
      vertices: Object.fromEntries(
        Object.entries(this.settings.vertices).map(([id, v]) => [
          id,
          { ...v, files: Array.from({ length: v.parallelism }, (_, i) => pending.files.get(`${id}#${i}`) ?? null) },
        ]),
      ),
      enumerators: pending.enumerators,
      ...(pending.sharedFiles.size === 0 ? {} : { sharedFiles: [...pending.sharedFiles].sort() }),
    };
    pending.metadata = metadata;
    this.ctx.pipeToSelf(writeMetadata(pending.folder, metadata), (r) => ({ type: 'persisted', checkpointId: pending.checkpointId, error: r.ok ? '' : r.error.message }));
  }

  private complete(pending: Pending): void {
    const metadata = pending.metadata!;
    const now = Date.now();
    this.lastCompletedAt = now;
    this.counts.completed++;
    this.failuresInARow = 0;
    this.record(this.stats(pending, 'COMPLETED', null));
    this.ctx.log.info(
      { job: this.settings.jobId, checkpoint: pending.checkpointId, bytes: pending.bytes, ms: now - pending.triggeredAt },
      `Completed ${pending.kind === 'SAVEPOINT' ? 'savepoint' : 'checkpoint'} ${pending.checkpointId} for job ${this.settings.jobId} (${pending.bytes} bytes, ${now - pending.triggeredAt} ms).`,
    );
    for (const task of this.tasks) this.ctx.tell(this.taskRef(task), { type: 'notifyCheckpointComplete', checkpointId: pending.checkpointId });
    for (const done of pending.onDone) done(undefined, pending.folder, pending.checkpointId);
    // The tasks finish now: nothing more to checkpoint.
    if (pending.final) this.stopTriggering();
    if (pending.kind === 'SAVEPOINT') return;
    this.completed.push({ metadata, path: pending.folder, bytes: pending.bytes, completedAt: now });
    // Its references count before the subsumed ones' are dropped: a file both share stays.
    this.sharedState.register(pending.checkpointId, metadata.sharedFiles ?? []);
    // Subsumed checkpoints go (savepoints are never in this list, and are the user's), and
    // with them the shared files no retained checkpoint references.
    while (this.completed.length > this.settings.checkpointing.numRetained) {
      const old = this.completed.shift()!;
      if (old.path.startsWith(this.jobDir)) void discard(old.path);
      void this.sharedState.unregister(old.metadata.checkpointId);
    }
  }

  /** Gives up a pending checkpoint; `counts`: whether it counts towards the tolerable failures. */
  private abort(pending: Pending, reason: string, counts = true): void {
    this.pending = undefined;
    this.ctx.cancelSchedule('expire');
    for (const task of this.tasks) if (pending.checkpointId > 0) this.ctx.tell(this.taskRef(task), { type: 'notifyCheckpointAborted', checkpointId: pending.checkpointId });
    void this.discardPending(pending);
    this.fail(pending, reason, counts);
    this.startQueuedSavepoint();
  }

  /**
   * Removes what a checkpoint that will never complete left behind: its folder, and the shared
   * files uploaded for it alone (those no completed checkpoint references). Never rejects.
   */
  private discardPending(pending: Pending): Promise<unknown> {
    if (pending.kind === 'CHECKPOINT' && pending.checkpointId > 0) {
      this.recentlyAborted.push(pending.checkpointId);
      if (this.recentlyAborted.length > RECENTLY_ABORTED) this.recentlyAborted.shift();
    }
    return Promise.all([pending.folder === '' ? undefined : discard(pending.folder), this.sharedState.discardUnregistered(pending.checkpointId, pending.sharedFiles)]);
  }

  /**
   * An ack that came after its checkpoint was aborted: the shared files it uploaded for that
   * checkpoint alone go, as Flink discards a late ack's state. A file the pending checkpoint's
   * acks named stays, whatever it was uploaded for.
   */
  private discardLateAck(checkpointId: number, sharedFiles: readonly string[]): void {
    if (!this.recentlyAborted.includes(checkpointId)) return;
    // The task may have written into the checkpoint's folder after it was removed.
    void discard(checkpointDir(this.jobDir, checkpointId));
    if (sharedFiles.length === 0) return;
    const pendingFiles = this.pending?.sharedFiles;
    void this.sharedState.discardUnregistered(
      checkpointId,
      sharedFiles.filter((path) => pendingFiles?.has(path) !== true),
    );
  }

  private fail(pending: Pending, reason: string, counts = true): void {
    this.counts.failed++;
    if (counts) this.failuresInARow++;
    this.record(this.stats(pending, 'FAILED', reason));
    this.ctx.log.warn({ job: this.settings.jobId, checkpoint: pending.checkpointId }, `Checkpoint ${pending.checkpointId} of job ${this.settings.jobId} failed: ${reason}`);
    const error = new Error(`${pending.kind === 'SAVEPOINT' ? 'Savepoint' : 'Checkpoint'} ${pending.checkpointId} failed: ${reason}`);
    for (const done of pending.onDone) done(error, '', pending.checkpointId);
    if (pending.kind === 'CHECKPOINT' && this.failuresInARow > this.settings.checkpointing.tolerableFailures) {
      this.failuresInARow = 0;
      this.settings.failJob(
        new Error(
          `Exceeded checkpoint tolerable failure threshold (execution.checkpointing.tolerable-failed-checkpoints: ${this.settings.checkpointing.tolerableFailures}); the last: ${reason}`,
        ),
      );
    }
  }

  private record(stats: CheckpointStats): void {
    this.history.unshift(stats);
    if (this.history.length > HISTORY) this.history.pop();
  }

  private stats(p: Pending, status: CheckpointStats['status'], failure: string | null): CheckpointStats {
    return {
      id: p.checkpointId,
      status,
      isSavepoint: p.kind === 'SAVEPOINT',
      triggerTimestamp: p.triggeredAt,
      latestAckTimestamp: p.latestAck,
      stateSize: p.bytes,
      endToEndDuration: (status === 'IN_PROGRESS' ? Date.now() : p.latestAck || Date.now()) - p.triggeredAt,
      alignmentMs: p.alignmentMs,
      numSubtasks: this.tasks.length,
      numAcknowledgedSubtasks: this.tasks.length - p.waiting.size,
      externalPath: status === 'COMPLETED' ? p.folder : null,
      failureMessage: failure,
      tasks: Object.fromEntries(
        Object.entries(this.settings.vertices).map(([id, v]) => {
          const got = p.perVertex.get(id);
          return [id, { acknowledged: got?.acknowledged ?? 0, subtasks: v.parallelism, stateSize: got?.stateSize ?? 0, latestAckTimestamp: got?.latestAck ?? 0 }];
        }),
      ),
    };
  }

  private taskRef(task: TaskInfo): ActorRef<typeof TaskProtocol.spec> {
    return this.ctx.system.ref(TaskProtocol, task.task);
  }
}
