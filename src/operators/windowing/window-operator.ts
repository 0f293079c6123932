/**
 * The window operator (keyed), with Flink's semantics:
 *
 * - Each record is assigned to windows; for each window that is not late, it is added to the
 *   window's contents (keyed state under the window's namespace) and the trigger decides whether
 *   the window fires and/or is purged now.
 * - Triggers set timers through the timer service, with the window as namespace; when one fires
 *   the trigger is asked again. Event-time timers fire as watermarks pass them; the final
 *   watermark (+Infinity) of a bounded input fires them all.
 * - A window's state is kept until its cleanup time, `maxTimestamp + allowedLateness` in event
 *   time (`maxTimestamp` in processing time), when a cleanup timer clears contents, trigger state
 *   and the window function's window state. Until then a late element still joins the window and
 *   (with EventTimeTrigger) fires it again: a late firing with the updated result.
 * - An element whose windows are all past cleanup (`maxTimestamp + allowedLateness <=
 *   watermark`) is late: dropped, or sent to the late-data side output.
 * - With a merging assigner (sessions) the windows of each key are tracked in a
 *   MergingWindowSet; merged windows' contents and trigger state are merged (mergeNamespaces,
 *   Trigger.onMerge) and their timers dropped.
 *
 * Results carry the window's max timestamp. Per record there is no closure or promise: the
 * contexts and the merge callback are objects of the operator, re-pointed before each use.
 */
import type { WindowAssigner, WindowAssignerContext } from '../../api/windowing/assigners.js';
import { MergingWindowAssigner } from '../../api/windowing/assigners.js';
import { WindowStateError } from '../../api/windowing/errors.js';
import { EventTimeTrigger, type Trigger } from '../../api/windowing/triggers.js';
import { MAX_WINDOW_TIMESTAMP, type Window, type WindowSerializer } from '../../api/windowing/windows.js';
import type { KeyedStateBackend, InternalTimerService, MergingState, State, StateDescriptor, TimeDomain } from '../../state/index.js';
import { closeFunctions, OneInputOperator, openFunctions, runtimeContextOf, TimestampedCollector } from '../base.js';
import { KeyedSupport } from '../keyed-support.js';
import type { OperatorSetup, OperatorSnapshot, RestoredOperatorState } from '../operator.js';
import { WindowProcessContext, WindowTriggerContext } from './contexts.js';
import { MergingWindowSet, type MergeFunction } from './merging-window-set.js';
import { contentsDescriptor, type InternalWindowFunction, type WindowContentsSpec } from './window-functions.js';

/** Everything a window operator is made of; the API builds it. */
export interface WindowOperatorSpec {
  readonly assigner: WindowAssigner<unknown, Window>;
  readonly trigger: Trigger<unknown, Window>;
  /** Milliseconds of event time a window stays open for late elements after its end. */
  readonly allowedLateness: number;
  /** The side output of late elements (dropped when undefined). */
  readonly lateDataTag: string | undefined;
  readonly contents: WindowContentsSpec;
  readonly function: InternalWindowFunction;
}

/** The contents state: list, reducing or aggregating state, all of which merge. */
export type ContentsState = State & MergingState & { add(value: unknown): void; get(): unknown };

export class WindowOperator extends OneInputOperator implements MergeFunction<Window> {
  protected keyed!: KeyedSupport;
  protected backend!: KeyedStateBackend;
  protected timers!: InternalTimerService<unknown, unknown>;
  protected setup!: OperatorSetup;
  protected collector!: TimestampedCollector;
  protected processContext!: WindowProcessContext;
  protected triggerContext!: WindowTriggerContext;
  protected readonly serializer: WindowSerializer<Window>;
  protected readonly isEventTime: boolean;
  /** The trigger is the default EventTimeTrigger, whose timer doubles as the cleanup timer without lateness. */
  private eventTimeTrigger = false;
  private keySelector!: (value: unknown) => unknown;
  protected contents!: ContentsState;
  private readonly isListContents: boolean;
  private mergingWindows: MergingWindowSet<Window> | undefined;
  private assignerContext!: WindowAssignerContext;
  private finalOnly = false;
  /** The key of the record or timer being processed. */
  private currentKey: unknown = undefined;
  /** Late records dropped (Flink's numLateRecordsDropped metric). */
  numLateRecordsDropped = 0;

