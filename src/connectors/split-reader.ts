/**
 * The reader skeleton all built-in sources share: it owns a queue of assigned splits, works
 * through them one at a time in assignment order, asks the enumerator for the next split when
 * it runs out, and ends when the enumerator says there are no more. A subclass only says how to
 * read one split (`beginSplit`, `emitFromSplit`, `splitPosition`, `endSplit`).
 */
import { AvailabilitySignal } from './availability.js';
import { ConnectorArgumentError } from './errors.js';
import type { InputStatus, ReaderOutput, SourceReader, SourceReaderContext, SourceSplit } from './source.js';

/** What one call to {@link SequentialSplitReader.emitFromSplit} left behind. */
export type SplitProgress =
  /** The record budget ran out and the split has more ready now. */
  | 'MORE_AVAILABLE'
  /** The split has nothing ready; the subclass will call `notifyAvailable()` when it has. */
  | 'NOTHING_AVAILABLE'
  /** The split is exhausted. */
  | 'FINISHED';

/** Options every built-in reader takes. */
export interface ReaderOptions {
  /**
   * At most this many records per `pollNext` call (roughly: a finishing split may let the next
   * one start within the same call). It bounds how long the task goes without looking at its
   * mailbox (checkpoint triggers, cancellation). Default {@link DEFAULT_RECORDS_PER_POLL}.
   */
  readonly recordsPerPoll?: number;
}

export const DEFAULT_RECORDS_PER_POLL = 1024;

export abstract class SequentialSplitReader<T, Split extends SourceSplit> implements SourceReader<T, Split> {
  protected readonly context: SourceReaderContext;
  protected readonly recordsPerPoll: number;
  private readonly availability = new AvailabilitySignal();
  private readonly queue: Split[] = [];
  private current: Split | undefined;
  private noMoreSplits = false;
  private requestOutstanding = false;
  private failure: unknown;
  private failed = false;
  private closed = false;
  /** The asynchronous cleanup of the last finished split, awaited by `close`. */
  private ending: Promise<void> | undefined;

  protected constructor(context: SourceReaderContext, options: ReaderOptions = {}) {
    this.context = context;
    this.recordsPerPoll = positiveIntegerOption(new.target.name, 'recordsPerPoll', options.recordsPerPoll, DEFAULT_RECORDS_PER_POLL);
  }

  /** Makes `split` the one being read; may start asynchronous work (open a file, connect). */
  protected abstract beginSplit(split: Split): void;
  /** Emits at most `budget` records of the current split to `output`, synchronously. */
  protected abstract emitFromSplit(output: ReaderOutput<T>, budget: number): SplitProgress;
  /** The current split as plain data, positioned at the first record not yet emitted. */
  protected abstract splitPosition(): Split;
  /** Releases what `beginSplit` acquired; called when the split finished and on close. */
  protected abstract endSplit(): void | Promise<void>;

  start(): void {
    if (this.current === undefined && this.queue.length === 0) this.requestSplit();
  }

  pollNext(output: ReaderOutput<T>): InputStatus {
    if (this.failed) throw this.failure;
    for (;;) {
      if (this.current === undefined) {
        const next = this.queue.shift();
        if (next === undefined) {
          if (this.noMoreSplits) return 'END_OF_INPUT';
          this.requestSplit();
          this.availability.markUnavailable();
          return 'NOTHING_AVAILABLE';
        }
        this.current = next;
        this.beginSplit(next);
      }
      const progress = this.emitFromSplit(output, this.recordsPerPoll);
      if (progress === 'MORE_AVAILABLE') return 'MORE_AVAILABLE';
      if (progress === 'NOTHING_AVAILABLE') {
        // A failure or data may have been signalled during the emit itself.
        if (this.failed) throw this.failure;
        this.availability.markUnavailable();
        return 'NOTHING_AVAILABLE';
      }
      this.current = undefined;
      const ended = this.endSplit();
      if (ended instanceof Promise) this.ending = ended.catch((error: unknown) => this.fail(error));
      if (this.queue.length > 0) return 'MORE_AVAILABLE';
      // Loop once more: ask for the next split, or end.
    }
  }

  isAvailable(): Promise<void> {
    return this.availability.future();
  }

  addSplits(splits: Split[]): void {
    this.queue.push(...splits);
    this.requestOutstanding = false;
    this.availability.notifyAvailable();
  }

  notifyNoMoreSplits(): void {
    this.noMoreSplits = true;
    this.requestOutstanding = false;
    this.availability.notifyAvailable();
  }

  snapshotState(_checkpointId: number): Split[] {
    const owned = this.current === undefined ? [] : [this.splitPosition()];
    return [...owned, ...this.queue];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.ending;
    if (this.current !== undefined) {
      this.current = undefined;
      await this.endSplit();
    }
  }

  /** For subclasses: asynchronous work produced data (or an end); wake the runtime up. */
  protected notifyAvailable(): void {
    this.availability.notifyAvailable();
  }

  /** For subclasses: asynchronous work failed; the next `pollNext` throws `error`. */
  protected fail(error: unknown): void {
    if (this.failed || this.closed) return;
    this.failed = true;
    this.failure = error;
    this.availability.notifyAvailable();
  }

  protected get isClosed(): boolean {
    return this.closed;
  }

  private requestSplit(): void {
    if (this.requestOutstanding || this.noMoreSplits) return;
    this.requestOutstanding = true;
    this.context.sendSplitRequest();
  }
}

/** Checks {@link ReaderOptions} where the source is built, so bad options fail the job's construction. */
export function validateReaderOptions(connector: string, options: ReaderOptions): void {
  positiveIntegerOption(connector, 'recordsPerPoll', options.recordsPerPoll, DEFAULT_RECORDS_PER_POLL);
}

/** `value` if it is a positive integer, `fallback` if undefined; a {@link ConnectorArgumentError} otherwise. */
export function positiveIntegerOption(connector: string, name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ConnectorArgumentError(connector, name, `expected a positive integer, got ${String(value)}`);
  }
  return value;
}
