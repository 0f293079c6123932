/**
 * `env.fromSequence(from, to)`: every integer of `[from, to]` (both included) exactly once,
 * across any number of readers. Flink's `NumberSequenceSource`, with JavaScript numbers: both
 * bounds must be safe integers.
 */
import { ConnectorArgumentError } from './errors.js';
import { SequentialSplitReader, positiveIntegerOption, validateReaderOptions, type ReaderOptions, type SplitProgress } from './split-reader.js';
import {
  DEFAULT_SPLITS_PER_READER,
  StaticSplitEnumerator,
  cutRange,
  splitCountFor,
  type SplitQueueState,
} from './split-enumerator.js';
import type { Boundedness, ReaderOutput, Source, SourceReaderContext, SplitEnumeratorContext } from './source.js';

/**
 * A piece of the sequence: the numbers `from..to`, both included. A reader's snapshot is the
 * same split with `from` moved to the next number to emit, so a checkpointed split is simply a
 * smaller one.
 */
export interface NumberSequenceSplit {
  readonly splitId: string;
  readonly from: number;
  readonly to: number;
}

export interface NumberSequenceSourceOptions extends ReaderOptions {
  /**
   * With more than one reader, the sequence is cut into `parallelism × splitsPerReader` equal
   * splits; split `i` is kept as reader `i`'s first, the rest go to whoever asks. Default 4.
   */
  readonly splitsPerReader?: number;
}

export type NumberSequenceEnumState = SplitQueueState<NumberSequenceSplit>;

export class NumberSequenceSource implements Source<number, NumberSequenceSplit, NumberSequenceEnumState> {
  readonly from: number;
  readonly to: number;
  private readonly options: NumberSequenceSourceOptions;
  private readonly splitsPerReader: number;

  constructor(from: number, to: number, options: NumberSequenceSourceOptions = {}) {
    const name = 'NumberSequenceSource';
    if (!Number.isSafeInteger(from)) throw new ConnectorArgumentError(name, 'from', `${String(from)} is not a safe integer`);
    if (!Number.isSafeInteger(to)) throw new ConnectorArgumentError(name, 'to', `${String(to)} is not a safe integer`);
    if (from > to) throw new ConnectorArgumentError(name, 'range', `'from' (${from}) must be <= 'to' (${to})`);
    if (to - from + 1 > Number.MAX_SAFE_INTEGER) {
      throw new ConnectorArgumentError(name, 'range', `[${from}, ${to}] holds more than 2^53 - 1 numbers`);
    }
    this.from = from;
    this.to = to;
    this.options = options;
    validateReaderOptions(name, options);
    this.splitsPerReader = positiveIntegerOption(name, 'splitsPerReader', options.splitsPerReader, DEFAULT_SPLITS_PER_READER);
  }

  getBoundedness(): Boundedness {
    return 'BOUNDED';
  }

  createEnumerator(ctx: SplitEnumeratorContext<NumberSequenceSplit>): StaticSplitEnumerator<NumberSequenceSplit> {
    const pieces = splitCountFor(ctx.currentParallelism(), this.splitsPerReader);
    const splits = cutRange(this.from, this.to + 1, pieces).map(
      (range, i): NumberSequenceSplit => ({ splitId: String(i), from: range.start, to: range.end - 1 }),
    );
    return new StaticSplitEnumerator(ctx, { kind: 'static', splits, firstSplitPerReader: true });
  }

  restoreEnumerator(
    ctx: SplitEnumeratorContext<NumberSequenceSplit>,
    state: NumberSequenceEnumState,
  ): StaticSplitEnumerator<NumberSequenceSplit> {
    return new StaticSplitEnumerator(ctx, { kind: 'static', splits: [] }, state);
  }

  createReader(ctx: SourceReaderContext): NumberSequenceReader {
    return new NumberSequenceReader(ctx, this.options);
  }
}

export class NumberSequenceReader extends SequentialSplitReader<number, NumberSequenceSplit> {
  private splitId = '';
  private next = 0;
  private last = -1;

  constructor(ctx: SourceReaderContext, options: ReaderOptions = {}) {
    super(ctx, options);
  }

  protected beginSplit(split: NumberSequenceSplit): void {
    this.splitId = split.splitId;
    this.next = split.from;
    this.last = split.to;
  }

  protected emitFromSplit(output: ReaderOutput<number>, budget: number): SplitProgress {
    const stop = Math.min(this.last, this.next + budget - 1);
    let n = this.next;
    for (; n <= stop; n++) output.collect(n);
    this.next = n;
    return n > this.last ? 'FINISHED' : 'MORE_AVAILABLE';
  }

  protected splitPosition(): NumberSequenceSplit {
    return { splitId: this.splitId, from: this.next, to: this.last };
  }

  protected endSplit(): void {}
}
