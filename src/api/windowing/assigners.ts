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

/** The clock a time-window assigner reads, and the trigger that fires its windows by that clock. */
interface TimeDomain {
  /** How the domain stands in the assigners' names: `EventTime` or `ProcessingTime`. */
  readonly name: string;
  readonly isEventTime: boolean;
  /** A record's time: its timestamp in event time, the clock when it arrives in processing time. */
  timeOf(timestamp: number | undefined, context: WindowAssignerContext | undefined, assigner: object): number;
  trigger(): Trigger<unknown, Window>;
}

const EVENT_TIME: TimeDomain = {
  name: 'EventTime',
  isEventTime: true,
  timeOf(timestamp, _context, assigner) {
    if (timestamp === undefined) throw new MissingTimestampError(String(assigner));
    return timestamp;
  },
  trigger: () => EventTimeTrigger.create(),
};

const PROCESSING_TIME: TimeDomain = {
  name: 'ProcessingTime',
  isEventTime: false,
  // Only event-time assigners may be called without a context.
  timeOf: (_timestamp, context) => context!.getCurrentProcessingTime(),
  trigger: () => ProcessingTimeTrigger.create(),
};

/** Tumbling and sliding windows, whose windows follow from a record's time alone. */
abstract class FixedTimeWindowAssigner extends WindowAssigner<unknown, TimeWindow> {
  /** The exported class's name, for toString() and errors. */
  protected readonly assignerName: string;

  protected constructor(
    private readonly domain: TimeDomain,
    kind: 'Tumbling' | 'Sliding',
  ) {
    super();
    this.assignerName = `${kind}${domain.name}Windows`;
  }

  /** The windows containing `time`. */
  protected abstract windowsAt(time: number): readonly TimeWindow[];

  assignWindows(_element: unknown, timestamp: number | undefined, context?: WindowAssignerContext): readonly TimeWindow[] {
    return this.windowsAt(this.domain.timeOf(timestamp, context, this));
  }

  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return this.domain.trigger();
  }

  getWindowSerializer(): WindowSerializer<TimeWindow> {
    return TimeWindow.Serializer;
  }

  isEventTime(): boolean {
    return this.domain.isEventTime;
  }
}

/**
 * One window of `size` per period: the last window is kept and handed out again while records
 * fall into it.
 */
abstract class TumblingWindowAssigner extends FixedTimeWindowAssigner {
  private window: TimeWindow | undefined;
  private windows: readonly TimeWindow[] = [];

  protected constructor(
    domain: TimeDomain,
    private readonly size: number,
    private readonly offset: number,
  ) {
    super(domain, 'Tumbling');
    checkSize(this.assignerName, 'size', size);
    checkOffset(this.assignerName, offset, size, 'size');
  }

  protected windowsAt(time: number): readonly TimeWindow[] {
    const start = TimeWindow.getWindowStartWithOffset(time, this.offset, this.size);
    if (this.window === undefined || this.window.getStart() !== start) {
      this.window = new TimeWindow(start, start + this.size);
      this.windows = [this.window];
    }
    return this.windows;
  }

  getSize(): number {
    return this.size;
  }

  override toString(): string {
    return `${this.assignerName}(${this.size})`;
  }
}

/** The `size / slide` windows that overlap at any instant, latest first, reused while the slide stays. */
abstract class SlidingWindowAssigner extends FixedTimeWindowAssigner {
  private lastStart = Number.NaN;
  private windows: readonly TimeWindow[] = [];

  protected constructor(
    domain: TimeDomain,
    private readonly size: number,
    private readonly slide: number,
    private readonly offset: number,
  ) {
    super(domain, 'Sliding');
    checkSize(this.assignerName, 'size', size);
    checkSize(this.assignerName, 'slide', slide);
    checkOffset(this.assignerName, offset, slide, 'slide');
  }

  protected windowsAt(time: number): readonly TimeWindow[] {
    const lastStart = TimeWindow.getWindowStartWithOffset(time, this.offset, this.slide);
    if (lastStart !== this.lastStart) {
      const windows: TimeWindow[] = [];
      for (let start = lastStart; start > time - this.size; start -= this.slide) windows.push(new TimeWindow(start, start + this.size));
      this.lastStart = lastStart;
      this.windows = windows;
    }
    return this.windows;
  }

  getSize(): number {
    return this.size;
  }

  getSlide(): number {
    return this.slide;
  }

  override toString(): string {
    return `${this.assignerName}(${this.size}, ${this.slide})`;
  }
}

