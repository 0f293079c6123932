/**
 * The source operator: owns a split reader in a task and drives it. The task calls `poll`
 * while output capacity allows; every record goes straight into the operator chain. Splits
 * arrive from the source's enumerator on the JobManager; split requests go back the same way.
 */
import type { InputStatus, ReaderOutput, Source, SourceReader, SourceSplit } from '../connectors/index.js';
import type { Input, OperatorSetup, OperatorSnapshot, Output, RestoredOperatorState, StreamOperator } from './operator.js';

/** How a source task talks to its enumerator (through the task and the JobMaster). */
export interface SourceCoordinatorLink {
  sendSplitRequest(): void;
  sendSourceEvent(event: unknown): void;
}

export class SourceOperator implements StreamOperator, ReaderOutput<unknown> {
  readonly inputs: readonly Input[] = [];
  private reader!: SourceReader<unknown, SourceSplit>;
  private output!: Output;
  /** Records emitted so far, for the task's budget per step. */
  emitted = 0;

  constructor(
    readonly source: Source<unknown, SourceSplit, unknown>,
    private readonly link: () => SourceCoordinatorLink,
  ) {}

  open(setup: OperatorSetup): void {
    this.output = setup.output;
    const link = this.link();
    this.reader = this.source.createReader({
      indexOfSubtask: setup.info.subtaskIndex,
      parallelism: setup.info.parallelism,
      sendSplitRequest: () => link.sendSplitRequest(),
      sendSourceEventToCoordinator: (event) => link.sendSourceEvent(event),
    });
  }

  start(): void {
    this.reader.start();
  }

  collect(record: unknown, timestamp?: number): void {
    this.emitted++;
    this.output.collect(record, timestamp);
  }

  /** One call of the reader's pollNext; it may emit many records. */
  poll(): InputStatus {
    return this.reader.pollNext(this);
  }

  isAvailable(): Promise<void> {
    return this.reader.isAvailable();
  }

  addSplits(splits: SourceSplit[]): void {
    this.reader.addSplits(splits);
  }

  noMoreSplits(): void {
    this.reader.notifyNoMoreSplits();
  }

  handleSourceEvent(event: unknown): void {
    this.reader.handleSourceEvent?.(event);
  }

  /** The reader's splits with their positions; called between two polls. */
  snapshotState(checkpointId: number): OperatorSnapshot {
    return { splits: this.reader.snapshotState(checkpointId) };
  }

  /** The restored splits go back to the reader before it starts (the task starts it after this). */
  initializeState(restored: RestoredOperatorState): void {
    if (restored.splits.length > 0) this.reader.addSplits(restored.splits as SourceSplit[]);
  }

  notifyCheckpointComplete(checkpointId: number): void {
    this.reader.notifyCheckpointComplete?.(checkpointId);
  }

  finish(): void {}

  async close(): Promise<void> {
    await this.reader?.close();
  }
}