  constructor(protected readonly spec: WindowOperatorSpec) {
    super();
    this.serializer = spec.assigner.getWindowSerializer();
    this.isEventTime = spec.assigner.isEventTime();
    this.isListContents = spec.contents.kind === 'list';
    if (!(spec.allowedLateness >= 0)) throw new RangeError(`The allowed lateness must be >= 0 ms, got ${spec.allowedLateness}`);
    if (spec.assigner instanceof MergingWindowAssigner && !spec.trigger.canMerge()) {
      throw new WindowStateError(`A merging window assigner cannot be used with a trigger that does not support merging (${String(spec.trigger)}).`);
    }
  }

  override async open(setup: OperatorSetup): Promise<void> {
    super.open(setup);
    this.setup = setup;
    this.keySelector = setup.keySelectors[0]!;
    this.finalOnly = setup.runtimeMode === 'BATCH';
    const keyed = (this.keyed = new KeyedSupport(setup, (ts, key, ns, domain) => this.onTimer(ts, key, ns, domain)));
    const backend = (this.backend = keyed.backend);
    this.timers = keyed.timers;
    this.collector = new TimestampedCollector(setup.output);
    this.contents = this.createContentsState();
    const pts = setup.processingTime;
    this.assignerContext = { getCurrentProcessingTime: () => pts.now() };
    this.triggerContext = new WindowTriggerContext(this.spec.trigger, this.serializer, backend, this.timers, keyed.timerService, pts);
    this.eventTimeTrigger = this.isEventTime && this.spec.trigger instanceof EventTimeTrigger;
    this.processContext = new WindowProcessContext(this.serializer, backend, this.timers, pts, setup.output);
    const assigner = this.spec.assigner;
    if (assigner instanceof MergingWindowAssigner) this.mergingWindows = new MergingWindowSet(assigner, this.serializer, backend);
    await openFunctions(this.spec.function.userFunctions, runtimeContextOf(setup, backend));
  }

  /** The keyed state backend holding the windows (for tests and tools, as Flink's operators expose it). */
  getKeyedStateBackend(): KeyedStateBackend {
    return this.backend;
  }

  /** The state that holds window contents; the evicting operator keeps elements with timestamps instead. */
  protected createContentsState(): ContentsState {
    return this.backend.getPartitionedState(contentsDescriptor(this.spec.contents) as StateDescriptor<State>) as ContentsState;
  }

  /** Adds an element to the contents under the current namespace. */
  protected addToContents(value: unknown, _timestamp: number | undefined): void {
    this.contents.add(value);
  }

  /** The contents under the current namespace, or undefined when the window holds nothing. */
  protected readContents(): unknown {
    const contents = this.contents.get();
    if (this.isListContents && (contents as readonly unknown[]).length === 0) return undefined;
    return contents;
  }

  processElement(value: unknown, timestamp: number | undefined): void {
    const windows = this.spec.assigner.assignWindows(value, timestamp, this.assignerContext);
    const key = this.keySelector(value);
    this.backend.setCurrentKey(key);
    this.currentKey = key;
    let skipped = true;
    const merging = this.mergingWindows;
    if (merging !== undefined) {
      merging.load();
      for (let i = 0; i < windows.length; i++) {
        const actualWindow = merging.addWindow(windows[i]!, this);
        if (this.isWindowLate(actualWindow)) {
          merging.retireWindow(actualWindow);
          continue;
        }
        skipped = false;
        const stateWindow = merging.getStateWindow(actualWindow);
        if (stateWindow === undefined) throw new WindowStateError(`Window ${String(actualWindow)} is not in the in-flight window set.`);
        this.backend.setCurrentNamespace(this.serializer.toNamespace(stateWindow));
        this.addToContents(value, timestamp);
        this.afterElement(value, timestamp, actualWindow, stateWindow);
      }
      merging.persist();
    } else {
      for (let i = 0; i < windows.length; i++) {
        const window = windows[i]!;
        if (this.isWindowLate(window)) continue;
        skipped = false;
        this.backend.setCurrentNamespace(this.serializer.toNamespace(window));
        this.addToContents(value, timestamp);
        this.afterElement(value, timestamp, window, window);
      }
    }
    if (skipped && this.isElementLate(timestamp)) {
      if (this.spec.lateDataTag !== undefined) this.output.collectSide(this.spec.lateDataTag, value, timestamp);
      else this.numLateRecordsDropped++;
    }
  }

