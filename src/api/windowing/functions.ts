/**
 * The functions a window evaluates: ProcessWindowFunction (keyed) and ProcessAllWindowFunction
 * (windowAll), with Flink's context. Reduce and aggregate functions are the ones of
 * `src/api/functions.ts` and `src/state` (AggregateFunction).
 */
import type { KeyedStateStore } from '../../state/index.js';
import { AbstractRichFunction, type Collector, type OutputTag } from '../functions.js';
import type { Window } from './windows.js';

/** What a process window function sees of its window and the operator. */
export interface ProcessWindowContext<W extends Window> {
  /** The window being evaluated. */
  window(): W;
  currentProcessingTime(): number;
  /** The current event-time watermark (-Infinity before the first). */
  currentWatermark(): number;
  /**
   * State of the current key scoped to this window: it survives between firings of the window
   * (late firings, repeated triggers) and must be cleared in `clear(context)`.
   */
  windowState(): KeyedStateStore;
  /** State of the current key shared by all its windows (what the runtime context also gives). */
  globalState(): KeyedStateStore;
  /** Emits to a side output, with the window's max timestamp as the record's timestamp. */
  output<X>(tag: OutputTag<X>, value: X): void;
}

/**
 * Evaluates a window of a keyed stream: all its elements at once (or the one pre-aggregated
 * value, after an incremental reduce or aggregate). Results carry the window's max timestamp.
 */
export abstract class ProcessWindowFunction<IN, OUT, KEY, W extends Window> extends AbstractRichFunction {
  /** Called when the window fires; `elements` are valid only during the call. */
  abstract process(key: KEY, context: ProcessWindowContext<W>, elements: Iterable<IN>, out: Collector<OUT>): void;

  /** Called when the window is purged for good: clear what was kept in `context.windowState()`. */
  clear(_context: ProcessWindowContext<W>): void {}
}

/** Evaluates a window of `windowAll`: as {@link ProcessWindowFunction}, without a key. */
export abstract class ProcessAllWindowFunction<IN, OUT, W extends Window> extends AbstractRichFunction {
  abstract process(context: ProcessWindowContext<W>, elements: Iterable<IN>, out: Collector<OUT>): void;

  clear(_context: ProcessWindowContext<W>): void {}
}
