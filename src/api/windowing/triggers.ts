/**
 * Triggers decide when a window's contents are handed to the window function (fire) and when
 * they are dropped (purge), with Flink's names and semantics. A trigger object holds no state of
 * its own: whatever it must remember per key and window (a count, the next firing time) lives in
 * partitioned state from its {@link TriggerContext}, so it is checkpointed with the window.
 */
import { ReducingStateDescriptor, type MergingState, type ReducingState, type State, type StateDescriptor } from '../../state/index.js';
import { WindowStateError } from './errors.js';
import { MAX_WINDOW_TIMESTAMP, type Window } from './windows.js';

/** What a trigger callback asks of the window operator. */
export class TriggerResult {
  /** Nothing happens to the window. */
  static readonly CONTINUE = new TriggerResult(false, false, 'CONTINUE');
  /** The window function runs on the contents; they are kept. */
  static readonly FIRE = new TriggerResult(true, false, 'FIRE');
  /** The contents are dropped without evaluation (the window's metadata and timers stay). */
  static readonly PURGE = new TriggerResult(false, true, 'PURGE');
  /** The window function runs, then the contents are dropped. */
  static readonly FIRE_AND_PURGE = new TriggerResult(true, true, 'FIRE_AND_PURGE');

  private constructor(
    private readonly fire: boolean,
    private readonly purge: boolean,
    readonly name: 'CONTINUE' | 'FIRE' | 'PURGE' | 'FIRE_AND_PURGE',
  ) {}

  isFire(): boolean {
    return this.fire;
  }

  isPurge(): boolean {
    return this.purge;
  }

  toString(): string {
    return this.name;
  }
}

/**
 * What a trigger may do while one of its callbacks runs: read the clocks, set and delete timers
 * for its window, and use state scoped to the current key and its window.
 */
export interface TriggerContext {
  getCurrentProcessingTime(): number;
  /** The current event-time watermark (-Infinity before the first). */
  getCurrentWatermark(): number;
  /** Calls the trigger's `onProcessingTime` for this window when processing time reaches `time`. */
  registerProcessingTimeTimer(time: number): void;
  /** Calls the trigger's `onEventTime` for this window when the watermark reaches `time`. */
  registerEventTimeTimer(time: number): void;
  deleteProcessingTimeTimer(time: number): void;
  deleteEventTimeTimer(time: number): void;
  /** State of the current key and window; valid only during the callback that fetched it. */
  getPartitionedState<S extends State>(descriptor: StateDescriptor<S>): S;
}

/** The context of `onMerge`: the window is the merged one; its merged-away windows' state can be folded in. */
export interface OnMergeContext extends TriggerContext {
  /** Merges the state `descriptor` of every merged window into the merged window (list, reducing and aggregating state). */
  mergePartitionedState(descriptor: StateDescriptor<State>): void;
}

/**
 * A trigger for elements of type `T` in windows of type `W`. Callbacks run on the task's thread
 * with the element's key current; they return what should happen to the window.
 */
export abstract class Trigger<T, W extends Window> {
  declare readonly __element?: (element: T) => void;

  /** Called for every element added to `window`; `timestamp` is the element's, if it has one. */
  abstract onElement(element: T, timestamp: number | undefined, window: W, ctx: TriggerContext): TriggerResult;
  /** A processing-time timer set through the context fired. */
  abstract onProcessingTime(time: number, window: W, ctx: TriggerContext): TriggerResult;
  /** An event-time timer set through the context fired. */
  abstract onEventTime(time: number, window: W, ctx: TriggerContext): TriggerResult;
  /** Removes what this trigger holds for `window`: its timers and state. Called when the window is purged for good. */
  abstract clear(window: W, ctx: TriggerContext): void;

  /** Whether the trigger can follow merging windows (sessions); if so it implements `onMerge`. */
  canMerge(): boolean {
    return false;
  }

  /** Called when windows merged into `window`; the trigger re-establishes its timers and state for it. */
  onMerge(_window: W, _ctx: OnMergeContext): void {
    throw new WindowStateError('This trigger does not support merging.');
  }

  toString(): string {
    return this.constructor.name;
  }
}

/** Fires once the watermark passes the window's end; a late element (within the lateness) fires at once. */
export class EventTimeTrigger extends Trigger<unknown, Window> {
  private constructor() {
    super();
  }

  static create(): EventTimeTrigger {
    return new EventTimeTrigger();
  }

  onElement(_element: unknown, _timestamp: number | undefined, window: Window, ctx: TriggerContext): TriggerResult {
    if (window.maxTimestamp() <= ctx.getCurrentWatermark()) return TriggerResult.FIRE;
    ctx.registerEventTimeTimer(window.maxTimestamp());
    return TriggerResult.CONTINUE;
  }

