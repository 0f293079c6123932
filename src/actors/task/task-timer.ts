/**
 * Where a task's time goes, as Flink's busyTimeMsPerSecond, idleTimeMsPerSecond and
 * backPressuredTimeMsPerSecond measure it: idle while it waits for input, back-pressured while
 * it cannot emit because an output has no credit, busy otherwise. The task switches phase per
 * step (a step handles up to a few batches), so the clock is read per step, never per record.
 */
export type TaskPhase = 'busy' | 'idle' | 'backPressured';

export interface TimeShares {
  readonly busyTimeMsPerSecond: number;
  readonly idleTimeMsPerSecond: number;
  readonly backPressuredTimeMsPerSecond: number;
}

export class TaskTimer {
  private phase: TaskPhase = 'idle';
  private since: number;
  private windowStart: number;
  private idle = 0;
  private backPressured = 0;

  constructor(private readonly now: () => number = () => performance.now()) {
    this.since = this.windowStart = now();
  }

  enter(phase: TaskPhase): void {
    if (phase === this.phase) return;
    const t = this.now();
    this.account(t);
    this.phase = phase;
    this.since = t;
  }

  /** The shares since the previous sample, per second of wall time; starts a new interval. */
  sample(): TimeShares {
    const t = this.now();
    this.account(t);
    this.since = t;
    const elapsed = t - this.windowStart;
    const perSecond = elapsed > 0 ? 1000 / elapsed : 0;
    const idle = Math.min(1000, Math.round(this.idle * perSecond));
    const backPressured = Math.min(1000 - idle, Math.round(this.backPressured * perSecond));
    this.windowStart = t;
    this.idle = 0;
    this.backPressured = 0;
    return { busyTimeMsPerSecond: elapsed > 0 ? 1000 - idle - backPressured : 0, idleTimeMsPerSecond: idle, backPressuredTimeMsPerSecond: backPressured };
  }

  private account(t: number): void {
    if (this.phase === 'idle') this.idle += t - this.since;
    else if (this.phase === 'backPressured') this.backPressured += t - this.since;
  }
}
