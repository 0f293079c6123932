/**
 * The sink contract, in the shape of Flink's Sink v2: a {@link Sink} is a factory, built by the
 * job's code on every side, for one {@link SinkWriter} per parallel subtask, which lives in the
 * task. Records reach `write` synchronously from the operator chain; I/O is the writer's to
 * batch, and waiting is only ever done through the promises `flush` and `close` return.
 *
 * Two-phase commit (exactly-once sinks) arrives with checkpoints; its seam is here already:
 * a writer that implements {@link SinkWriter.prepareCommit} turns what it wrote since the last
 * checkpoint into *committables* (plain data stored in the checkpoint), and the sink's
 * {@link Committer} publishes them once the checkpoint is complete. The runtime's part then is:
 * on a checkpoint barrier, `flush(false)` then `prepareCommit(checkpointId)`, put the
 * committables in the snapshot; on `notifyCheckpointComplete`, `commit` them; on restore,
 * `commit` the restored committables again (commits are idempotent).
 */

/** What a writer is told about where it runs; given by the task runtime to {@link Sink.createWriter}. */
export interface WriterInitContext {
  /** This writer's subtask index, 0-based. */
  readonly indexOfSubtask: number;
  /** How many parallel writers the sink has. */
  readonly parallelism: number;
  /** 0 on the first run of this subtask, then one more on every restart. */
  readonly attemptNumber: number;
  /**
   * The job checkpoints, and its final checkpoint (taken once every task reached the end of its
   * input) commits what `flush(true)` leaves pending. Absent: false.
   */
  readonly checkpointing?: boolean;
}

/** What a committer is told; the same facts as a writer's. */
export type CommitterInitContext = WriterInitContext;

/**
 * One parallel instance of a sink, in a task. The runtime calls `write` for every record, in
 * order, synchronously; `flush` on checkpoints and at end of input; `close` once at the end
 * (finished, failed or cancelled). No call overlaps another: the runtime awaits the promise a
 * call returns before making the next one. An asynchronous I/O failure may surface from the
 * next call that follows it.
 */
export interface SinkWriter<T, CommT = never> {
  /** Accepts one record, with its event timestamp when it has one. Buffers; never waits. */
  write(element: T, timestamp?: number): void;
  /**
   * Makes everything written so far durable or visible as far as this sink can without a
   * commit. `endOfInput` is true exactly once, after the last record of a bounded input.
   */
  flush(endOfInput: boolean): void | Promise<void>;
  /**
   * Two-phase commit, first phase: called after `flush(false)` when a checkpoint is taken;
   * returns what the checkpoint's completion should publish. Only sinks with a committer have it.
   */
  prepareCommit?(checkpointId: number): CommT[] | Promise<CommT[]>;
  /** Releases files, handles, timers. Does not publish anything `flush(true)` did not. */
  close(): void | Promise<void>;
}

/**
 * Two-phase commit, second phase: runs on the task after the checkpoint that holds the
 * committables completed. `commit` must be idempotent: after a failover the same committables
 * are committed again.
 */
export interface Committer<CommT> {
  commit(committables: readonly CommT[]): Promise<void>;
  close(): void | Promise<void>;
}

/** A sink: a factory for its writers (and, for exactly-once sinks, its committer). */
export interface Sink<T, CommT = never> {
  /** Called in each task (one writer per subtask) when the task is deployed. */
  createWriter(ctx: WriterInitContext): SinkWriter<T, CommT>;
  /** Present on two-phase-commit sinks; called in each task next to `createWriter`. */
  createCommitter?(ctx: CommitterInitContext): Committer<CommT>;
}