  /** Asks the trigger about `window` after an element joined it; fires and purges as told. */
  private afterElement(value: unknown, timestamp: number | undefined, window: Window, stateWindow: Window): void {
    const triggerContext = this.triggerContext;
    triggerContext.setWindow(window);
    const result = triggerContext.onElement(value, timestamp);
    if (result.isFire() || result.isPurge()) {
      this.backend.setCurrentNamespace(this.serializer.toNamespace(stateWindow));
      if (result.isFire()) {
        const contents = this.readContents();
        if (contents !== undefined) this.emitWindowContents(window, contents);
        this.backend.setCurrentNamespace(this.serializer.toNamespace(stateWindow));
      }
      if (result.isPurge()) this.contents.clear();
    }
    this.registerCleanupTimer(window);
  }

  /** The merge callback of the MergingWindowSet: carries trigger state, timers and contents over. */
  merge(mergeResult: Window, mergedWindows: readonly Window[], stateWindowResult: Window, mergedStateWindows: readonly Window[]): void {
    if (this.isEventTime && this.cleanupTime(mergeResult) <= this.timers.currentWatermark()) {
      throw new WindowStateError(
        `The end timestamp of an event-time window cannot become earlier than the current watermark by merging. ` +
          `Current watermark: ${this.timers.currentWatermark()} window: ${String(mergeResult)}`,
      );
    }
    if (!this.isEventTime && mergeResult.maxTimestamp() <= this.setup.processingTime.now()) {
      throw new WindowStateError(
        `The end timestamp of a processing-time window cannot become earlier than the current processing time by merging. ` +
          `Current processing time: ${this.setup.processingTime.now()} window: ${String(mergeResult)}`,
      );
    }
    const triggerContext = this.triggerContext;
    triggerContext.setWindow(mergeResult);
    triggerContext.onMerge(mergedWindows);
    for (const m of mergedWindows) {
      triggerContext.setWindow(m);
      triggerContext.clear();
      this.deleteCleanupTimer(m);
    }
    if (mergedStateWindows.length > 0) {
      const namespaces: unknown[] = [];
      for (const w of mergedStateWindows) namespaces.push(this.serializer.toNamespace(w));
      this.contents.mergeNamespaces(this.serializer.toNamespace(stateWindowResult), namespaces);
    }
  }

  override processWatermark(watermark: number): void {
    this.keyed.advanceWatermark(watermark);
    this.output.emitWatermark(watermark);
  }

  /** A timer of a window fired (event or processing time), with its key and namespace current. */
  private onTimer(time: number, key: unknown, namespace: unknown, domain: TimeDomain): void {
    this.currentKey = key;
    const window = this.serializer.fromNamespace(namespace);
    const merging = this.mergingWindows;
    let stateWindow: Window | undefined = window;
    if (merging !== undefined) {
      merging.load();
      stateWindow = merging.getStateWindow(window);
      // A timer of a window merged away whose trigger did not delete it: nothing left to do.
      if (stateWindow === undefined) return;
    }
    this.backend.setCurrentNamespace(this.serializer.toNamespace(stateWindow));
    const contents = this.readContents();
    if (contents !== undefined) {
      const triggerContext = this.triggerContext;
      triggerContext.setWindow(window);
      const result = domain === 'EVENT_TIME' ? triggerContext.onEventTime(time) : triggerContext.onProcessingTime(time);
      if (result.isFire()) this.emitWindowContents(window, contents);
      if (result.isPurge()) {
        this.backend.setCurrentNamespace(this.serializer.toNamespace(stateWindow));
        this.contents.clear();
      }
    }
    if ((domain === 'EVENT_TIME') === this.isEventTime && this.isCleanupTime(window, time)) this.clearAllState(window, stateWindow);
    merging?.persist();
  }

