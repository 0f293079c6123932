/** Sinks: a SinkWriter per subtask, and the collecting sink behind executeAndCollect(). */
import type { Committer, Sink, SinkWriter } from '../connectors/index.js';
import { OneInputOperator } from './base.js';
import type { OperatorSetup, OperatorSnapshot, RestoredOperatorState } from './operator.js';

/**
 * A sink's writer, and for two-phase-commit sinks its committer: on a checkpoint the writer
 * flushes and prepares committables, which go into the snapshot; once the checkpoint is
 * complete they are committed. Committables of a checkpoint that was aborted stay pending and
 * are committed with the next completed one (what they cover was written and will not be
 * replayed while the job runs on), as Flink does.
 */
export class SinkWriterOperator extends OneInputOperator {
  private writer!: SinkWriter<unknown, unknown>;
  private committer: Committer<unknown> | undefined;
  /** Committables by the checkpoint that prepared them, oldest first, not yet committed. */
  private readonly pending: Array<{ readonly checkpointId: number; readonly committables: readonly unknown[] }> = [];
  /** Commits run one after the other. */
  private committing: Promise<void> = Promise.resolve();
  constructor(private readonly sink: Sink<unknown, unknown>) {
    super();
  }
  override async open(setup: OperatorSetup): Promise<void> {
    super.open(setup);
    const { subtaskIndex, parallelism, attemptNumber } = setup.info;
    const context = { indexOfSubtask: subtaskIndex, parallelism, attemptNumber, checkpointing: setup.checkpointing === true };
    this.writer = await this.sink.createWriter(context);
    if (this.writer.prepareCommit !== undefined) this.committer = this.sink.createCommitter?.(context);
  }

  /**
   * Flushes, then (two-phase commit) prepares this checkpoint's committables and stores every
   * pending one; a sink without a committer has no state. Synchronous when the flush is, so
   * that the task need not pause for it.
   */
  snapshotState(checkpointId: number): OperatorSnapshot | undefined | Promise<OperatorSnapshot | undefined> {
    const flushed = this.writer.flush(false);
    const twoPhase = this.writer.prepareCommit !== undefined && this.committer !== undefined;
    if (!twoPhase) return flushed instanceof Promise ? flushed.then(() => undefined) : undefined;
    return Promise.resolve(flushed).then(() => this.prepare(checkpointId));
  }

  private async prepare(checkpointId: number): Promise<OperatorSnapshot> {
    const committables = await this.writer.prepareCommit!(checkpointId);
    if (committables.length > 0) this.pending.push({ checkpointId, committables });
    return { committables: this.pending.flatMap((p) => p.committables) };
  }

  /**
   * Commits what a restored checkpoint held: it may have completed without this subtask having
   * committed (the failure came first). Committer.commit must be idempotent (the sink contract
   * says so): after a failover the same committables may be committed a second time.
   */
  async initializeState(restored: RestoredOperatorState): Promise<void> {
    if (restored.committables.length === 0) return;
    if (this.committer === undefined) throw new Error('the restored state holds committables, but the sink has no committer');
    await this.committer.commit(restored.committables);
  }

  notifyCheckpointComplete(checkpointId: number): Promise<void> {
    let n = 0;
    while (n < this.pending.length && this.pending[n]!.checkpointId <= checkpointId) n++;
    if (n === 0 || this.committer === undefined) return this.committing;
    const committables = this.pending.splice(0, n).flatMap((p) => p.committables);
    const committer = this.committer;
    this.committing = this.committing.then(() => committer.commit(committables));
    return this.committing;
  }

  processElement(value: unknown, timestamp: number | undefined): void {
    this.writer.write(value, timestamp);
  }
  override processWatermark(): void {}
  override async finish(): Promise<void> {
    await this.writer.flush(true);
  }
  override async close(): Promise<void> {
    try {
      await this.writer?.close();
    } finally {
      await this.committer?.close();
    }
  }
}

/** Keeps every record; the task hands them to the JobMaster when it finishes. */
export class CollectSinkOperator extends OneInputOperator {
  readonly collected: unknown[] = [];
  processElement(value: unknown): void {
    this.collected.push(value);
  }
  override processWatermark(): void {}
}
