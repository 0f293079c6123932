/**
 * The enumerator all built-in sources use: a queue of splits handed out one per request, so a
 * fast reader simply asks more often (pull-based load balancing, like Flink's
 * `IteratorSourceEnumerator` and static file enumerator).
 *
 * Range-based sources (sequence, generator, collection) also keep each reader's first split
 * for it. Readers do not register at the same moment: a slot's thread may still be opening its
 * other tasks when its sibling asks, and a reader's round trip for its next split can take
 * under a millisecond. Served strictly first come, first served, a reader that started a few
 * milliseconds early could drain a queue of small splits before the other reader's first
 * request arrived, leaving that reader with nothing.
 */
import type { SourceSplit, SplitEnumerator, SplitEnumeratorContext } from './source.js';

/**
 * The enumerator's checkpointed state: the splits not handed out yet. `splitsDiscovered` is
 * false only when the checkpoint was taken before asynchronous discovery finished; restoring
 * such a state discovers again.
 */
export interface SplitQueueState<Split extends SourceSplit> {
  readonly pendingSplits: Split[];
  readonly splitsDiscovered: boolean;
}

/**
 * Where the splits come from: known up front, or discovered once, asynchronously, at start.
 * With `firstSplitPerReader`, `splits[i]` (`i` < parallelism) is kept for reader `i` until that
 * reader asks; the other readers are given only the splits after those, then told there are no
 * more. Every reader of a fresh start asks for a split once it is running, so a kept split is
 * never stranded. A restored enumerator keeps nothing (see the constructor).
 */
export type SplitDiscovery<Split extends SourceSplit> =
  | { readonly kind: 'static'; readonly splits: readonly Split[]; readonly firstSplitPerReader?: boolean }
  | { readonly kind: 'async'; readonly discover: () => Promise<Split[]> };

/**
 * Hands out one split per request: the reader's own first split if one is kept for it, else the
 * next split of the queue; `signalNoMoreSplits` once neither is left. Requests arriving before
 * asynchronous discovery completes are parked and answered when it does. Splits given back
 * after a failure go to the front of the queue, so a single reader still sees them in order.
 */
export class StaticSplitEnumerator<Split extends SourceSplit> implements SplitEnumerator<Split, SplitQueueState<Split>> {
  private readonly ctx: SplitEnumeratorContext<Split>;
  private readonly discovery: SplitDiscovery<Split>;
  private readonly queue: Split[];
  /** Each reader's first split, by subtask, until that reader asks for it. */
  private readonly kept = new Map<number, Split>();
  private discovered: boolean;
  /** Subtasks that asked before discovery finished, in asking order, without duplicates. */
  private readonly parked: number[] = [];

  constructor(ctx: SplitEnumeratorContext<Split>, discovery: SplitDiscovery<Split>, restored?: SplitQueueState<Split>) {
    this.ctx = ctx;
    this.discovery = discovery;
    if (restored !== undefined && restored.splitsDiscovered) {
      this.queue = [...restored.pendingSplits];
      this.discovered = true;
    } else if (discovery.kind === 'static') {
      this.queue = [...discovery.splits];
      this.discovered = true;
      // Restored state has no kept splits: its readers come back with the splits they had, and
      // its pending splits are leftovers, whoever asks for them.
      if (restored === undefined && discovery.firstSplitPerReader === true) {
        const first = this.queue.splice(0, ctx.currentParallelism());
        first.forEach((split, subtask) => this.kept.set(subtask, split));
      }
    } else {
      this.queue = restored === undefined ? [] : [...restored.pendingSplits];
      this.discovered = false;
    }
  }

  start(): void {
    if (this.discovered || this.discovery.kind !== 'async') return;
    this.ctx.callAsync(this.discovery.discover, (splits, error) => {
      if (splits === undefined) throw error;
      this.queue.push(...splits);
      this.discovered = true;
      const waiting = this.parked.splice(0);
      for (const subtask of waiting) this.handleSplitRequest(subtask);
    });
  }

  handleSplitRequest(subtaskId: number): void {
    // The reader may have failed while its request was travelling.
    if (!this.ctx.registeredReaders().includes(subtaskId)) return;
    if (!this.discovered) {
      if (!this.parked.includes(subtaskId)) this.parked.push(subtaskId);
      return;
    }
    const own = this.kept.get(subtaskId);
    if (own !== undefined) this.kept.delete(subtaskId);
    const split = own ?? this.queue.shift();
    if (split === undefined) this.ctx.signalNoMoreSplits(subtaskId);
    else this.ctx.assignSplits({ [subtaskId]: [split] });
  }

  addSplitsBack(splits: Split[], _subtaskId: number): void {
    this.queue.unshift(...splits);
  }

  addReader(_subtaskId: number): void {
    // Readers pull: nothing is pushed on registration.
  }

  snapshotState(_checkpointId: number): SplitQueueState<Split> {
    // Kept splits (in subtask order, as inserted) come before the queue in the source's order.
    return { pendingSplits: [...this.kept.values(), ...this.queue], splitsDiscovered: this.discovered };
  }

  close(): void {
    this.parked.length = 0;
  }

  /** Splits not handed out yet (for tests and metrics). */
  get pendingSplitCount(): number {
    return this.kept.size + this.queue.length;
  }
}

/** A half-open range `[start, end)` of integers. */
export interface IndexRange {
  readonly start: number;
  readonly end: number;
}

/**
 * Cuts `[start, end)` into at most `pieces` contiguous ranges whose sizes differ by at most one,
 * in order; no empty ranges. Works for any span up to 2^53 without overflowing.
 */
export function cutRange(start: number, end: number, pieces: number): IndexRange[] {
  const total = end - start;
  if (total <= 0) return [];
  const n = Math.max(1, Math.min(pieces, total));
  const base = Math.floor(total / n);
  const extra = total - base * n;
  const ranges: IndexRange[] = [];
  let from = start;
  for (let i = 0; i < n; i++) {
    const to = from + base + (i < extra ? 1 : 0);
    ranges.push({ start: from, end: to });
    from = to;
  }
  return ranges;
}

/**
 * How many splits a range-based source cuts its input into: one when there is a single reader
 * (order is kept and there is nothing to balance), else `splitsPerReader` per reader so that
 * faster readers can take more. The pieces are of equal size, so with `firstSplitPerReader`
 * every reader starts with the same share.
 */
export function splitCountFor(parallelism: number, splitsPerReader: number): number {
  return parallelism <= 1 ? 1 : parallelism * splitsPerReader;
}

/** The default of `splitsPerReader`: enough pieces to balance uneven readers, few enough to stay cheap. */
export const DEFAULT_SPLITS_PER_READER = 4;
