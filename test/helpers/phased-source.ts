/**
 * A bounded source that emits its items in phases and waits, between two phases, until the test
 * opens a gate — typically when a downstream operator has seen a result that proves the
 * watermark moved. With slots inline in the test's thread the gate is a plain shared object, so
 * tests of late data need no sleeps.
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
} from '../../src/connectors/index.js';

export class Gate {
  private release!: () => void;
  private released = false;
  readonly opened: Promise<void> = new Promise<void>((resolve) => (this.release = resolve));

  open(): void {
    this.released = true;
    this.release();
  }

  get isOpen(): boolean {
    return this.released;
  }
}

interface PhasedSplit {
  readonly splitId: string;
}

export class PhasedSource<T> implements Source<T, PhasedSplit, SplitQueueState<PhasedSplit>> {
  /** `gates[i]` lets phase `i + 1` start. */
  constructor(
    readonly phases: readonly (readonly T[])[],
    readonly gates: readonly Gate[],
  ) {
    if (gates.length !== phases.length - 1) throw new Error('one gate between every two phases');
  }

  getBoundedness(): Boundedness {
    return 'BOUNDED';
  }

  createEnumerator(ctx: SplitEnumeratorContext<PhasedSplit>): StaticSplitEnumerator<PhasedSplit> {
    return new StaticSplitEnumerator(ctx, { kind: 'static', splits: [{ splitId: 'phases' }] });
  }

  restoreEnumerator(ctx: SplitEnumeratorContext<PhasedSplit>, state: SplitQueueState<PhasedSplit>): StaticSplitEnumerator<PhasedSplit> {
    return new StaticSplitEnumerator(ctx, { kind: 'static', splits: [] }, state);
  }

  createReader(ctx: SourceReaderContext): PhasedReader<T> {
    return new PhasedReader(ctx, this);
  }
}

class PhasedReader<T> extends SequentialSplitReader<T, PhasedSplit> {
  private phase = 0;
  private index = 0;
  private waiting = false;

  constructor(
    ctx: SourceReaderContext,
    private readonly source: PhasedSource<T>,
  ) {
    super(ctx);
  }

  protected beginSplit(): void {}

  protected emitFromSplit(output: ReaderOutput<T>): SplitProgress {
    const { phases, gates } = this.source;
    for (;;) {
      const items = phases[this.phase]!;
      while (this.index < items.length) output.collect(items[this.index++]!);
      if (this.phase === phases.length - 1) return 'FINISHED';
      const gate = gates[this.phase]!;
      if (!gate.isOpen) {
        if (!this.waiting) {
          this.waiting = true;
          void gate.opened.then(() => {
            this.waiting = false;
            this.notifyAvailable();
          });
        }
        return 'NOTHING_AVAILABLE';
      }
      this.phase++;
      this.index = 0;
    }
  }

  protected splitPosition(): PhasedSplit {
    return { splitId: 'phases' };
  }

  protected endSplit(): void {}
}
