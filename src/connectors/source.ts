/**
 * The source contract (Flink's FLIP-27, by name and meaning): a {@link Source} is a factory for
 * one {@link SplitEnumerator}, which runs once per job on the JobManager (inside the source's
 * coordinator) and hands out units of work called *splits*, and for one {@link SourceReader} per
 * parallel subtask, which runs in the task and turns its splits into records.
 *
 * Everything that crosses a process boundary is plain data that CBOR encodes as is (objects,
 * arrays, strings, numbers, booleans, null): splits travel from the JobManager to TaskManagers,
 * and splits and enumerator state go into checkpoints. That replaces Flink's split and
 * checkpoint serializers. Code does not travel: the JobManager and every TaskManager build the
 * same job from the same artifact, so a source object may keep its configuration (and even its
 * data, see CollectionSource) in memory on both sides.
 *
 * Both halves are driven by the runtime, one call at a time, never concurrently with themselves:
 * the enumerator from the coordinator's actor, the reader from its task's loop.
 */

/** Whether a source ever ends. */
export type Boundedness = 'BOUNDED' | 'CONTINUOUS_UNBOUNDED';
export const Boundedness = {
  /** The source ends: every reader eventually returns `END_OF_INPUT`. Allowed in BATCH mode. */
  BOUNDED: 'BOUNDED',
  /** The source may run forever; BATCH mode rejects it. */
  CONTINUOUS_UNBOUNDED: 'CONTINUOUS_UNBOUNDED',
} as const satisfies Record<Boundedness, Boundedness>;

/** What {@link SourceReader.pollNext} tells the runtime about the reader after a call. */
export type InputStatus = 'MORE_AVAILABLE' | 'NOTHING_AVAILABLE' | 'END_OF_INPUT';
export const InputStatus = {
  /** Call `pollNext` again right away: more records are buffered. */
  MORE_AVAILABLE: 'MORE_AVAILABLE',
  /** Nothing to emit now: await `isAvailable()` before calling `pollNext` again. */
  NOTHING_AVAILABLE: 'NOTHING_AVAILABLE',
  /** The reader is done for good (bounded input exhausted, no more splits); never call `pollNext` again. */
  END_OF_INPUT: 'END_OF_INPUT',
} as const satisfies Record<InputStatus, InputStatus>;

/**
 * A split as plain data. `splitId` is unique within its source and stable across checkpoints;
 * everything else (what to read, and where the reader has got to) is up to the source. The
 * built-in sources' splits all have this shape; the interfaces below do not insist on it, so
 * the runtime can hold any source as `Source<unknown, unknown, unknown>`.
 */
export interface SourceSplit {
  readonly splitId: string;
}

/**
 * Where a reader's records go: the head of the task's operator chain. Called synchronously from
 * inside {@link SourceReader.pollNext}, any number of times per call.
 */
export interface ReaderOutput<T> {
  /** Emits one record, with its event timestamp (epoch milliseconds) when the source knows one. */
  collect(record: T, timestamp?: number): void;
}

/**
 * What a reader may know and do, given by the task runtime to {@link Source.createReader}.
 */
export interface SourceReaderContext {
  /** This reader's subtask index, 0-based. */
  readonly indexOfSubtask: number;
  /** How many parallel readers this source has in this execution. */
  readonly parallelism: number;
  /**
   * Asks the enumerator for a split. Asynchronous: the request travels to the JobManager, which
   * calls {@link SplitEnumerator.handleSplitRequest}; the answer arrives later as
   * {@link SourceReader.addSplits} or {@link SourceReader.notifyNoMoreSplits}.
   */
  sendSplitRequest(): void;
  /** Sends a source-specific event (plain data) to the enumerator's {@link SplitEnumerator.handleSourceEvent}. */
  sendSourceEventToCoordinator(event: unknown): void;
}

/**
 * One parallel instance of a source, living in a task on a TaskManager.
 *
 * The runtime's sequence: `createReader`, then `addSplits` with the splits restored from the
 * last checkpoint (if any), then `start`; then `pollNext` in a loop, awaiting `isAvailable()`
 * whenever `pollNext` says `NOTHING_AVAILABLE`; `addSplits`, `notifyNoMoreSplits`,
 * `snapshotState`, `notifyCheckpointComplete` and `handleSourceEvent` are called between two
 * `pollNext` calls; finally `close`. No call overlaps another.
 */