  onEventTime(time: number, window: Window): TriggerResult {
    return time === window.maxTimestamp() ? TriggerResult.FIRE : TriggerResult.CONTINUE;
  }

  onProcessingTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteEventTimeTimer(window.maxTimestamp());
  }

  override canMerge(): boolean {
    return true;
  }

  override onMerge(window: Window, ctx: OnMergeContext): void {
    // Only while the merged window is not already late: a timer in the past would fire at once.
    if (window.maxTimestamp() > ctx.getCurrentWatermark()) ctx.registerEventTimeTimer(window.maxTimestamp());
  }

  override toString(): string {
    return 'EventTimeTrigger()';
  }
}

/** Fires once processing time passes the window's end. */
export class ProcessingTimeTrigger extends Trigger<unknown, Window> {
  private constructor() {
    super();
  }

  static create(): ProcessingTimeTrigger {
    return new ProcessingTimeTrigger();
  }

  onElement(_element: unknown, _timestamp: number | undefined, window: Window, ctx: TriggerContext): TriggerResult {
    ctx.registerProcessingTimeTimer(window.maxTimestamp());
    return TriggerResult.CONTINUE;
  }

  onEventTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  onProcessingTime(): TriggerResult {
    return TriggerResult.FIRE;
  }

  clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteProcessingTimeTimer(window.maxTimestamp());
  }

  override canMerge(): boolean {
    return true;
  }

  override onMerge(window: Window, ctx: OnMergeContext): void {
    if (window.maxTimestamp() > ctx.getCurrentProcessingTime()) ctx.registerProcessingTimeTimer(window.maxTimestamp());
  }

  override toString(): string {
    return 'ProcessingTimeTrigger()';
  }
}

const sum = (a: number, b: number): number => a + b;
const min = (a: number, b: number): number => Math.min(a, b);

/** Fires every `maxCount` elements of a window; the count is kept in partitioned state. */
export class CountTrigger extends Trigger<unknown, Window> {
  private readonly stateDesc = new ReducingStateDescriptor<number>('count', sum);

  private constructor(private readonly maxCount: number) {
    super();
  }

  static of(maxCount: number): CountTrigger {
    if (!Number.isInteger(maxCount) || maxCount < 1) throw new RangeError(`CountTrigger needs a positive count, got ${maxCount}`);
    return new CountTrigger(maxCount);
  }

  onElement(_element: unknown, _timestamp: number | undefined, _window: Window, ctx: TriggerContext): TriggerResult {
    const count = ctx.getPartitionedState(this.stateDesc);
    count.add(1);
    if (count.get()! >= this.maxCount) {
      count.clear();
      return TriggerResult.FIRE;
    }
    return TriggerResult.CONTINUE;
  }

  onEventTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  onProcessingTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  clear(_window: Window, ctx: TriggerContext): void {
    ctx.getPartitionedState(this.stateDesc).clear();
  }

  override canMerge(): boolean {
    return true;
  }

  override onMerge(_window: Window, ctx: OnMergeContext): void {
    ctx.mergePartitionedState(this.stateDesc);
  }

  override toString(): string {
    return `CountTrigger(${this.maxCount})`;
  }
}

/** Turns every FIRE of the trigger it wraps into FIRE_AND_PURGE: each firing sees only new elements. */
export class PurgingTrigger<T, W extends Window> extends Trigger<T, W> {
  private constructor(private readonly nestedTrigger: Trigger<T, W>) {
    super();
  }

  static of<T, W extends Window>(nestedTrigger: Trigger<T, W>): PurgingTrigger<T, W> {
    return new PurgingTrigger(nestedTrigger);
  }

  getNestedTrigger(): Trigger<T, W> {
    return this.nestedTrigger;
  }

  onElement(element: T, timestamp: number | undefined, window: W, ctx: TriggerContext): TriggerResult {
    return purging(this.nestedTrigger.onElement(element, timestamp, window, ctx));
  }

  onEventTime(time: number, window: W, ctx: TriggerContext): TriggerResult {
    return purging(this.nestedTrigger.onEventTime(time, window, ctx));
  }

  onProcessingTime(time: number, window: W, ctx: TriggerContext): TriggerResult {
    return purging(this.nestedTrigger.onProcessingTime(time, window, ctx));
  }

  clear(window: W, ctx: TriggerContext): void {
    this.nestedTrigger.clear(window, ctx);
  }

  override canMerge(): boolean {
    return this.nestedTrigger.canMerge();
  }

  override onMerge(window: W, ctx: OnMergeContext): void {
    this.nestedTrigger.onMerge(window, ctx);
  }

  override toString(): string {
    return `PurgingTrigger(${String(this.nestedTrigger)})`;
  }
}

function purging(result: TriggerResult): TriggerResult {
  return result.isFire() ? TriggerResult.FIRE_AND_PURGE : result;
}

