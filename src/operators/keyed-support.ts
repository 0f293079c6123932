/**
 * What every keyed operator needs: its subtask's keyed state backend, the timer service over
 * it, and the processing-time wake-up that fires due timers. One wake-up is scheduled at a time,
 * for the earliest timer, so a million registered timers cost one pending OS timer.
 */
import type { TimeDomain, TimerService } from '../api/functions.js';
import type { Cancellable } from '../actors/system/clock.js';
import { computeKeyGroupRangeForOperatorIndex, HeapKeyedStateBackend, type InternalTimerService } from '../state/index.js';
import type { OperatorSetup, OperatorSnapshot, RestoredOperatorState } from './operator.js';

export type OnTimer = (timestamp: number, key: unknown, namespace: unknown, domain: TimeDomain) => void;

export class KeyedSupport {
  readonly backend: HeapKeyedStateBackend;
  readonly timers: InternalTimerService<unknown, unknown>;
  readonly timerService: TimerService;
  private wakeup: Cancellable | undefined;
  private wakeupAt = Number.POSITIVE_INFINITY;

  constructor(
    private readonly setup: OperatorSetup,
    private readonly onTimer: OnTimer,
  ) {
    const { maxParallelism, parallelism, subtaskIndex } = setup.info;
    this.backend = new HeapKeyedStateBackend(computeKeyGroupRangeForOperatorIndex(maxParallelism, parallelism, subtaskIndex), maxParallelism);
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
    if (this.setup.runtimeMode === 'BATCH') this.timers.fireProcessingTimers(Number.POSITIVE_INFINITY, this.onTimer);
  }

  /** Fires the event-time timers the watermark has passed. */
  advanceWatermark(watermark: number): void {
    this.timers.advanceWatermark(watermark, this.onTimer);
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
      this.timers.fireProcessingTimers(this.setup.processingTime.now(), this.onTimer);
      this.scheduleWakeup();
    });
  }
}
