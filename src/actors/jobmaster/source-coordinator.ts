/**
 * One source vertex's coordinator in the JobMaster: runs the source's split enumerator and
 * connects it to the source tasks. User code of the enumerator runs inside the JobMaster's turn;
 * an exception from it fails the job, never the JobMaster.
 */
import type { Source, SourceSplit, SplitEnumerator, SplitEnumeratorContext } from '../../connectors/index.js';

export interface ReaderChannel {
  assignSplits(subtask: number, splits: SourceSplit[]): void;
  noMoreSplits(subtask: number): void;
  sendEvent(subtask: number, event: unknown): void;
  /** Runs `work` outside the turn and `then` back inside it. */
  callAsync<R>(work: () => Promise<R>, then: (result: R | undefined, error: unknown) => void): void;
}

export class SourceCoordinator {
  private readonly enumerator: SplitEnumerator<SourceSplit, unknown>;
  private readonly readers = new Set<number>();

  constructor(
    source: Source<unknown, SourceSplit, unknown>,
    private readonly parallelism: number,
    channel: ReaderChannel,
    /** The enumerator's state in the checkpoint the job restarts from; absent: a fresh start. */
    restored?: { readonly state: unknown },
  ) {
    const ctx: SplitEnumeratorContext<SourceSplit> = {
      currentParallelism: () => this.parallelism,
      registeredReaders: () => [...this.readers].sort((a, b) => a - b),
      assignSplits: (assignment) => {
        for (const [subtask, splits] of Object.entries(assignment)) channel.assignSplits(Number(subtask), splits);
      },
      signalNoMoreSplits: (subtask) => channel.noMoreSplits(subtask),
      sendEventToSourceReader: (subtask, event) => channel.sendEvent(subtask, event),
      callAsync: (callable, handler) => channel.callAsync(callable, handler),
    };
    this.enumerator = restored === undefined ? source.createEnumerator(ctx) : source.restoreEnumerator(ctx, restored.state);
  }

  /** The enumerator's state for checkpoint `checkpointId` (splits not yet assigned, ...). */
  snapshotState(checkpointId: number): unknown {
    return this.enumerator.snapshotState(checkpointId);
  }

  /** Every part of the checkpoint is durable. */
  notifyCheckpointComplete(checkpointId: number): void {
    this.enumerator.notifyCheckpointComplete?.(checkpointId);
  }

  start(): void {
    this.enumerator.start();
  }

  readerRegistered(subtask: number): void {
    if (this.readers.has(subtask)) return;
    this.readers.add(subtask);
    this.enumerator.addReader(subtask);
  }

  readerLost(subtask: number): void {
    this.readers.delete(subtask);
  }

  splitRequest(subtask: number): void {
    this.enumerator.handleSplitRequest(subtask);
  }

  sourceEvent(subtask: number, event: unknown): void {
    this.enumerator.handleSourceEvent?.(subtask, event);
  }

  async close(): Promise<void> {
    await this.enumerator.close();
  }
}
