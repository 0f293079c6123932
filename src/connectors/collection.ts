/**
 * `env.fromElements(...xs)` and `env.fromCollection(xs)`: the given items, each exactly once.
 *
 * The items live in the source object itself. The JobManager and every task build the same job
 * from the same code, so each side already holds them; splits only name index ranges, and a
 * checkpoint stores a position, never the items. The items must therefore be the same wherever
 * the job is built (no randomness, no clock).
 *
 * Order: with one reader the whole collection is one split, read front to back, so records come
 * out in the collection's order. With several readers there is no global order (as in Flink).
 */
import {
  DEFAULT_SPLITS_PER_READER,
  StaticSplitEnumerator,
  cutRange,
  splitCountFor,
  type SplitQueueState,
} from './split-enumerator.js';
import { SequentialSplitReader, positiveIntegerOption, validateReaderOptions, type ReaderOptions, type SplitProgress } from './split-reader.js';
import type { Boundedness, ReaderOutput, Source, SourceReaderContext, SplitEnumeratorContext } from './source.js';

/** The items at indexes `[start, end)`; a reader's snapshot moves `start` to the next item to emit. */
export interface CollectionSplit {
  readonly splitId: string;
  readonly start: number;
  readonly end: number;
}

export interface CollectionSourceOptions extends ReaderOptions {
  /** With more than one reader, the items are cut into `parallelism × splitsPerReader` splits. Default 4. */
  readonly splitsPerReader?: number;
}

export type CollectionEnumState = SplitQueueState<CollectionSplit>;

export class CollectionSource<T> implements Source<T, CollectionSplit, CollectionEnumState> {
  private readonly items: readonly T[];
  private readonly options: CollectionSourceOptions;
  private readonly splitsPerReader: number;

  /** Copies `items`, so later changes to the caller's array do not change the job. */
  constructor(items: Iterable<T>, options: CollectionSourceOptions = {}) {
    this.items = Array.from(items);
    this.options = options;
    validateReaderOptions('CollectionSource', options);
    this.splitsPerReader = positiveIntegerOption(
      'CollectionSource',
      'splitsPerReader',
      options.splitsPerReader,
      DEFAULT_SPLITS_PER_READER,
    );
  }

  get size(): number {
    return this.items.length;
  }

  getBoundedness(): Boundedness {
    return 'BOUNDED';
  }

  createEnumerator(ctx: SplitEnumeratorContext<CollectionSplit>): StaticSplitEnumerator<CollectionSplit> {
    const pieces = splitCountFor(ctx.currentParallelism(), this.splitsPerReader);
    const splits = cutRange(0, this.items.length, pieces).map(
      (range, i): CollectionSplit => ({ splitId: String(i), start: range.start, end: range.end }),
    );
    return new StaticSplitEnumerator(ctx, { kind: 'static', splits, firstSplitPerReader: true });
  }

  restoreEnumerator(ctx: SplitEnumeratorContext<CollectionSplit>, state: CollectionEnumState): StaticSplitEnumerator<CollectionSplit> {
    return new StaticSplitEnumerator(ctx, { kind: 'static', splits: [] }, state);
  }

  createReader(ctx: SourceReaderContext): CollectionReader<T> {
    return new CollectionReader(ctx, this.items, this.options);
  }
}

export class CollectionReader<T> extends SequentialSplitReader<T, CollectionSplit> {
  private readonly items: readonly T[];
  private splitId = '';
  private next = 0;
  private end = 0;

  constructor(ctx: SourceReaderContext, items: readonly T[], options: ReaderOptions = {}) {
    super(ctx, options);
    this.items = items;
  }

  protected beginSplit(split: CollectionSplit): void {
    this.splitId = split.splitId;
    this.next = split.start;
    // A split restored into a job whose collection shrank must not read past its end.
    this.end = Math.min(split.end, this.items.length);
  }

  protected emitFromSplit(output: ReaderOutput<T>, budget: number): SplitProgress {
    const items = this.items;
    const stop = Math.min(this.end, this.next + budget);
    let i = this.next;
    for (; i < stop; i++) output.collect(items[i]);
    this.next = i;
    return i >= this.end ? 'FINISHED' : 'MORE_AVAILABLE';
  }

  protected splitPosition(): CollectionSplit {
    return { splitId: this.splitId, start: this.next, end: this.end };
  }

  protected endSplit(): void {}
}
