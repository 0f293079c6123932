/**
 * Flink's `DataGeneratorSource`: the records `generator(0) … generator(count - 1)`, each exactly
 * once across all readers, optionally throttled like `RateLimiterStrategy.perSecond(rate)`.
 *
 * The indexes are cut into ranges handed out as splits; a checkpoint stores the next index of
 * each range, so the generator must be a pure function of its index for exactly-once output.
 * `count = Infinity` makes the source unbounded; its index space is then `[0, 2^53)`, which no
 * job exhausts (Flink does the same with `Long.MAX_VALUE`).
 *
 * Throttling: `ratePerSecond` is the total over all readers, each reader gets
 * `ratePerSecond / parallelism`. A reader keeps a token bucket; when it is empty, `pollNext`
 * returns `NOTHING_AVAILABLE` and `isAvailable()` resolves on one timer set for when a small burst
 * (about {@link BURST_MS} worth of records, at least one) is allowed again. No timer per record.
 * Tokens saved up while the job was slow are capped at about {@link MAX_SAVED_MS} worth.
 */
import { systemSourceClock, type SourceClock } from './availability.js';
import { TokenBucket } from './token-bucket.js';
import { ConnectorArgumentError } from './errors.js';
import {
  DEFAULT_SPLITS_PER_READER,
  StaticSplitEnumerator,
  cutRange,
  splitCountFor,
  type SplitQueueState,
} from './split-enumerator.js';
import { SequentialSplitReader, positiveIntegerOption, validateReaderOptions, type ReaderOptions, type SplitProgress } from './split-reader.js';
import type { Boundedness, ReaderOutput, Source, SourceReaderContext, SplitEnumeratorContext } from './source.js';

/** Makes the record with the given index; called once per record, on the task. */
export type GeneratorFunction<T> = (index: number) => T;

/** The indexes `[start, end)`; a reader's snapshot moves `start` to the next index to generate. */
export interface DataGeneratorSplit {
  readonly splitId: string;
  readonly start: number;
  readonly end: number;
}

export interface DataGeneratorSourceOptions extends ReaderOptions {
  /** With more than one reader, the indexes are cut into `parallelism × splitsPerReader` splits. Default 4. */
  readonly splitsPerReader?: number;
  /** Time for the rate limiter; the system clock by default. */
  readonly clock?: SourceClock;
}

export type DataGeneratorEnumState = SplitQueueState<DataGeneratorSplit>;


/** The index space of an unbounded generator. */
const UNBOUNDED_END = 2 ** 53;

export class DataGeneratorSource<T> implements Source<T, DataGeneratorSplit, DataGeneratorEnumState> {
  readonly count: number;
  readonly ratePerSecond: number | undefined;
  private readonly generator: GeneratorFunction<T>;
  private readonly options: DataGeneratorSourceOptions;
  private readonly splitsPerReader: number;

  constructor(generator: GeneratorFunction<T>, count: number, ratePerSecond?: number, options: DataGeneratorSourceOptions = {}) {
    const name = 'DataGeneratorSource';
    if (count !== Infinity && (!Number.isSafeInteger(count) || count < 0)) {
      throw new ConnectorArgumentError(name, 'count', `expected a non-negative integer or Infinity, got ${String(count)}`);
    }
    if (ratePerSecond !== undefined && !(ratePerSecond > 0 && Number.isFinite(ratePerSecond))) {
      throw new ConnectorArgumentError(name, 'ratePerSecond', `expected a positive number, got ${String(ratePerSecond)}`);
    }
    this.generator = generator;
    this.count = count;
    this.ratePerSecond = ratePerSecond;
    this.options = options;
    validateReaderOptions(name, options);
    this.splitsPerReader = positiveIntegerOption(name, 'splitsPerReader', options.splitsPerReader, DEFAULT_SPLITS_PER_READER);
  }

  getBoundedness(): Boundedness {
    return this.count === Infinity ? 'CONTINUOUS_UNBOUNDED' : 'BOUNDED';
  }

  createEnumerator(ctx: SplitEnumeratorContext<DataGeneratorSplit>): StaticSplitEnumerator<DataGeneratorSplit> {
    const end = this.count === Infinity ? UNBOUNDED_END : this.count;
    const pieces = splitCountFor(ctx.currentParallelism(), this.splitsPerReader);
    const splits = cutRange(0, end, pieces).map(
      (range, i): DataGeneratorSplit => ({ splitId: String(i), start: range.start, end: range.end }),
    );
    return new StaticSplitEnumerator(ctx, { kind: 'static', splits, firstSplitPerReader: true });
  }

  restoreEnumerator(
    ctx: SplitEnumeratorContext<DataGeneratorSplit>,
    state: DataGeneratorEnumState,
  ): StaticSplitEnumerator<DataGeneratorSplit> {
    return new StaticSplitEnumerator(ctx, { kind: 'static', splits: [] }, state);
  }

  createReader(ctx: SourceReaderContext): DataGeneratorReader<T> {
    const perReader = this.ratePerSecond === undefined ? undefined : this.ratePerSecond / Math.max(1, ctx.parallelism);
    return new DataGeneratorReader(ctx, this.generator, perReader, this.options);
  }
}

export class DataGeneratorReader<T> extends SequentialSplitReader<T, DataGeneratorSplit> {
  private readonly generator: GeneratorFunction<T>;
  private readonly limiter: TokenBucket | undefined;
  private splitId = '';
  private next = 0;
  private end = 0;

  /** `ratePerSecond` is this reader's own share. */
  constructor(
    ctx: SourceReaderContext,
    generator: GeneratorFunction<T>,
    ratePerSecond: number | undefined,
    options: DataGeneratorSourceOptions = {},
  ) {
    super(ctx, options);
    this.generator = generator;
    this.limiter =
      ratePerSecond === undefined
        ? undefined
        : new TokenBucket(ratePerSecond, options.clock ?? systemSourceClock, () => this.notifyAvailable());
  }

  protected beginSplit(split: DataGeneratorSplit): void {
    this.splitId = split.splitId;
    this.next = split.start;
    this.end = split.end;
  }

  protected emitFromSplit(output: ReaderOutput<T>, budget: number): SplitProgress {
    const remaining = this.end - this.next;
    let allowed = Math.min(budget, remaining);
    if (this.limiter !== undefined) {
      allowed = this.limiter.take(allowed);
      if (allowed === 0) {
        this.limiter.wakeWhenAllowed(remaining);
        return 'NOTHING_AVAILABLE';
      }
    }
    const generator = this.generator;
    const stop = this.next + allowed;
    let i = this.next;
    for (; i < stop; i++) output.collect(generator(i));
    this.next = i;
    return i >= this.end ? 'FINISHED' : 'MORE_AVAILABLE';
  }

  protected splitPosition(): DataGeneratorSplit {
    return { splitId: this.splitId, start: this.next, end: this.end };
  }

  protected endSplit(): void {}

  override async close(): Promise<void> {
    this.limiter?.cancel();
    await super.close();
  }
}
