/**
 * Runtime operators: what a task runs. Operators of one chain call each other directly and
 * synchronously — `Output.collect` of one is `processElement` of the next — so a record crosses
 * a chain without a queue, a promise or an allocation. Per-record signatures take the value and
 * its timestamp as two arguments instead of wrapping them in a record object.
 */
import type { Cancellable } from '../actors/system/clock.js';
import type { DeferredKeyedSnapshot, KeyedStateBackend, KeyedStateHandle, KeyGroupRange, OperatorStateSnapshot } from '../state/index.js';

/** Where an operator emits to: the next operator of its chain and/or outgoing channels. */
export interface Output {
  collect(value: unknown, timestamp: number | undefined): void;
  /** Emits to the side output named `tag`; dropped when nothing consumes it. */
  collectSide(tag: string, value: unknown, timestamp: number | undefined): void;
  emitWatermark(watermark: number): void;
  /**
   * This output's stream is idle (no records, so its watermark should not hold others back)
   * or active again. Flink's WatermarkStatus.
   */
  emitWatermarkStatus(idle: boolean): void;
}

/** One input of an operator. */
export interface Input {
  processElement(value: unknown, timestamp: number | undefined): void;
  processWatermark(watermark: number): void;
  /** The input became idle or active again; operators without a preference forward it. */
  processWatermarkStatus?(idle: boolean): void;
  /** This input has ended (bounded input fully consumed). */
  endInput(): void;
}

/** Time and timers in processing time; callbacks run on the task's thread between batches. */
export interface ProcessingTimeService {
  now(): number;
  schedule(at: number, callback: () => void): Cancellable;
}

export interface OperatorInfo {
  readonly jobId: string;
  readonly taskName: string;
  readonly operatorName: string;
  readonly operatorId: string;
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly attemptNumber: number;
}

/** What an operator is given when its task starts. */
export interface OperatorSetup {
  readonly info: OperatorInfo;
  readonly output: Output;
  readonly processingTime: ProcessingTimeService;
  /** The key selectors of a keyed operator's inputs (input 1, input 2). */
  readonly keySelectors: readonly (((value: unknown) => unknown) | undefined)[];
  /** BATCH: keyed operators emit final results only, at the end of input. */
  readonly runtimeMode: 'STREAMING' | 'BATCH';
  /** The job checkpoints: a task at the end of its input waits for the final checkpoint. */
  readonly checkpointing?: boolean;
  /** `pipeline.auto-watermark-interval`: how often periodic watermarks are generated. */
  readonly autoWatermarkIntervalMs: number;
  /**
   * The keyed state backend of the configured type (`state.backend.type`) for this subtask's
   * key groups; the heap backend where not given.
   */
  readonly createKeyedStateBackend?: (keyGroupRange: KeyGroupRange, maxParallelism: number) => KeyedStateBackend;
}

/**
 * One operator's part of a checkpoint, plain data (it is CBOR-encoded into the task's state
 * file). Each part is redistributed its own way on restore: keyed state by key group, operator
 * state by its mode, source splits and sink committables round-robin.
 */
export interface OperatorSnapshot {
  /** Keyed state: canonical, deferred (RocksDB), or once written as an incremental checkpoint, its files. */
  readonly keyed?: KeyedStateHandle | DeferredKeyedSnapshot;
  readonly operator?: OperatorStateSnapshot;
  /** A source reader's splits with their positions. */
  readonly splits?: readonly unknown[];
  /** A two-phase-commit sink's committables not yet committed. */
  readonly committables?: readonly unknown[];
}

/** What an operator gets back on restore: this subtask's share of its snapshots. */
export interface RestoredOperatorState {
  readonly checkpointId: number;
  /** The keyed snapshots of every old subtask read; the backend keeps its own key groups. */
  readonly keyed: readonly KeyedStateHandle[];
  /** This subtask's operator state after redistribution. */
  readonly operator: OperatorStateSnapshot | undefined;
  readonly splits: readonly unknown[];
  readonly committables: readonly unknown[];
}

export interface StreamOperator {
  /** Inputs in order: one for a one-input operator, two for a two-input one, none for a source. */
  readonly inputs: readonly Input[];
  /** Called once before any input; may do asynchronous set-up (opening files, user open()). */
  open(setup: OperatorSetup): void | Promise<void>;
  /** Every input has ended: emit what is held back (final results, flushed files). */
  finish(): void | Promise<void>;
  /** Release resources; runs after finish, and also when the task is cancelled or failed. */
  close(): void | Promise<void>;
  /**
   * Called after open and before any record, timer or split when the task restores from a
   * checkpoint. Operators without state need not have it.
   */
  initializeState?(restored: RestoredOperatorState): void | Promise<void>;
  /**
   * The synchronous part of a checkpoint, between two records: a copy of the operator's state
   * that later processing does not change; undefined when it has none. A promise (a sink
   * flushing before it prepares its commit) pauses the task until it settles.
   */
  snapshotState?(checkpointId: number): OperatorSnapshot | undefined | Promise<OperatorSnapshot | undefined>;
  /** The checkpoint is complete everywhere (two-phase-commit sinks commit). */
  notifyCheckpointComplete?(checkpointId: number): void | Promise<void>;
  /** The checkpoint was given up. */
  notifyCheckpointAborted?(checkpointId: number): void;
}

export type OperatorFactory = () => StreamOperator;
