/**
 * Windows: the finite buckets a window assigner puts records into. A window is the namespace of
 * the state and timers that belong to it, and state namespaces must be plain data (snapshots copy
 * them, and a namespace is compared by content), so every window type comes with a
 * {@link WindowSerializer} that turns it into a plain-data namespace and back — the place of
 * Flink's `getWindowSerializer()`.
 */

/** Something records are grouped in; `maxTimestamp()` is the last instant that belongs to it. */
export abstract class Window {
  abstract maxTimestamp(): number;
}

/**
 * Turns windows into state namespaces and back. A namespace must be plain data — a primitive, an
 * array or a plain object — and two equal windows must give equal namespaces.
 */
export interface WindowSerializer<W extends Window> {
  toNamespace(window: W): unknown;
  fromNamespace(namespace: unknown): W;
}

/**
 * The end of time for windows that never end: Flink's `Long.MAX_VALUE`. The last watermark of a
 * bounded input (+Infinity) passes it; nothing earlier does.
 */
export const MAX_WINDOW_TIMESTAMP = Number.MAX_SAFE_INTEGER;

/** The time interval [start, end): start inclusive, end exclusive. */
export class TimeWindow extends Window {
  /** The namespace string, computed on first use; windows are immutable. */
  private namespace: string | undefined = undefined;

  constructor(
    private readonly start: number,
    private readonly end: number,
  ) {
    super();
  }

  getStart(): number {
    return this.start;
  }

  getEnd(): number {
    return this.end;
  }

  /** `end - 1`: the largest timestamp inside the window. */
  maxTimestamp(): number {
    return this.end - 1;
  }

  equals(other: unknown): boolean {
    return other instanceof TimeWindow && other.start === this.start && other.end === this.end;
  }

  /** Whether the two windows overlap or touch (so a session would merge them). */
  intersects(other: TimeWindow): boolean {
    return this.start <= other.end && this.end >= other.start;
  }

  /** The smallest window containing both. */
  cover(other: TimeWindow): TimeWindow {
    return new TimeWindow(Math.min(this.start, other.start), Math.max(this.end, other.end));
  }

  override toString(): string {
    return `TimeWindow{start=${this.start}, end=${this.end}}`;
  }

  /** @internal The state namespace of this window: `"<start>:<end>"`. */
  toNamespace(): string {
    return (this.namespace ??= `${this.start}:${this.end}`);
  }

  /**
   * The start of the window of length `windowSize`, shifted by `offset`, that contains
   * `timestamp`. Windows are aligned to the epoch plus the offset, for negative timestamps too.
   */
  static getWindowStartWithOffset(timestamp: number, offset: number, windowSize: number): number {
    const remainder = (timestamp - offset) % windowSize;
    return remainder < 0 ? timestamp - (remainder + windowSize) : timestamp - remainder;
  }

  /**
   * Merges overlapping windows, as session windows need: every group of two or more windows that
   * overlap (transitively) is reported once to `callback` with the window covering them all.
   */
  static mergeWindows(windows: readonly TimeWindow[], callback: MergeCallback<TimeWindow>): void {
    if (windows.length < 2) return;
    const sorted = [...windows].sort((a, b) => a.start - b.start || a.end - b.end);
    let cover = sorted[0]!;
    let group: TimeWindow[] = [cover];
    for (let i = 1; i < sorted.length; i++) {
      const candidate = sorted[i]!;
      if (cover.intersects(candidate)) {
        cover = cover.cover(candidate);
        group.push(candidate);
      } else {
        if (group.length > 1) callback.merge(group, cover);
        cover = candidate;
        group = [candidate];
      }
    }
    if (group.length > 1) callback.merge(group, cover);
  }

  /** The serializer of time windows: namespaces are the strings `"<start>:<end>"`. */
  static readonly Serializer: WindowSerializer<TimeWindow> = {
    toNamespace: (window) => window.toNamespace(),
    fromNamespace: (namespace) => {
      if (typeof namespace !== 'string') throw new TypeError(`not a time window namespace: ${String(namespace)}`);
      const at = namespace.indexOf(':', 1);
      if (at < 0) throw new TypeError(`not a time window namespace: ${namespace}`);
      const window = new TimeWindow(Number(namespace.slice(0, at)), Number(namespace.slice(at + 1)));
      window.namespace = namespace;
      return window;
    },
  };
}

/** What a merging assigner reports merges to. */
export interface MergeCallback<W> {
  /** `toBeMerged` (two or more windows) become `mergeResult`. */
  merge(toBeMerged: readonly W[], mergeResult: W): void;
}

/** The one window of {@link GlobalWindows}: everything, forever. */
export class GlobalWindow extends Window {
  private static readonly INSTANCE = new GlobalWindow();

  private constructor() {
    super();
  }

  static get(): GlobalWindow {
    return GlobalWindow.INSTANCE;
  }

  maxTimestamp(): number {
    return MAX_WINDOW_TIMESTAMP;
  }

  equals(other: unknown): boolean {
    return other instanceof GlobalWindow;
  }

  override toString(): string {
    return 'GlobalWindow';
  }

  /** The serializer of the global window: its namespace is the string `"global"`. */
  static readonly Serializer: WindowSerializer<GlobalWindow> = {
    toNamespace: () => 'global',
    fromNamespace: () => GlobalWindow.INSTANCE,
  };
}
