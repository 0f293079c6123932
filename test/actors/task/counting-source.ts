/**
 * A source for checkpoint tests: splits are ranges of numbers, and every split emits at most
 * `control.limit` numbers from its own start until the test raises the limit. With slots inline
 * in the test's thread, the control is a plain shared object.
 */
import {
  SequentialSplitReader,
  StaticSplitEnumerator,
  type Boundedness,
  type ReaderOutput,
  type Source,
  type SourceReaderContext,
  type SplitEnumeratorContext,
  type SplitProgress,
  type SplitQueueState,
} from '../../../src/connectors/index.js';

export interface CountingSplit {
  readonly splitId: string;
  /** The next number to emit. */
  readonly next: number;
  /** One past the last. */
  readonly end: number;
}

const START = 1000;

class Control {
  limit = 0;
  /** Numbers emitted by every reader of this process. */
  emitted = 0;
  readonly waiting = new Set<() => void>();
  reset(limit: number): void {
    this.limit = limit;
    this.emitted = 0;
  }
  raise(limit: number): void {
    this.limit = limit;
    for (const wake of [...this.waiting]) wake();
  }
}

export const control = new Control();

export class CountingSource implements Source<number, CountingSplit, SplitQueueState<CountingSplit>> {
  getBoundedness(): Boundedness {
    return 'BOUNDED';
  }
  createEnumerator(ctx: SplitEnumeratorContext<CountingSplit>): StaticSplitEnumerator<CountingSplit> {
    return new StaticSplitEnumerator(ctx, { kind: 'static', splits: [] });
  }
  restoreEnumerator(ctx: SplitEnumeratorContext<CountingSplit>, state: SplitQueueState<CountingSplit>): StaticSplitEnumerator<CountingSplit> {
    return new StaticSplitEnumerator(ctx, { kind: 'static', splits: [] }, state);
  }
  createReader(ctx: SourceReaderContext): CountingReader {
    return new CountingReader(ctx);
  }
}

class CountingReader extends SequentialSplitReader<number, CountingSplit> {
  private split!: CountingSplit;
  private next = 0;
  private readonly wake = (): void => this.notifyAvailable();

  constructor(ctx: SourceReaderContext) {
    super(ctx, { recordsPerPoll: 64 });
    control.waiting.add(this.wake);
  }

  protected beginSplit(split: CountingSplit): void {
    this.split = split;
    this.next = split.next;
  }

  protected emitFromSplit(output: ReaderOutput<number>, budget: number): SplitProgress {
    // Splits are numbered from multiples of START: the limit counts from there.
    const until = Math.min(this.split.end, Math.floor(this.split.next / START) * START + control.limit);
    let n = 0;
    while (this.next < until && n < budget) {
      output.collect(this.next++);
      control.emitted++;
      n++;
    }
    if (this.next >= this.split.end) return 'FINISHED';
    return this.next < until ? 'MORE_AVAILABLE' : 'NOTHING_AVAILABLE';
  }

  protected splitPosition(): CountingSplit {
    return { ...this.split, next: this.next };
  }

  protected endSplit(): void {}

  override async close(): Promise<void> {
    control.waiting.delete(this.wake);
    await super.close();
  }
}
