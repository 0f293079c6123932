/**
 * Window assigners with Flink's names and window maths. A window of size `size` and offset
 * `offset` containing timestamp `t` starts at `t - ((t - offset) mod size)` (mod taken into
 * [0, size), so negative timestamps align too) and ends, exclusively, `size` later.
 *
 * Assigners return a read-only array of windows. For consecutive records of the same window(s)
 * they return the same array and window objects again, so the common case allocates nothing per
 * record; callers must not keep or modify the array.
 */
import { InvalidWindowError, MissingTimestampError } from './errors.js';
import { EventTimeTrigger, NeverTrigger, EndOfStreamTrigger, ProcessingTimeTrigger, type Trigger } from './triggers.js';
import { GlobalWindow, TimeWindow, type MergeCallback, type Window, type WindowSerializer } from './windows.js';

/** What an assigner may ask of the runtime. */
export interface WindowAssignerContext {
  getCurrentProcessingTime(): number;
}

/** Puts each element into zero or more windows. */
export abstract class WindowAssigner<T, W extends Window> {
  declare readonly __element?: (element: T) => void;

  /** The windows of `element`; `timestamp` is the record's event time, if it has one. */
  abstract assignWindows(element: T, timestamp: number | undefined, context: WindowAssignerContext): readonly W[];
  /** The trigger used unless `WindowedStream.trigger(...)` sets another. */
  abstract getDefaultTrigger(): Trigger<T, W>;
  /** How windows become state namespaces and back. */
  abstract getWindowSerializer(): WindowSerializer<W>;
  /** Whether windows are in event time (lateness and the watermark apply). */
  abstract isEventTime(): boolean;
}

/** An assigner whose windows can merge (sessions). */
export abstract class MergingWindowAssigner<T, W extends Window> extends WindowAssigner<T, W> {
  /** Reports every group of `windows` that must merge, with the window they merge into. */
  abstract mergeWindows(windows: readonly W[], callback: MergeCallback<W>): void;
}

function checkSize(name: string, what: string, value: number): void {
  if (!(value > 0) || !Number.isFinite(value)) throw new InvalidWindowError(`${name} needs a positive ${what}, got ${value} ms`);
}

function checkOffset(name: string, offset: number, bound: number, boundName: string): void {
  if (!Number.isFinite(offset) || Math.abs(offset) >= bound) {
    throw new InvalidWindowError(`${name} parameters must satisfy abs(offset) < ${boundName}, got offset ${offset} ms and ${boundName} ${bound} ms`);
  }
}

/**
 * One window of `size` per period: the last window is kept and handed out again while records
 * fall into it.
 */
class TumblingWindows {
  private window: TimeWindow | undefined;
  private windows: readonly TimeWindow[] = [];

  constructor(
    readonly size: number,
    readonly offset: number,
  ) {}

  of(timestamp: number): readonly TimeWindow[] {
    const start = TimeWindow.getWindowStartWithOffset(timestamp, this.offset, this.size);
    if (this.window === undefined || this.window.getStart() !== start) {
      this.window = new TimeWindow(start, start + this.size);
      this.windows = [this.window];
    }
    return this.windows;
  }
}

/** The `size / slide` windows that overlap at any instant, latest first, reused while the slide stays. */
class SlidingWindows {
  private lastStart = Number.NaN;
  private windows: readonly TimeWindow[] = [];

  constructor(
    readonly size: number,
    readonly slide: number,
    readonly offset: number,
  ) {}

  of(timestamp: number): readonly TimeWindow[] {
    const lastStart = TimeWindow.getWindowStartWithOffset(timestamp, this.offset, this.slide);
    if (lastStart !== this.lastStart) {
      const windows: TimeWindow[] = [];
      for (let start = lastStart; start > timestamp - this.size; start -= this.slide) windows.push(new TimeWindow(start, start + this.size));
      this.lastStart = lastStart;
      this.windows = windows;
    }
    return this.windows;
  }
}

/** Fixed-size, non-overlapping windows in event time. */
export class TumblingEventTimeWindows extends WindowAssigner<unknown, TimeWindow> {
  private readonly windows: TumblingWindows;

  private constructor(size: number, offset: number) {
    super();
    this.windows = new TumblingWindows(size, offset);
  }

  /** Windows of `size` ms, aligned to the epoch shifted by `offset` ms (e.g. a time zone). */
  static of(size: number, offset = 0): TumblingEventTimeWindows {
    checkSize('TumblingEventTimeWindows', 'size', size);
    checkOffset('TumblingEventTimeWindows', offset, size, 'size');
    return new TumblingEventTimeWindows(size, offset);
  }

