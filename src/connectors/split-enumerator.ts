/**
 * The enumerator all built-in sources use: a queue of splits handed out one per request, so a
 * fast reader simply asks more often (pull-based load balancing, like Flink's
 * `IteratorSourceEnumerator` and static file enumerator).
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

/** Where the splits come from: known up front, or discovered once, asynchronously, at start. */
export type SplitDiscovery<Split extends SourceSplit> =
  | { readonly kind: 'static'; readonly splits: readonly Split[] }
  | { readonly kind: 'async'; readonly discover: () => Promise<Split[]> };

/**
 * Hands out one split per request, in queue order, and answers `signalNoMoreSplits` once the
 * queue is empty. Requests arriving before asynchronous discovery completes are parked and
 * answered when it does. Splits given back after a failure go to the front of the queue, so a
 * single reader still sees them in order.
 */
export class StaticSplitEnumerator<Split extends SourceSplit> implements SplitEnumerator<Split, SplitQueueState<Split>> {
  private readonly ctx: SplitEnumeratorContext<Split>;
  private readonly discovery: SplitDiscovery<Split>;
  private readonly queue: Split[];
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
    const split = this.queue.shift();
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
    return { pendingSplits: [...this.queue], splitsDiscovered: this.discovered };
  }

  close(): void {
    this.parked.length = 0;
  }

  /** Splits not handed out yet (for tests and metrics). */
  get pendingSplitCount(): number {
    return this.queue.length;
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
 * faster readers can take more.
 */
export function splitCountFor(parallelism: number, splitsPerReader: number): number {
  return parallelism <= 1 ? 1 : parallelism * splitsPerReader;
}

/** The default of `splitsPerReader`: enough pieces to balance uneven readers, few enough to stay cheap. */
export const DEFAULT_SPLITS_PER_READER = 4;