  /** Drops everything of a window: contents, trigger state and timers, the function's window state. */
  private clearAllState(window: Window, stateWindow: Window): void {
    this.backend.setCurrentNamespace(this.serializer.toNamespace(stateWindow));
    this.contents.clear();
    this.triggerContext.setWindow(window);
    this.triggerContext.clear();
    this.processContext.enter(window);
    this.spec.function.clear(this.processContext);
    this.mergingWindows?.retireWindow(window);
  }

  /** Runs the window function; results carry the window's max timestamp. */
  protected emitWindowContents(window: Window, contents: unknown): void {
    this.collector.timestamp = window.maxTimestamp();
    this.processContext.enter(window);
    this.spec.function.process(this.currentKey, this.processContext, contents, this.collector);
  }

  /** Event time: a window is late once its cleanup time is at or behind the watermark. */
  protected isWindowLate(window: Window): boolean {
    return this.isEventTime && this.cleanupTime(window) <= this.timers.currentWatermark();
  }

  private isElementLate(timestamp: number | undefined): boolean {
    return this.isEventTime && timestamp !== undefined && timestamp + this.spec.allowedLateness <= this.timers.currentWatermark();
  }

  /** When a window's state goes: max timestamp plus the allowed lateness (event time), capped at the end of time. */
  private cleanupTime(window: Window): number {
    if (!this.isEventTime) return window.maxTimestamp();
    const time = window.maxTimestamp() + this.spec.allowedLateness;
    return time >= window.maxTimestamp() && time < MAX_WINDOW_TIMESTAMP ? time : MAX_WINDOW_TIMESTAMP;
  }

  private isCleanupTime(window: Window, time: number): boolean {
    return time === this.cleanupTime(window);
  }

  private registerCleanupTimer(window: Window): void {
    const time = this.cleanupTime(window);
    // Windows that never end (GlobalWindow) are never cleaned up.
    if (time === MAX_WINDOW_TIMESTAMP) return;
    // The event-time trigger has just registered this very timer (the timer service would
    // merge the two): the common case of windows without allowed lateness skips the lookup.
    if (this.eventTimeTrigger && time === window.maxTimestamp() && time > this.timers.currentWatermark()) return;
    this.backend.setCurrentNamespace(this.serializer.toNamespace(window));
    if (this.isEventTime) this.timers.registerEventTimeTimer(time);
    else this.keyed.timerService.registerProcessingTimeTimer(time);
  }

  private deleteCleanupTimer(window: Window): void {
    const time = this.cleanupTime(window);
    if (time === MAX_WINDOW_TIMESTAMP) return;
    this.backend.setCurrentNamespace(this.serializer.toNamespace(window));
    if (this.isEventTime) this.timers.deleteEventTimeTimer(time);
    else this.timers.deleteProcessingTimeTimer(time);
  }

  /**
   * BATCH: time is complete when the input ends, so every window fires now, event-time and
   * processing-time alike (Flink fires processing-time timers at the end of input in BATCH).
   * In STREAMING, event-time windows fired at the final watermark, and processing-time windows
   * still open do not fire (as in Flink, where pending processing-time timers are dropped).
   */
  /** Window contents, trigger state, the merging window sets and the timers all live in the keyed backend. */
  snapshotState(): OperatorSnapshot {
    return this.keyed.snapshot();
  }

  initializeState(restored: RestoredOperatorState): void {
    this.keyed.restore(restored);
  }

  override finish(): void {
    if (!this.finalOnly) return;
    this.keyed.advanceWatermark(Number.POSITIVE_INFINITY);
    this.keyed.endOfInput();
  }

  override async close(): Promise<void> {
    this.keyed?.dispose();
    await closeFunctions(this.spec.function.userFunctions);
  }
}
