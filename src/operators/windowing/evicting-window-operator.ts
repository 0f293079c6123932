/**
 * The window operator with an evictor (Flink's EvictingWindowOperator). Every element is kept,
 * with its timestamp, in a ListState of [element, timestamp] pairs whatever the window function;
 * when the window fires the evictor trims the elements, the reduce or aggregate (if any) runs
 * over what is left, the function is called, the evictor may trim again, and the elements left
 * are written back. That is what `countWindow(size, slide)` needs: a count evictor keeps the last
 * `size` elements while a count trigger fires every `slide`.
 */
import type { Evictor, EvictorContext } from '../../api/windowing/evictors.js';
import { TimestampedValue } from '../../api/windowing/evictors.js';
import type { Window } from '../../api/windowing/windows.js';
import { ListStateDescriptor } from '../../state/index.js';
import { WindowOperator, type ContentsState, type WindowOperatorSpec } from './window-operator.js';
import { foldContents, WINDOW_CONTENTS_STATE } from './window-functions.js';

type Stored = [unknown, number | undefined];

export class EvictingWindowOperator extends WindowOperator implements EvictorContext {
  constructor(
    spec: WindowOperatorSpec,
    private readonly evictor: Evictor<unknown, Window>,
  ) {
    super(spec);
  }

  protected override createContentsState(): ContentsState {
    return this.backend.getListState(new ListStateDescriptor<Stored>(WINDOW_CONTENTS_STATE)) as unknown as ContentsState;
  }

  protected override addToContents(value: unknown, timestamp: number | undefined): void {
    this.contents.add([value, timestamp] satisfies Stored);
  }

  protected override readContents(): unknown {
    const stored = this.contents.get() as readonly Stored[];
    return stored.length === 0 ? undefined : stored;
  }

  protected override emitWindowContents(window: Window, contents: unknown): void {
    const namespace = this.backend.getCurrentNamespace();
    const elements: TimestampedValue<unknown>[] = [];
    for (const [value, timestamp] of contents as readonly Stored[]) elements.push(new TimestampedValue(value, timestamp));
    this.evictor.evictBefore(elements, elements.length, window, this);
    const values: unknown[] = [];
    for (const e of elements) values.push(e.getValue());
    // A reduce over nothing has no result (the evictor took every element).
    if (values.length > 0 || this.spec.contents.kind !== 'reduce') super.emitWindowContents(window, foldContents(this.spec.contents, values));
    this.evictor.evictAfter(elements, elements.length, window, this);
    this.backend.setCurrentNamespace(namespace);
    const kept: Stored[] = [];
    for (const e of elements) kept.push([e.getValue(), e.hasTimestamp() ? e.getTimestamp() : undefined]);
    this.contents.clear();
    for (const pair of kept) this.contents.add(pair);
  }

  getCurrentProcessingTime(): number {
    return this.setup.processingTime.now();
  }

  getCurrentWatermark(): number {
    return this.timers.currentWatermark();
  }
}