/** Fixed-size, non-overlapping windows in event time. */
export class TumblingEventTimeWindows extends TumblingWindowAssigner {
  /** Windows of `size` ms, aligned to the epoch shifted by `offset` ms (e.g. a time zone). */
  static of(size: number, offset = 0): TumblingEventTimeWindows {
    return new TumblingEventTimeWindows(EVENT_TIME, size, offset);
  }
}

/** Fixed-size windows in processing time, assigned by the clock when a record arrives. */
export class TumblingProcessingTimeWindows extends TumblingWindowAssigner {
  static of(size: number, offset = 0): TumblingProcessingTimeWindows {
    return new TumblingProcessingTimeWindows(PROCESSING_TIME, size, offset);
  }
}

/** Windows of `size` starting every `slide` in event time: each record is in about size/slide windows. */
export class SlidingEventTimeWindows extends SlidingWindowAssigner {
  static of(size: number, slide: number, offset = 0): SlidingEventTimeWindows {
    return new SlidingEventTimeWindows(EVENT_TIME, size, slide, offset);
  }
}

/** Sliding windows in processing time. */
export class SlidingProcessingTimeWindows extends SlidingWindowAssigner {
  static of(size: number, slide: number, offset = 0): SlidingProcessingTimeWindows {
    return new SlidingProcessingTimeWindows(PROCESSING_TIME, size, slide, offset);
  }
}

/** Extracts the session gap of one element (Flink's `SessionWindowTimeGapExtractor`). */
export type SessionWindowTimeGapExtractor<T> = ((element: T) => number) | { extract(element: T): number };

/**
 * Sessions: each record opens the window [time, time + gap), and windows that overlap merge, so
 * a session ends after `gap` ms without records. The gap is fixed or decided by each element.
 */
abstract class SessionWindowAssigner<T> extends MergingWindowAssigner<T, TimeWindow> {
  protected constructor(
    private readonly domain: TimeDomain,
    private readonly gap: number | SessionWindowTimeGapExtractor<T>,
  ) {
    super();
    if (typeof gap === 'number') checkSize(this.assignerName, 'gap', gap);
  }

  private get assignerName(): string {
    return `${this.domain.name}SessionWindows`;
  }

  assignWindows(element: T, timestamp: number | undefined, context?: WindowAssignerContext): readonly TimeWindow[] {
    const start = this.domain.timeOf(timestamp, context, this);
    return [new TimeWindow(start, start + this.gapOf(element))];
  }

  private gapOf(element: T): number {
    if (typeof this.gap === 'number') return this.gap;
    const gap = typeof this.gap === 'function' ? this.gap(element) : this.gap.extract(element);
    if (!(gap > 0)) throw new InvalidWindowError(`${this.assignerName}: the session gap must be positive, got ${gap} ms`);
    return gap;
  }

  mergeWindows(windows: readonly TimeWindow[], callback: MergeCallback<TimeWindow>): void {
    TimeWindow.mergeWindows(windows, callback);
  }

  getDefaultTrigger(): Trigger<T, TimeWindow> {
    return this.domain.trigger();
  }

  getWindowSerializer(): WindowSerializer<TimeWindow> {
    return TimeWindow.Serializer;
  }

  isEventTime(): boolean {
    return this.domain.isEventTime;
  }

  override toString(): string {
    return typeof this.gap === 'number' ? `${this.assignerName}(${this.gap})` : `Dynamic${this.assignerName}()`;
  }
}

/**
 * Sessions in event time: each record opens the window [t, t + gap), and windows that overlap
 * merge, so a session ends after `gap` ms without records.
 */
export class EventTimeSessionWindows<T = unknown> extends SessionWindowAssigner<T> {
  static withGap(gap: number): EventTimeSessionWindows {
    return new EventTimeSessionWindows<unknown>(EVENT_TIME, gap);
  }

  /** Sessions whose gap each element decides (Flink's `DynamicEventTimeSessionWindows`). */
  static withDynamicGap<T>(extractor: SessionWindowTimeGapExtractor<T>): EventTimeSessionWindows<T> {
    return new EventTimeSessionWindows<T>(EVENT_TIME, extractor);
  }
}

/** Sessions in processing time: [now, now + gap) per record, merged when they overlap. */
export class ProcessingTimeSessionWindows<T = unknown> extends SessionWindowAssigner<T> {
  static withGap(gap: number): ProcessingTimeSessionWindows {
    return new ProcessingTimeSessionWindows<unknown>(PROCESSING_TIME, gap);
  }

  static withDynamicGap<T>(extractor: SessionWindowTimeGapExtractor<T>): ProcessingTimeSessionWindows<T> {
    return new ProcessingTimeSessionWindows<T>(PROCESSING_TIME, extractor);
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
