/**
 * A task's part of a checkpoint. The synchronous part runs on the task's thread between two
 * batches: every operator of the chain copies its state, then the barrier goes downstream on
 * every output, after the records written before it. A sink that must flush first returns a
 * promise; the task then pauses (no records, no timers) until it settles, so nothing
 * overtakes the barrier. The asynchronous part encodes the chain's snapshot once, writes it
 * durably and acknowledges; a failure anywhere declines the checkpoint and the task runs on.
 */
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { BarrierInfo, RecordWriter } from '../../net/channels/index.js';
import type { OperatorSnapshot } from '../../operators/operator.js';
import { DeferredKeyedSnapshot } from '../../state/index.js';
import { sharedStateDir } from '../checkpoint/storage.js';
import type { ChainedOperator } from './chain.js';
import type { FromWorker, TaskDeployment } from './deployment.js';
import { STATE_FILE_FORMAT, STATE_FILE_VERSION, stateFileChunks, stateFileName, writeStateFileFrom } from './state-files.js';

/** What the checkpointing part needs from its task. */
export interface CheckpointingTask {
  readonly deployment: TaskDeployment;
  chain(): readonly ChainedOperator[];
  writers(): readonly RecordWriter[];
  report(message: FromWorker): void;
  /** Whether the task still runs (it may have failed or been cancelled while paused). */
  running(): boolean;
  /** Stops processing until resume(). */
  pause(): void;
  resume(): void;
  /** A failure that is the task's, not the checkpoint's (a commit that failed). */
  fail(error: unknown): void;
  now(): number;
}

type Snapshots = Array<readonly [operatorId: string, snapshot: OperatorSnapshot | undefined]>;

/** Gives up snapshots still to be read (a RocksDB iterator or local copy each) of a checkpoint that will not be written. */
function discardDeferred(snapshots: Iterable<readonly [string, OperatorSnapshot | undefined]>): void {
  for (const [, s] of snapshots) if (s?.keyed instanceof DeferredKeyedSnapshot) s.keyed.discard();
}

/** What the asynchronous part wrote. */
interface Persisted {
  readonly file: string | null;
  readonly bytes: number;
  readonly sharedFiles: readonly string[];
  readonly reusedSharedFiles: readonly string[];
}

export class TaskCheckpoints {
  /** Commits under way (sinks committing on notifyCheckpointComplete). */
  private readonly commits = new Set<Promise<unknown>>();
  constructor(private readonly task: CheckpointingTask) {}

  /**
   * Snapshots the chain and forwards the barrier. True when the task was paused for a sink's
   * flush: the caller must stop processing until it resumes.
   */
  perform(barrier: BarrierInfo, alignmentMs: number): boolean {
    const started = this.task.now();
    const id = barrier.checkpointId;
    let results: Array<readonly [string, OperatorSnapshot | undefined | Promise<OperatorSnapshot | undefined>]>;
    try {
      results = [];
      for (const c of this.task.chain()) results.push([c.node.operatorId, c.operator.snapshotState?.(id)] as const);
    } catch (err) {
      discardDeferred(results!.filter((r): r is readonly [string, OperatorSnapshot | undefined] => !(r[1] instanceof Promise)));
      this.forward(barrier);
      this.decline(id, err);
      return false;
    }
    if (!results.some(([, r]) => r instanceof Promise)) {
      this.forward(barrier);
      this.persist(barrier, results as Snapshots, alignmentMs, this.task.now() - started);
      return false;
    }
    this.task.pause();
    Promise.all(results.map(async ([opId, r]) => [opId, await r] as const)).then(
      (snapshots) => {
        if (!this.task.running()) {
          discardDeferred(snapshots);
          return;
        }
        this.forward(barrier);
        this.task.resume();
        this.persist(barrier, snapshots, alignmentMs, this.task.now() - started);
      },
      (err: unknown) => {
        if (!this.task.running()) return;
        this.forward(barrier);
        this.task.resume();
        this.decline(id, err);
      },
    );
    return true;
  }

  /** Downstream gets the barrier even when this task declines, so that it does not stay blocked. */
  private forward(barrier: BarrierInfo): void {
    for (const w of this.task.writers()) w.broadcastEvent({ kind: 'barrier', barrier });
  }

