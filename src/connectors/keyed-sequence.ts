/**
 * The source of the exactly-once verifier (`examples/sequence-check.ts`): for every key
 * `0..keys-1`, the events `{key, seq}` with `seq` = 1..eventsPerKey, each exactly once, each
 * key's in order.
 *
 * In order per key, across any number of readers: a key belongs to exactly one split, and a
 * split emits its keys round-robin (seq 1 of every key, then seq 2, ...), so a key's events
 * all come from one reader, in order, and the channels after a `keyBy` keep that order. The
 * keys are cut into contiguous ranges, one split each, `parallelism × splitsPerReader` of them
 * (at most one per key). A split's position is one number, `next`: the index of the next event
 * in its round-robin order; a reader's snapshot is its splits with `next` moved on, so a restore
 * continues without loss or repeat.
 *
 * Throttling: `ratePerSecond` is the total over all readers, each gets `ratePerSecond /
 * parallelism`. When a reader is ahead of its rate, `pollNext` returns `NOTHING_AVAILABLE` and
 * one timer wakes it when about {@link BURST_MS} worth of events may go out; no timer per
 * event. Time saved up while the job was slow is capped at about {@link MAX_SAVED_MS}.
 */
import { systemSourceClock, type SourceClock } from './availability.js';
import { TokenBucket } from './token-bucket.js';
import { ConnectorArgumentError } from './errors.js';
import { DEFAULT_SPLITS_PER_READER, StaticSplitEnumerator, cutRange, splitCountFor, type SplitQueueState } from './split-enumerator.js';
import { SequentialSplitReader, positiveIntegerOption, validateReaderOptions, type ReaderOptions, type SplitProgress } from './split-reader.js';
import type { Boundedness, ReaderOutput, Source, SourceReaderContext, SplitEnumeratorContext } from './source.js';

/** One event: the `seq`-th (from 1) of `key`. */
export interface KeyedSequenceEvent {
  readonly key: number;
  readonly seq: number;
}

/**
 * The keys `[firstKey, endKey)`; `next` is the index of the next event in the split's
 * round-robin order: event `i` is `{key: firstKey + i % keyCount, seq: floor(i / keyCount) + 1}`.
 */
export interface KeyedSequenceSplit {
  readonly splitId: string;
  readonly firstKey: number;
  readonly endKey: number;
  readonly next: number;
}

export interface KeyedSequenceSourceOptions extends ReaderOptions {
  /** Events per second over all readers; unthrottled when absent. */
  readonly ratePerSecond?: number;
  /** With more than one reader, the keys are cut into up to `parallelism × splitsPerReader` splits. Default 4. */
  readonly splitsPerReader?: number;
  /** Time for the rate limiter; the system clock by default. */
  readonly clock?: SourceClock;
}

export type KeyedSequenceEnumState = SplitQueueState<KeyedSequenceSplit>;


export class KeyedSequenceSource implements Source<KeyedSequenceEvent, KeyedSequenceSplit, KeyedSequenceEnumState> {
  readonly keys: number;
  readonly eventsPerKey: number;
  readonly ratePerSecond: number | undefined;
  private readonly options: KeyedSequenceSourceOptions;
  private readonly splitsPerReader: number;

  constructor(keys: number, eventsPerKey: number, options: KeyedSequenceSourceOptions = {}) {
    const name = 'KeyedSequenceSource';
    if (!Number.isSafeInteger(keys) || keys <= 0) throw new ConnectorArgumentError(name, 'keys', `expected a positive integer, got ${String(keys)}`);
    if (!Number.isSafeInteger(eventsPerKey) || eventsPerKey <= 0) {
      throw new ConnectorArgumentError(name, 'eventsPerKey', `expected a positive integer, got ${String(eventsPerKey)}`);
    }
    if (!Number.isSafeInteger(keys * eventsPerKey)) {
      throw new ConnectorArgumentError(name, 'keys', `${keys} keys × ${eventsPerKey} events is more than 2^53 - 1 events`);
    }
    const rate = options.ratePerSecond;
    if (rate !== undefined && !(rate > 0 && Number.isFinite(rate))) {
      throw new ConnectorArgumentError(name, 'ratePerSecond', `expected a positive number, got ${String(rate)}`);
    }
    validateReaderOptions(name, options);
    this.keys = keys;
    this.eventsPerKey = eventsPerKey;
    this.ratePerSecond = rate;
    this.options = options;
    this.splitsPerReader = positiveIntegerOption(name, 'splitsPerReader', options.splitsPerReader, DEFAULT_SPLITS_PER_READER);
  }