  assignWindows(_element: unknown, timestamp: number | undefined, _context?: WindowAssignerContext): readonly TimeWindow[] {
    if (timestamp === undefined) throw new MissingTimestampError(this.toString());
    return this.windows.of(timestamp);
  }

  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return EventTimeTrigger.create();
  }

  getWindowSerializer(): WindowSerializer<TimeWindow> {
    return TimeWindow.Serializer;
  }

  isEventTime(): boolean {
    return true;
  }

  getSize(): number {
    return this.windows.size;
  }

  override toString(): string {
    return `TumblingEventTimeWindows(${this.windows.size})`;
  }
}

/** Fixed-size windows in processing time, assigned by the clock when a record arrives. */
export class TumblingProcessingTimeWindows extends WindowAssigner<unknown, TimeWindow> {
  private readonly windows: TumblingWindows;

  private constructor(size: number, offset: number) {
    super();
    this.windows = new TumblingWindows(size, offset);
  }

  static of(size: number, offset = 0): TumblingProcessingTimeWindows {
    checkSize('TumblingProcessingTimeWindows', 'size', size);
    checkOffset('TumblingProcessingTimeWindows', offset, size, 'size');
    return new TumblingProcessingTimeWindows(size, offset);
  }

  assignWindows(_element: unknown, _timestamp: number | undefined, context: WindowAssignerContext): readonly TimeWindow[] {
    return this.windows.of(context.getCurrentProcessingTime());
  }

  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return ProcessingTimeTrigger.create();
  }

  getWindowSerializer(): WindowSerializer<TimeWindow> {
    return TimeWindow.Serializer;
  }

  isEventTime(): boolean {
    return false;
  }

  getSize(): number {
    return this.windows.size;
  }

  override toString(): string {
    return `TumblingProcessingTimeWindows(${this.windows.size})`;
  }
}

/** Windows of `size` starting every `slide` in event time: each record is in about size/slide windows. */
export class SlidingEventTimeWindows extends WindowAssigner<unknown, TimeWindow> {
  private readonly windows: SlidingWindows;

  private constructor(size: number, slide: number, offset: number) {
    super();
    this.windows = new SlidingWindows(size, slide, offset);
  }

  static of(size: number, slide: number, offset = 0): SlidingEventTimeWindows {
    checkSize('SlidingEventTimeWindows', 'size', size);
    checkSize('SlidingEventTimeWindows', 'slide', slide);
    checkOffset('SlidingEventTimeWindows', offset, slide, 'slide');
    return new SlidingEventTimeWindows(size, slide, offset);
  }

  assignWindows(_element: unknown, timestamp: number | undefined, _context?: WindowAssignerContext): readonly TimeWindow[] {
    if (timestamp === undefined) throw new MissingTimestampError(this.toString());
    return this.windows.of(timestamp);
  }

  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return EventTimeTrigger.create();
  }

  getWindowSerializer(): WindowSerializer<TimeWindow> {
    return TimeWindow.Serializer;
  }

  isEventTime(): boolean {
    return true;
  }

  getSize(): number {
    return this.windows.size;
  }

  getSlide(): number {
    return this.windows.slide;
  }

  override toString(): string {
    return `SlidingEventTimeWindows(${this.windows.size}, ${this.windows.slide})`;
  }
}

/** Sliding windows in processing time. */
export class SlidingProcessingTimeWindows extends WindowAssigner<unknown, TimeWindow> {
  private readonly windows: SlidingWindows;

  private constructor(size: number, slide: number, offset: number) {
    super();
    this.windows = new SlidingWindows(size, slide, offset);
  }

  static of(size: number, slide: number, offset = 0): SlidingProcessingTimeWindows {
    checkSize('SlidingProcessingTimeWindows', 'size', size);
    checkSize('SlidingProcessingTimeWindows', 'slide', slide);
    checkOffset('SlidingProcessingTimeWindows', offset, slide, 'slide');
    return new SlidingProcessingTimeWindows(size, slide, offset);
  }

  assignWindows(_element: unknown, _timestamp: number | undefined, context: WindowAssignerContext): readonly TimeWindow[] {
    return this.windows.of(context.getCurrentProcessingTime());
  }

  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return ProcessingTimeTrigger.create();
  }

  getWindowSerializer(): WindowSerializer<TimeWindow> {
    return TimeWindow.Serializer;
  }

  isEventTime(): boolean {
    return false;
  }

  getSize(): number {
    return this.windows.size;
  }

  getSlide(): number {
    return this.windows.slide;
  }

  override toString(): string {
    return `SlidingProcessingTimeWindows(${this.windows.size}, ${this.windows.slide})`;
  }
}

/** Extracts the session gap of one element (Flink's `SessionWindowTimeGapExtractor`). */
export type SessionWindowTimeGapExtractor<T> = ((element: T) => number) | { extract(element: T): number };

function gapOf<T>(extractor: SessionWindowTimeGapExtractor<T>, element: T, name: string): number {
  const gap = typeof extractor === 'function' ? extractor(element) : extractor.extract(element);
  if (!(gap > 0)) throw new InvalidWindowError(`${name}: the session gap must be positive, got ${gap} ms`);
  return gap;
}