  private persist(barrier: BarrierInfo, snapshots: Snapshots, alignmentMs: number, syncMs: number): void {
    const started = this.task.now();
    this.write(barrier, snapshots).then(
      ({ file, bytes, sharedFiles, reusedSharedFiles }) =>
        this.task.report({
          type: 'acknowledgeCheckpoint',
          executionId: this.task.deployment.executionId,
          checkpointId: barrier.checkpointId,
          file,
          bytes,
          alignmentMs,
          syncMs,
          asyncMs: this.task.now() - started,
          ...(sharedFiles.length > 0 ? { sharedFiles } : {}),
          ...(reusedSharedFiles.length > 0 ? { reusedSharedFiles } : {}),
        }),
      (err: unknown) => this.decline(barrier.checkpointId, err),
    );
  }

  /**
   * Writes the chain's snapshots: keyed state that can be written incrementally is, for a
   * checkpoint (never a savepoint, which is canonical and self-contained); the rest goes into
   * the task's state file. `bytes` counts what was written for this checkpoint.
   */
  private async write(barrier: BarrierInfo, snapshots: Snapshots): Promise<Persisted> {
    const d = this.task.deployment;
    const operators: Record<string, OperatorSnapshot> = {};
    for (const [opId, snapshot] of snapshots) if (snapshot !== undefined) operators[opId] = snapshot;
    const ids = Object.keys(operators);
    if (ids.length === 0) return { file: null, bytes: 0, sharedFiles: [], reusedSharedFiles: [] };
    const sharedFiles: string[] = [];
    const reusedSharedFiles: string[] = [];
    let uploaded = 0;
    const file = stateFileName(d.vertexId, d.subtaskIndex);
    try {
      for (const id of ids) {
        const keyed = operators[id]!.keyed;
        if (barrier.kind !== 'CHECKPOINT' || !(keyed instanceof DeferredKeyedSnapshot) || keyed.upload === undefined) continue;
        const upload = await keyed.upload({
          checkpointId: barrier.checkpointId,
          checkpointDir: barrier.targetDir,
          sharedDir: sharedStateDir(dirname(barrier.targetDir)),
          name: `${file}-${id}`,
        });
        operators[id] = { ...operators[id], keyed: upload.handle };
        sharedFiles.push(...upload.sharedFiles);
        reusedSharedFiles.push(...upload.reusedSharedFiles);
        uploaded += upload.bytesWritten;
      }
      const state = { format: STATE_FILE_FORMAT, version: STATE_FILE_VERSION, checkpointId: barrier.checkpointId, vertexId: d.vertexId, subtaskIndex: d.subtaskIndex, parallelism: d.parallelism, operators } as const;
      const written = await writeStateFileFrom(barrier.targetDir, file, stateFileChunks(state, undefined, barrier.targetDir));
      return { file: written.path, bytes: written.bytes + uploaded, sharedFiles, reusedSharedFiles };
    } catch (err) {
      // Snapshots not read yet still hold RocksDB iterators or local copies; files uploaded for
      // this checkpoint will be named in no acknowledgement, so nobody else would remove them.
      discardDeferred(Object.entries(operators));
      const reused = new Set(reusedSharedFiles);
      await Promise.all(sharedFiles.filter((path) => !reused.has(path)).map((path) => rm(path, { force: true }).catch(() => undefined)));
      throw err;
    }
  }

  decline(checkpointId: number, reason: unknown): void {
    const text = reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
    this.task.report({ type: 'declineCheckpoint', executionId: this.task.deployment.executionId, checkpointId, reason: text });
  }

  /** Resolves once every commit begun so far has settled. */
  whenCommitted(): Promise<void> {
    return Promise.allSettled([...this.commits]).then(() => undefined);
  }

  /** Tells every operator; a commit that fails fails the task (what it covers would be lost otherwise). */
  notifyComplete(checkpointId: number): void {
    for (const c of this.task.chain()) {
      try {
        const done = c.operator.notifyCheckpointComplete?.(checkpointId);
        if (done instanceof Promise) {
          const tracked = done.catch((err: unknown) => this.task.fail(err)).finally(() => this.commits.delete(tracked));
          this.commits.add(tracked);
        }
      } catch (err) {
        this.task.fail(err);
        return;
      }
    }
  }

  notifyAborted(checkpointId: number): void {
    for (const c of this.task.chain()) c.operator.notifyCheckpointAborted?.(checkpointId);
  }
}