export interface SourceReader<T, Split = SourceSplit> {
  /** Called once by the task after restored splits were added; typically requests a first split. */
  start(): void;
  /**
   * Called by the task's loop. Emits zero or more records to `output` synchronously and says
   * whether to call again at once. It must not block or wait: when it has nothing, it returns
   * `NOTHING_AVAILABLE` and the task awaits {@link isAvailable}. A thrown error fails the task.
   */
  pollNext(output: ReaderOutput<T>): InputStatus;
  /**
   * Called by the task after `pollNext` returned `NOTHING_AVAILABLE`. Resolves once calling
   * `pollNext` again is worthwhile (data arrived, splits arrived, an error is waiting to be
   * thrown, ...). A resolved promise is returned when that is already the case.
   */
  isAvailable(): Promise<void>;
  /** Called by the task when the enumerator assigned splits to this reader, or on restore. */
  addSplits(splits: Split[]): void;
  /** Called by the task when the enumerator said this reader gets no more splits. */
  notifyNoMoreSplits(): void;
  /**
   * Called by the task when a checkpoint barrier is emitted from this source: every split this
   * reader owns (current and queued), each carrying its current position, as plain data.
   * Restoring these with `addSplits` on a new reader continues without loss or repeat.
   */
  snapshotState(checkpointId: number): Split[];
  /** Called by the task when checkpoint `checkpointId` completed on every task. */
  notifyCheckpointComplete?(checkpointId: number): void;
  /** Called by the task with an event the enumerator sent to this reader. */
  handleSourceEvent?(event: unknown): void;
  /** Called once by the task when it finishes, fails or is cancelled; releases files, sockets, timers. */
  close(): void | Promise<void>;
}

/**
 * What an enumerator may know and do, given by the JobManager's source coordinator to
 * {@link Source.createEnumerator} and {@link Source.restoreEnumerator}.
 */
export interface SplitEnumeratorContext<Split = SourceSplit> {
  /** The source's parallelism in this execution. */
  currentParallelism(): number;
  /**
   * Subtask indexes of the readers registered now: a reader registers (`addReader`) before its
   * first split request, and is unregistered from its failure until it is back. The built-in
   * enumerators ignore split requests from readers not in this list.
   */
  registeredReaders(): number[];
  /** Sends splits to readers, keyed by subtask index; each arrives as `SourceReader.addSplits`. */
  assignSplits(assignment: Record<number, Split[]>): void;
  /** Tells one reader it will get no more splits; it arrives as `SourceReader.notifyNoMoreSplits`. */
  signalNoMoreSplits(subtask: number): void;
  /** Sends a source-specific event (plain data) to one reader's `handleSourceEvent`. */
  sendEventToSourceReader?(subtask: number, event: unknown): void;
  /**
   * Runs slow work (listing a folder, asking a broker) outside the coordinator and then calls
   * `handler` with its outcome as a new turn of the coordinator, never in the middle of another
   * enumerator call. Exactly one of `result` and `error` is set. An error thrown by `handler`
   * fails the job. A runtime without a mailbox may simply do
   * `callable().then((r) => handler(r, undefined), (e) => handler(undefined, e ?? new Error()))`.
   */
  callAsync<R>(callable: () => Promise<R>, handler: (result: R | undefined, error: unknown) => void): void;
}

/**
 * The JobManager-side half of a source: discovers splits and assigns them to readers. One
 * instance per job execution, created (or restored from a checkpoint) by the source coordinator.
 * Its calls come from the coordinator's actor, one at a time.
 */
export interface SplitEnumerator<Split, EnumState> {
  /** Called once, before any other call; starts discovery. */
  start(): void;
  /** Called when reader `subtaskId` asked for a split (`SourceReaderContext.sendSplitRequest`). */
  handleSplitRequest(subtaskId: number): void;
  /**
   * Called on failover with the splits a failed reader had been given since the last completed
   * checkpoint, so they are handed out again.
   */
  addSplitsBack(splits: Split[], subtaskId: number): void;
  /** Called when reader `subtaskId` registered (at start and after each recovery). */
  addReader(subtaskId: number): void;
  /** Called when a checkpoint is triggered: the enumerator's state as plain data. */
  snapshotState(checkpointId: number): EnumState;
  /** Called when checkpoint `checkpointId` completed. */
  notifyCheckpointComplete?(checkpointId: number): void;
  /** Called with an event a reader sent (`SourceReaderContext.sendSourceEventToCoordinator`). */
  handleSourceEvent?(subtaskId: number, event: unknown): void;
  /** Called once when the job ends or the coordinator is reset. */
  close(): void | Promise<void>;
}

/**
 * A source: a factory for its enumerator and readers. The same object is built by the job's
 * code on the JobManager and in every task, so it must be constructed deterministically.
 */
export interface Source<T, Split = SourceSplit, EnumState = unknown> {
  /** Called by the graph builder and the scheduler (BATCH mode requires `BOUNDED`). */
  getBoundedness(): Boundedness;
  /** Called on the JobManager when the job starts without a checkpoint to restore. */
  createEnumerator(ctx: SplitEnumeratorContext<Split>): SplitEnumerator<Split, EnumState>;
  /** Called on the JobManager on restore, with state from `SplitEnumerator.snapshotState`. */
  restoreEnumerator(ctx: SplitEnumeratorContext<Split>, state: EnumState): SplitEnumerator<Split, EnumState>;
  /** Called in each task (one reader per subtask) when the task is deployed. */
  createReader(ctx: SourceReaderContext): SourceReader<T, Split>;
}