  getBoundedness(): Boundedness {
    return 'BOUNDED';
  }

  createEnumerator(ctx: SplitEnumeratorContext<KeyedSequenceSplit>): StaticSplitEnumerator<KeyedSequenceSplit> {
    const pieces = splitCountFor(ctx.currentParallelism(), this.splitsPerReader);
    const splits = cutRange(0, this.keys, pieces).map(
      (range, i): KeyedSequenceSplit => ({ splitId: String(i), firstKey: range.start, endKey: range.end, next: 0 }),
    );
    return new StaticSplitEnumerator(ctx, { kind: 'static', splits, firstSplitPerReader: true });
  }

  restoreEnumerator(ctx: SplitEnumeratorContext<KeyedSequenceSplit>, state: KeyedSequenceEnumState): StaticSplitEnumerator<KeyedSequenceSplit> {
    return new StaticSplitEnumerator(ctx, { kind: 'static', splits: [] }, state);
  }

  createReader(ctx: SourceReaderContext): KeyedSequenceReader {
    const perReader = this.ratePerSecond === undefined ? undefined : this.ratePerSecond / Math.max(1, ctx.parallelism);
    return new KeyedSequenceReader(ctx, this.eventsPerKey, perReader, this.options);
  }
}

export class KeyedSequenceReader extends SequentialSplitReader<KeyedSequenceEvent, KeyedSequenceSplit> {
  private readonly eventsPerKey: number;
  private readonly pacer: TokenBucket | undefined;
  private split: KeyedSequenceSplit = { splitId: '', firstKey: 0, endKey: 0, next: 0 };
  private keyCount = 0;
  private next = 0;
  private end = 0;

  /** `ratePerSecond` is this reader's own share. */
  constructor(ctx: SourceReaderContext, eventsPerKey: number, ratePerSecond: number | undefined, options: KeyedSequenceSourceOptions = {}) {
    super(ctx, options);
    this.eventsPerKey = eventsPerKey;
    this.pacer = ratePerSecond === undefined ? undefined : new TokenBucket(ratePerSecond, options.clock ?? systemSourceClock, () => this.notifyAvailable());
  }

  protected beginSplit(split: KeyedSequenceSplit): void {
    this.split = split;
    this.keyCount = split.endKey - split.firstKey;
    this.next = split.next;
    this.end = this.keyCount * this.eventsPerKey;
  }

  protected emitFromSplit(output: ReaderOutput<KeyedSequenceEvent>, budget: number): SplitProgress {
    const remaining = this.end - this.next;
    let allowed = Math.min(budget, remaining);
    if (this.pacer !== undefined && allowed > 0) {
      allowed = this.pacer.take(allowed);
      if (allowed === 0) {
        this.pacer.wakeWhenAllowed(remaining);
        return 'NOTHING_AVAILABLE';
      }
    }
    const { firstKey } = this.split;
    const keyCount = this.keyCount;
    const stop = this.next + allowed;
    // Key and seq advance together: no division per event.
    let i = this.next;
    let offset = i % keyCount;
    let seq = Math.floor(i / keyCount) + 1;
    for (; i < stop; i++) {
      output.collect({ key: firstKey + offset, seq });
      if (++offset === keyCount) {
        offset = 0;
        seq++;
      }
    }
    this.next = i;
    return i >= this.end ? 'FINISHED' : 'MORE_AVAILABLE';
  }

  protected splitPosition(): KeyedSequenceSplit {
    return { ...this.split, next: this.next };
  }

  protected endSplit(): void {}

  override async close(): Promise<void> {
    this.pacer?.cancel();
    await super.close();
  }
}