/**
 * Fires every `interval` of event time, aligned to the epoch, while the window is open, and once
 * more at its end. The next firing time is kept in partitioned state.
 */
export class ContinuousEventTimeTrigger extends Trigger<unknown, Window> {
  private readonly stateDesc = new ReducingStateDescriptor<number>('fire-time', min);

  private constructor(private readonly interval: number) {
    super();
  }

  static of(interval: number): ContinuousEventTimeTrigger {
    if (!(interval > 0)) throw new RangeError(`ContinuousEventTimeTrigger needs a positive interval, got ${interval} ms`);
    return new ContinuousEventTimeTrigger(interval);
  }

  onElement(_element: unknown, timestamp: number | undefined, window: Window, ctx: TriggerContext): TriggerResult {
    // A late element (the watermark is past the window) fires at once, as EventTimeTrigger does.
    if (window.maxTimestamp() <= ctx.getCurrentWatermark()) return TriggerResult.FIRE;
    ctx.registerEventTimeTimer(window.maxTimestamp());
    const fireTimestamp = ctx.getPartitionedState(this.stateDesc);
    if (fireTimestamp.get() === undefined && timestamp !== undefined) {
      this.registerNextFireTimestamp(timestamp - (timestamp % this.interval), window, ctx, fireTimestamp);
    }
    return TriggerResult.CONTINUE;
  }

  onEventTime(time: number, window: Window, ctx: TriggerContext): TriggerResult {
    if (time === window.maxTimestamp()) return TriggerResult.FIRE;
    const fireTimestamp = ctx.getPartitionedState(this.stateDesc);
    if (fireTimestamp.get() === time) {
      fireTimestamp.clear();
      this.registerNextFireTimestamp(time, window, ctx, fireTimestamp);
      return TriggerResult.FIRE;
    }
    return TriggerResult.CONTINUE;
  }

  onProcessingTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  clear(_window: Window, ctx: TriggerContext): void {
    const fireTimestamp = ctx.getPartitionedState(this.stateDesc);
    const time = fireTimestamp.get();
    if (time !== undefined) {
      ctx.deleteEventTimeTimer(time);
      fireTimestamp.clear();
    }
  }

  override canMerge(): boolean {
    return true;
  }

  override onMerge(_window: Window, ctx: OnMergeContext): void {
    ctx.mergePartitionedState(this.stateDesc);
    const next = ctx.getPartitionedState(this.stateDesc).get();
    if (next !== undefined) ctx.registerEventTimeTimer(next);
  }

  getInterval(): number {
    return this.interval;
  }

  override toString(): string {
    return `ContinuousEventTimeTrigger(${this.interval})`;
  }

  private registerNextFireTimestamp(time: number, window: Window, ctx: TriggerContext, state: ReducingState<number>): void {
    const next = Math.min(time + this.interval, window.maxTimestamp());
    state.add(next);
    ctx.registerEventTimeTimer(next);
  }
}

/** The trigger of {@link GlobalWindows}: never fires. Use another trigger to get results. */
export class NeverTrigger extends Trigger<unknown, Window> {
  onElement(): TriggerResult {
    return TriggerResult.CONTINUE;
  }
  onEventTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }
  onProcessingTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }
  clear(): void {}
  override canMerge(): boolean {
    return true;
  }
  override onMerge(): void {}
  override toString(): string {
    return 'NeverTrigger()';
  }
}

/**
 * The trigger of `GlobalWindows.createWithEndOfStreamTrigger()`: fires once, when the input
 * ends (the final watermark). Useful for bounded jobs, in BATCH mode in particular.
 */
export class EndOfStreamTrigger extends Trigger<unknown, Window> {
  onElement(_element: unknown, _timestamp: number | undefined, _window: Window, ctx: TriggerContext): TriggerResult {
    ctx.registerEventTimeTimer(MAX_WINDOW_TIMESTAMP);
    return TriggerResult.CONTINUE;
  }
  onEventTime(time: number): TriggerResult {
    return time === MAX_WINDOW_TIMESTAMP ? TriggerResult.FIRE : TriggerResult.CONTINUE;
  }
  onProcessingTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }
  clear(_window: Window, ctx: TriggerContext): void {
    ctx.deleteEventTimeTimer(MAX_WINDOW_TIMESTAMP);
  }
  override canMerge(): boolean {
    return true;
  }
  override onMerge(_window: Window, ctx: OnMergeContext): void {
    ctx.registerEventTimeTimer(MAX_WINDOW_TIMESTAMP);
  }
  override toString(): string {
    return 'EndOfStreamTrigger()';
  }
}

/** @internal Whether a state is one that can merge namespaces. */
export function isMergingState(state: State): state is State & MergingState {
  return typeof (state as Partial<MergingState>).mergeNamespaces === 'function';
}
