/**
 * Time as the actor system sees it. Production uses the wall clock and Node timers; unit tests
 * use a ManualClock and move time forward explicitly, so timeouts are tested without sleeping.
 */
export interface Cancellable {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` once after `delayMs`; cancelling before then prevents it. */
  schedule(delayMs: number, fn: () => void): Cancellable;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(delayMs, fn) {
    const handle = setTimeout(fn, Math.max(0, delayMs));
    return { cancel: () => clearTimeout(handle) };
  },
};

interface Pending {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** A clock that only moves when told to; due timers fire in time order within `advance`. */
export class ManualClock implements Clock {
  private current: number;
  private seq = 0;
  private pending: Pending[] = [];

  constructor(start = 1_700_000_000_000) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  schedule(delayMs: number, fn: () => void): Cancellable {
    const entry: Pending = { at: this.current + Math.max(0, delayMs), seq: this.seq++, fn, cancelled: false };
    this.pending.push(entry);
    return { cancel: () => void (entry.cancelled = true) };
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      this.pending = this.pending.filter((p) => !p.cancelled);
      let next: Pending | undefined;
      for (const p of this.pending) {
        if (p.at <= target && (next === undefined || p.at < next.at || (p.at === next.at && p.seq < next.seq))) next = p;
      }
      if (next === undefined) break;
      this.current = Math.max(this.current, next.at);
      next.cancelled = true;
      next.fn();
    }
    this.current = target;
  }

  /** Number of timers not yet fired or cancelled. */
  get timers(): number {
    return this.pending.filter((p) => !p.cancelled).length;
  }
}
