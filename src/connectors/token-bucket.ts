/**
 * The rate limiter of the throttled sources (data generator, keyed sequences): tokens accrue
 * continuously at `ratePerSecond`, a record costs one. A reader takes what the bucket grants for
 * a whole batch, and when it runs dry one timer wakes it once about {@link BURST_MS} worth of
 * records may go out again — no timer per record. Tokens saved up while the job was slow are
 * capped at about {@link MAX_SAVED_MS} worth.
 */
import type { SourceCancellable, SourceClock } from './availability.js';

/** A throttled reader waits until about this many milliseconds' worth of records may go out. */
export const BURST_MS = 10;
/** A throttled reader saves up at most about this many milliseconds' worth of records. */
export const MAX_SAVED_MS = 100;

export class TokenBucket {
  private readonly perMs: number;
  private readonly burst: number;
  private readonly capacity: number;
  /** One record may go out at once: the first record is not delayed. */
  private tokens = 1;
  private last: number | undefined;
  private timer: SourceCancellable | undefined;

  constructor(
    ratePerSecond: number,
    private readonly clock: SourceClock,
    private readonly onAllowed: () => void,
  ) {
    this.perMs = ratePerSecond / 1000;
    this.burst = Math.max(1, Math.floor(this.perMs * BURST_MS));
    this.capacity = Math.max(this.burst, this.perMs * MAX_SAVED_MS);
  }

  /** How many of `wanted` records may go out now; those are paid for. */
  take(wanted: number): number {
    const now = this.clock.now();
    if (this.last !== undefined) this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.perMs);
    this.last = now;
    const granted = Math.min(wanted, Math.floor(this.tokens));
    this.tokens -= granted;
    return granted;
  }

  /** Sets (once) the timer for when a burst of up to `remaining` records is allowed. */
  wakeWhenAllowed(remaining: number): void {
    if (this.timer !== undefined) return;
    const target = Math.min(this.burst, remaining);
    const delay = Math.max(1, Math.ceil((target - this.tokens) / this.perMs));
    this.timer = this.clock.schedule(delay, () => {
      this.timer = undefined;
      this.onAllowed();
    });
  }

  cancel(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}
