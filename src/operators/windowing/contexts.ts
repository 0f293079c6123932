/**
 * The contexts a window operator hands to triggers and window functions. One object of each per
 * operator, re-pointed at a key and window before every call, so a record costs no allocation.
 * The backend's current key is set by the operator; these set the namespace they need.
 */
import type { OutputTag, TimerService } from '../../api/functions.js';
import { WindowStateError } from '../../api/windowing/errors.js';
import type { ProcessWindowContext } from '../../api/windowing/functions.js';
import { isMergingState, type OnMergeContext, type Trigger, type TriggerResult } from '../../api/windowing/triggers.js';
import type { Window, WindowSerializer } from '../../api/windowing/windows.js';
import { VOID_NAMESPACE, type KeyedStateBackend, type InternalTimerService, type KeyedStateStore, type State, type StateDescriptor } from '../../state/index.js';
import type { Output, ProcessingTimeService } from '../operator.js';
import { WindowScopedStateStore } from './scoped-state.js';

/** The trigger's view of one key and window; also its `OnMergeContext`. */
export class WindowTriggerContext implements OnMergeContext {
  window!: Window;
  private namespace: unknown = VOID_NAMESPACE;
  private mergedNamespaces: unknown[] = [];

  constructor(
    private readonly trigger: Trigger<unknown, Window>,
    private readonly serializer: WindowSerializer<Window>,
    private readonly backend: KeyedStateBackend,
    private readonly timers: InternalTimerService<unknown, unknown>,
    private readonly timerService: TimerService,
    private readonly processingTime: ProcessingTimeService,
  ) {}

  /** Points the context at `window` (of the backend's current key). */
  setWindow(window: Window): void {
    this.window = window;
    this.namespace = this.serializer.toNamespace(window);
  }

  onElement(element: unknown, timestamp: number | undefined): TriggerResult {
    this.backend.setCurrentNamespace(this.namespace);
    return this.trigger.onElement(element, timestamp, this.window, this);
  }

  onEventTime(time: number): TriggerResult {
    this.backend.setCurrentNamespace(this.namespace);
    return this.trigger.onEventTime(time, this.window, this);
  }

  onProcessingTime(time: number): TriggerResult {
    this.backend.setCurrentNamespace(this.namespace);
    return this.trigger.onProcessingTime(time, this.window, this);
  }

  /** `mergedWindows` were merged into the current window. */
  onMerge(mergedWindows: readonly Window[]): void {
    const namespaces: unknown[] = [];
    for (const w of mergedWindows) namespaces.push(this.serializer.toNamespace(w));
    this.mergedNamespaces = namespaces;
    this.backend.setCurrentNamespace(this.namespace);
    try {
      this.trigger.onMerge(this.window, this);
    } finally {
      this.mergedNamespaces = [];
    }
  }

  clear(): void {
    this.backend.setCurrentNamespace(this.namespace);
    this.trigger.clear(this.window, this);
  }

  getCurrentProcessingTime(): number {
    return this.processingTime.now();
  }

  getCurrentWatermark(): number {
    return this.timers.currentWatermark();
  }

  registerProcessingTimeTimer(time: number): void {
    this.backend.setCurrentNamespace(this.namespace);
    this.timerService.registerProcessingTimeTimer(time);
  }

  registerEventTimeTimer(time: number): void {
    this.backend.setCurrentNamespace(this.namespace);
    this.timers.registerEventTimeTimer(time);
  }

  deleteProcessingTimeTimer(time: number): void {
    this.backend.setCurrentNamespace(this.namespace);
    this.timers.deleteProcessingTimeTimer(time);
  }

  deleteEventTimeTimer(time: number): void {
    this.backend.setCurrentNamespace(this.namespace);
    this.timers.deleteEventTimeTimer(time);
  }

  getPartitionedState<S extends State>(descriptor: StateDescriptor<S>): S {
    this.backend.setCurrentNamespace(this.namespace);
    return this.backend.getPartitionedState(descriptor);
  }

  mergePartitionedState(descriptor: StateDescriptor<State>): void {
    if (this.mergedNamespaces.length === 0) return;
    const state = this.backend.getPartitionedState(descriptor);
    if (!isMergingState(state)) {
      throw new WindowStateError(`State '${descriptor.name}' cannot be merged: only list, reducing and aggregating state merge.`);
    }
    state.mergeNamespaces(this.namespace, this.mergedNamespaces);
    this.backend.setCurrentNamespace(this.namespace);
  }
}

/** What a ProcessWindowFunction sees. The operator sets the window before each call. */
export class WindowProcessContext implements ProcessWindowContext<Window> {
  private current!: Window;
  private readonly windowStore: WindowScopedStateStore;

  constructor(
    private readonly serializer: WindowSerializer<Window>,
    private readonly backend: KeyedStateBackend,
    private readonly timers: InternalTimerService<unknown, unknown>,
    private readonly processingTime: ProcessingTimeService,
    private readonly out: Output,
  ) {
    this.windowStore = new WindowScopedStateStore(backend);
  }

  /**
   * Points the context at `window` and makes the void namespace current, so that state from the
   * runtime context is per key (as in Flink) while the function runs.
   */
  enter(window: Window): void {
    this.current = window;
    this.windowStore.namespace = this.serializer.toNamespace(window);
    this.backend.setCurrentNamespace(VOID_NAMESPACE);
  }

  window(): Window {
    return this.current;
  }

  currentProcessingTime(): number {
    return this.processingTime.now();
  }

  currentWatermark(): number {
    return this.timers.currentWatermark();
  }

  windowState(): KeyedStateStore {
    return this.windowStore;
  }

  globalState(): KeyedStateStore {
    return this.backend;
  }

  output<X>(tag: OutputTag<X>, value: X): void {
    this.out.collectSide(tag.id, value, this.current.maxTimestamp());
  }
}
