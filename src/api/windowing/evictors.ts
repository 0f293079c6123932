/**
 * Evictors remove elements from a window's contents before and/or after the window function
 * runs (Flink's `Evictor`). A window with an evictor keeps every element (with its timestamp)
 * and applies a reduce or aggregate only when it fires, over what the evictor left.
 */
import type { Window } from './windows.js';

/** An element with its record timestamp, if it had one. */
export class TimestampedValue<T> {
  constructor(
    private readonly value: T,
    private readonly timestamp: number | undefined,
  ) {}

  getValue(): T {
    return this.value;
  }

  /** The timestamp; check `hasTimestamp()` first. */
  getTimestamp(): number {
    return this.timestamp ?? Number.NEGATIVE_INFINITY;
  }

  hasTimestamp(): boolean {
    return this.timestamp !== undefined;
  }
}

export interface EvictorContext {
  getCurrentProcessingTime(): number;
  getCurrentWatermark(): number;
}

/**
 * Removes elements from `elements` (in place: splice what goes) before or after evaluation;
 * `size` is `elements.length` when called.
 */
export interface Evictor<T, W extends Window> {
  evictBefore(elements: TimestampedValue<T>[], size: number, window: W, ctx: EvictorContext): void;
  evictAfter(elements: TimestampedValue<T>[], size: number, window: W, ctx: EvictorContext): void;
}

/** Keeps the last `maxCount` elements (the ones added most recently). */
export class CountEvictor implements Evictor<unknown, Window> {
  private constructor(
    private readonly maxCount: number,
    private readonly doEvictAfter: boolean,
  ) {}

  /** Evicts before evaluation, or after it when `doEvictAfter`. */
  static of(maxCount: number, doEvictAfter = false): CountEvictor {
    if (!Number.isInteger(maxCount) || maxCount < 0) throw new RangeError(`CountEvictor needs a count >= 0, got ${maxCount}`);
    return new CountEvictor(maxCount, doEvictAfter);
  }

  evictBefore(elements: TimestampedValue<unknown>[], size: number): void {
    if (!this.doEvictAfter) this.evict(elements, size);
  }

  evictAfter(elements: TimestampedValue<unknown>[], size: number): void {
    if (this.doEvictAfter) this.evict(elements, size);
  }

  toString(): string {
    return `CountEvictor(${this.maxCount})`;
  }

  private evict(elements: TimestampedValue<unknown>[], size: number): void {
    if (size > this.maxCount) elements.splice(0, size - this.maxCount);
  }
}

/** Keeps the elements within `windowSize` ms of the latest element's timestamp. */
export class TimeEvictor implements Evictor<unknown, Window> {
  private constructor(
    private readonly windowSize: number,
    private readonly doEvictAfter: boolean,
  ) {}

  static of(windowSize: number, doEvictAfter = false): TimeEvictor {
    if (!(windowSize >= 0)) throw new RangeError(`TimeEvictor needs a window size >= 0, got ${windowSize} ms`);
    return new TimeEvictor(windowSize, doEvictAfter);
  }

  evictBefore(elements: TimestampedValue<unknown>[]): void {
    if (!this.doEvictAfter) this.evict(elements);
  }

  evictAfter(elements: TimestampedValue<unknown>[]): void {
    if (this.doEvictAfter) this.evict(elements);
  }

  toString(): string {
    return `TimeEvictor(${this.windowSize})`;
  }

  private evict(elements: TimestampedValue<unknown>[]): void {
    let latest = Number.NEGATIVE_INFINITY;
    for (const e of elements) if (e.hasTimestamp() && e.getTimestamp() > latest) latest = e.getTimestamp();
    if (latest === Number.NEGATIVE_INFINITY) return;
    const cutoff = latest - this.windowSize;
    let kept = 0;
    for (const e of elements) if (!e.hasTimestamp() || e.getTimestamp() > cutoff) elements[kept++] = e;
    elements.length = kept;
  }
}
