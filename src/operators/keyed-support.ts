/**
 * What every keyed operator needs: its subtask's keyed state backend, the timer service over
 * it, and the processing-time wake-up that fires due timers. One wake-up is scheduled at a time,
 * for the earliest timer, so a million registered timers cost one pending OS timer.
 */
import type { TimeDomain, TimerService } from '../api/functions.js';
import type { Cancellable } from '../actors/system/clock.js';
import { computeKeyGroupRangeForOperatorIndex, HeapKeyedStateBackend, RocksDBKeyedStateBackend, type InternalTimerService, type KeyedStateBackend } from '../state/index.js';
import type { OperatorSetup, OperatorSnapshot, RestoredOperatorState } from './operator.js';

export type OnTimer = (timestamp: number, key: unknown, namespace: unknown, domain: TimeDomain) => void;

export class KeyedSupport {
  readonly backend: KeyedStateBackend;
  readonly timers: InternalTimerService<unknown, unknown>;
  readonly timerService: TimerService;
  private wakeup: Cancellable | undefined;
  private wakeupAt = Number.POSITIVE_INFINITY;

  constructor(
    private readonly setup: OperatorSetup,
    private readonly onTimer: OnTimer,
  ) {
    const { maxParallelism, parallelism, subtaskIndex } = setup.info;
    const range = computeKeyGroupRangeForOperatorIndex(maxParallelism, parallelism, subtaskIndex);
    this.backend = setup.createKeyedStateBackend?.(range, maxParallelism) ?? new HeapKeyedStateBackend(range, maxParallelism);
    this.timers = this.backend.getInternalTimerService('user-timers') as InternalTimerService<unknown, unknown>;
    const timers = this.timers;
    const pts = setup.processingTime;
    this.timerService = {
      currentProcessingTime: () => pts.now(),
      currentWatermark: () => timers.currentWatermark(),
      registerProcessingTimeTimer: (time) => {
        timers.registerProcessingTimeTimer(time);
        if (setup.runtimeMode === 'STREAMING' && time < this.wakeupAt) this.scheduleWakeup();
      },
      registerEventTimeTimer: (time) => timers.registerEventTimeTimer(time),
      deleteProcessingTimeTimer: (time) => timers.deleteProcessingTimeTimer(time),
      deleteEventTimeTimer: (time) => timers.deleteEventTimeTimer(time),
    };
  }

  /**
   * BATCH: processing time does not advance while the input is read; every processing-time
   * timer fires at the end of input instead (call from the operator's finish()).
   */
  endOfInput(): void {
    if (this.setup.runtimeMode !== 'BATCH') return;
    this.prefetchTimers('PROCESSING_TIME', Number.POSITIVE_INFINITY);
    this.timers.fireProcessingTimers(Number.POSITIVE_INFINITY, this.onTimer);
  }

  /** Fires the event-time timers the watermark has passed. */
  advanceWatermark(watermark: number): void {
    const next = this.timers.nextEventTimeTimer();
    if (next !== undefined && next <= watermark) this.prefetchTimers('EVENT_TIME', watermark);
    this.timers.advanceWatermark(watermark, this.onTimer);
  }

  /** Over RocksDB: reads the state of the keys whose timers are about to fire, in one go. */
  private prefetchTimers(domain: TimeDomain, time: number): void {
    if (this.backend instanceof RocksDBKeyedStateBackend) this.backend.prefetchTimers(domain, time);
  }

  /** The keyed state and timers, copied (the operator's part of a checkpoint). */
  snapshot(): OperatorSnapshot {
    return { keyed: this.backend.snapshot() };
  }

  /** Loads this subtask's key groups, and wakes up for the restored processing-time timers. */
  restore(restored: RestoredOperatorState): void {
    this.backend.restore(restored.keyed);
    if (this.setup.runtimeMode === 'STREAMING') this.scheduleWakeup();
  }

  dispose(): void {
    this.wakeup?.cancel();
    this.wakeup = undefined;
    this.backend.dispose();
  }

  private scheduleWakeup(): void {
    const next = this.timers.nextProcessingTimeTimer();
    this.wakeup?.cancel();
    this.wakeup = undefined;
    this.wakeupAt = Number.POSITIVE_INFINITY;
    if (next === undefined) return;
    this.wakeupAt = next;
    this.wakeup = this.setup.processingTime.schedule(next, () => {
      this.wakeup = undefined;
      this.wakeupAt = Number.POSITIVE_INFINITY;
      const now = this.setup.processingTime.now();
      this.prefetchTimers('PROCESSING_TIME', now);
      this.timers.fireProcessingTimers(now, this.onTimer);
      this.scheduleWakeup();
    });
  }
}
