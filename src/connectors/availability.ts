/**
 * Small pieces the built-in readers share: the availability future behind
 * `SourceReader.isAvailable()`, and the clock that rate limiting and reconnect delays use.
 */

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * The promise a reader hands out from `isAvailable()`. A reader calls {@link markUnavailable}
 * just before `pollNext` returns `NOTHING_AVAILABLE`, and {@link notifyAvailable} from whatever
 * completes later (a chunk read, a split assignment, a timer). A notification that happens
 * before the runtime asks for the future is not lost: the future is then already resolved.
 * One promise per wait, never one per record.
 */
export class AvailabilitySignal {
  private available = true;
  private pending: { readonly promise: Promise<void>; readonly resolve: () => void } | undefined;

  /** The future for the runtime: resolved now if available, else when {@link notifyAvailable} is called. */
  future(): Promise<void> {
    if (this.available) return RESOLVED;
    if (this.pending === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.pending = { promise, resolve };
    }
    return this.pending.promise;
  }

  markUnavailable(): void {
    this.available = false;
  }

  notifyAvailable(): void {
    this.available = true;
    const pending = this.pending;
    this.pending = undefined;
    pending?.resolve();
  }
}

/** A handle to cancel a scheduled call. */
export interface SourceCancellable {
  cancel(): void;
}

/**
 * Time as sources see it: structurally the same as the actor system's `Clock`, so a runtime
 * (or a test) can pass its own, e.g. a manual clock.
 */
export interface SourceClock {
  /** Milliseconds; only differences are used. */
  now(): number;
  /** Runs `fn` once after `delayMs`. */
  schedule(delayMs: number, fn: () => void): SourceCancellable;
}

/** Monotonic time and Node timers. */
export const systemSourceClock: SourceClock = {
  now: () => performance.now(),
  schedule(delayMs, fn) {
    const handle = setTimeout(fn, Math.max(0, delayMs));
    return { cancel: () => clearTimeout(handle) };
  },
};