/**
 * Sessions in event time: each record opens the window [t, t + gap), and windows that overlap
 * merge, so a session ends after `gap` ms without records.
 */
export class EventTimeSessionWindows<T = unknown> extends MergingWindowAssigner<T, TimeWindow> {
  private constructor(private readonly gap: number | SessionWindowTimeGapExtractor<T>) {
    super();
  }

  static withGap(gap: number): EventTimeSessionWindows {
    checkSize('EventTimeSessionWindows', 'gap', gap);
    return new EventTimeSessionWindows<unknown>(gap);
  }

  /** Sessions whose gap each element decides (Flink's `DynamicEventTimeSessionWindows`). */
  static withDynamicGap<T>(extractor: SessionWindowTimeGapExtractor<T>): EventTimeSessionWindows<T> {
    return new EventTimeSessionWindows<T>(extractor);
  }

  assignWindows(element: T, timestamp: number | undefined, _context?: WindowAssignerContext): readonly TimeWindow[] {
    if (timestamp === undefined) throw new MissingTimestampError(this.toString());
    const gap = typeof this.gap === 'number' ? this.gap : gapOf(this.gap, element, 'EventTimeSessionWindows');
    return [new TimeWindow(timestamp, timestamp + gap)];
  }

  mergeWindows(windows: readonly TimeWindow[], callback: MergeCallback<TimeWindow>): void {
    TimeWindow.mergeWindows(windows, callback);
  }

  getDefaultTrigger(): Trigger<T, TimeWindow> {
    return EventTimeTrigger.create();
  }

  getWindowSerializer(): WindowSerializer<TimeWindow> {
    return TimeWindow.Serializer;
  }

  isEventTime(): boolean {
    return true;
  }

  override toString(): string {
    return typeof this.gap === 'number' ? `EventTimeSessionWindows(${this.gap})` : 'DynamicEventTimeSessionWindows()';
  }
}

/** Sessions in processing time: [now, now + gap) per record, merged when they overlap. */
export class ProcessingTimeSessionWindows<T = unknown> extends MergingWindowAssigner<T, TimeWindow> {
  private constructor(private readonly gap: number | SessionWindowTimeGapExtractor<T>) {
    super();
  }

  static withGap(gap: number): ProcessingTimeSessionWindows {
    checkSize('ProcessingTimeSessionWindows', 'gap', gap);
    return new ProcessingTimeSessionWindows<unknown>(gap);
  }

  static withDynamicGap<T>(extractor: SessionWindowTimeGapExtractor<T>): ProcessingTimeSessionWindows<T> {
    return new ProcessingTimeSessionWindows<T>(extractor);
  }

  assignWindows(element: T, _timestamp: number | undefined, context: WindowAssignerContext): readonly TimeWindow[] {
    const now = context.getCurrentProcessingTime();
    const gap = typeof this.gap === 'number' ? this.gap : gapOf(this.gap, element, 'ProcessingTimeSessionWindows');
    return [new TimeWindow(now, now + gap)];
  }

  mergeWindows(windows: readonly TimeWindow[], callback: MergeCallback<TimeWindow>): void {
    TimeWindow.mergeWindows(windows, callback);
  }

  getDefaultTrigger(): Trigger<T, TimeWindow> {
    return ProcessingTimeTrigger.create();
  }

  getWindowSerializer(): WindowSerializer<TimeWindow> {
    return TimeWindow.Serializer;
  }

  isEventTime(): boolean {
    return false;
  }

  override toString(): string {
    return typeof this.gap === 'number' ? `ProcessingTimeSessionWindows(${this.gap})` : 'DynamicProcessingTimeSessionWindows()';
  }
}

const GLOBAL_WINDOWS: readonly GlobalWindow[] = [GlobalWindow.get()];

/**
 * Every element of a key in one window that never ends. Its default trigger never fires: give
 * one with `trigger(...)` (as `countWindow` does), or use `createWithEndOfStreamTrigger()`.
 */
export class GlobalWindows extends WindowAssigner<unknown, GlobalWindow> {
  private constructor(private readonly endOfStream: boolean) {
    super();
  }

  static create(): GlobalWindows {
    return new GlobalWindows(false);
  }

  /** Global windows that fire once, when the input ends. */
  static createWithEndOfStreamTrigger(): GlobalWindows {
    return new GlobalWindows(true);
  }

  assignWindows(_element?: unknown, _timestamp?: number, _context?: WindowAssignerContext): readonly GlobalWindow[] {
    return GLOBAL_WINDOWS;
  }

  getDefaultTrigger(): Trigger<unknown, GlobalWindow> {
    return this.endOfStream ? new EndOfStreamTrigger() : new NeverTrigger();
  }

  getWindowSerializer(): WindowSerializer<GlobalWindow> {
    return GlobalWindow.Serializer;
  }

  isEventTime(): boolean {
    return false;
  }

  override toString(): string {
    return 'GlobalWindows()';
  }
}
