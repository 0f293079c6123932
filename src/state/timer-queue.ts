/**
 * The timers of one time domain of one timer service: a binary min-heap ordered by timestamp
 * (then registration order, so equal timestamps fire first-registered first), and per key group a
 * Map from (timestamp, key, namespace) to the timer, which collapses duplicates and finds a timer
 * to delete. Each timer knows its heap slot, so deletion is O(log n).
 */
import { siftDown, siftUp, type HeapOrder } from '../util/binary-heap.js';
import type { KeyId } from './key-identity.js';

/** A registered timer as a timer service reads it. */
export interface TimerView {
  readonly timestamp: number;
  readonly key: unknown;
  readonly keyId: KeyId;
  readonly namespace: unknown;
  readonly namespaceId: KeyId;
  readonly keyGroupIndex: number;
}

/**
 * Where a timer service keeps the timers of one time domain: on the heap (TimerQueue), or in
 * RocksDB (rocksdb/timers.ts). Ordered by timestamp; equal timers (timestamp, key, namespace)
 * collapse into one.
 */
export interface TimerStore {
  /** How many timers there are (RocksDB counts its rows: for tests and metrics, not per record). */
  readonly size: number;
  /** Adds a timer unless an equal one is registered. */
  add(timestamp: number, key: unknown, keyId: KeyId, namespace: unknown, namespaceId: KeyId, keyGroupIndex: number): void;
  /** Removes the timer for (timestamp, key, namespace), if there is one. */
  delete(timestamp: number, keyId: KeyId, namespaceId: KeyId, keyGroupIndex: number): void;
  peek(): TimerView | undefined;
  /** Removes and returns the earliest timer. */
  poll(): TimerView | undefined;
  /**
   * Calls `fn` for timers due at `limit` (timestamp at most `limit`), in no order: every one on
   * the heap; those RocksDB holds in memory (the earliest of each key group) otherwise.
   */
  forEachDue(limit: number, fn: (timer: TimerView) => void): void;
  /** The timers of each key group that has any (by index in the range). */
  keyGroupTimers(): Iterable<[number, readonly TimerView[]]>;
  /** Drops every timer. */
  clear(): void;
}

export class Timer implements TimerView {
  heapIndex = -1;

  constructor(
    readonly timestamp: number,
    readonly key: unknown,
    readonly keyId: KeyId,
    readonly namespace: unknown,
    readonly namespaceId: KeyId,
    readonly keyGroupIndex: number,
    readonly sequence: number,
  ) {}
}

/**
 * One key group's timers by timestamp, key and namespace: nested maps rather than a composite
 * string key, so registering a timer (a window registers two per record) allocates nothing
 * when an equal timer already exists, and only the timer itself when it does not.
 */
type KeyGroupIndex = Map<number, Map<KeyId, Timer | Map<KeyId, Timer>>>;

const ORDER: HeapOrder<Timer> = {
  before: (a, b) => a.timestamp < b.timestamp || (a.timestamp === b.timestamp && a.sequence < b.sequence),
  moved: (timer, index) => {
    timer.heapIndex = index;
  },
};

export class TimerQueue implements TimerStore {
  private readonly heap: Timer[] = [];
  private readonly byKeyGroup: (KeyGroupIndex | undefined)[];
  private sequence = 0;
  private lastAdded: Timer | undefined;

  constructor(numberOfKeyGroups: number) {
    this.byKeyGroup = new Array<KeyGroupIndex | undefined>(numberOfKeyGroups).fill(undefined);
  }

  get size(): number {
    return this.heap.length;
  }

  /** Adds a timer unless an equal one is registered; true when added. */
  add(timestamp: number, key: unknown, keyId: KeyId, namespace: unknown, namespaceId: KeyId, keyGroupIndex: number): boolean {
    // A window registers the same timer twice in a row (trigger and cleanup): answer from the last.
    const last = this.lastAdded;
    if (last !== undefined && last.heapIndex >= 0 && last.timestamp === timestamp && last.keyId === keyId && last.namespaceId === namespaceId) {
      return false;
    }
    let group = this.byKeyGroup[keyGroupIndex];
    if (group === undefined) this.byKeyGroup[keyGroupIndex] = group = new Map();
    let byKey = group.get(timestamp);
    if (byKey === undefined) group.set(timestamp, (byKey = new Map()));
    // Most keys have one timer per timestamp: it is stored as is, a map only when a second comes.
    const existing = byKey.get(keyId);
    // Duplicates are found before anything is allocated.
    if (existing instanceof Timer ? existing.namespaceId === namespaceId : existing?.has(namespaceId) === true) return false;
    const timer = new Timer(timestamp, key, keyId, namespace, namespaceId, keyGroupIndex, this.sequence++);
    this.lastAdded = timer;
    if (existing === undefined) byKey.set(keyId, timer);
    else if (existing instanceof Timer) byKey.set(keyId, new Map([[existing.namespaceId, existing], [namespaceId, timer]]));
    else existing.set(namespaceId, timer);
    timer.heapIndex = this.heap.length;
    this.heap.push(timer);
    siftUp(this.heap, timer.heapIndex, ORDER);
    return true;
  }

  /** Removes the timer for (timestamp, key, namespace); true when there was one. */
  delete(timestamp: number, keyId: KeyId, namespaceId: KeyId, keyGroupIndex: number): boolean {
    const entry = this.byKeyGroup[keyGroupIndex]?.get(timestamp)?.get(keyId);
    const timer = entry instanceof Timer ? (entry.namespaceId === namespaceId ? entry : undefined) : entry?.get(namespaceId);
    if (timer === undefined) return false;
    this.forget(timer);
    this.removeAt(timer.heapIndex);
    return true;
  }

  peek(): Timer | undefined {
    return this.heap[0];
  }

  /** Calls `fn` for every timer due at `limit` (timestamp at most `limit`), in no order. */
  forEachDue(limit: number, fn: (timer: Timer) => void): void {
    const heap = this.heap;
    const stack = heap.length > 0 ? [0] : [];
    while (stack.length > 0) {
      const i = stack.pop()!;
      const timer = heap[i]!;
      if (timer.timestamp > limit) continue;
      fn(timer);
      if (2 * i + 1 < heap.length) stack.push(2 * i + 1);
      if (2 * i + 2 < heap.length) stack.push(2 * i + 2);
    }
  }

  /** Removes and returns the earliest timer. */
  poll(): Timer | undefined {
    const timer = this.heap[0];
    if (timer === undefined) return undefined;
    this.forget(timer);
    this.removeAt(0);
    return timer;
  }

  /** The timers of each key group, in registration order within a key group. */
  keyGroupTimers(): IterableIterator<[number, Timer[]]> {
    return this.nonEmptyGroups();
  }

  clear(): void {
    this.lastAdded = undefined;
    this.heap.length = 0;
    this.byKeyGroup.fill(undefined);
  }

  private *nonEmptyGroups(): Generator<[number, Timer[]], undefined, undefined> {
    for (let i = 0; i < this.byKeyGroup.length; i++) {
      const group = this.byKeyGroup[i];
      if (group === undefined) continue;
      const timers: Timer[] = [];
      for (const byKey of group.values()) {
        for (const entry of byKey.values()) {
          if (entry instanceof Timer) timers.push(entry);
          else for (const timer of entry.values()) timers.push(timer);
        }
      }
      yield [i, timers.sort((a, b) => a.sequence - b.sequence)];
    }
    return undefined;
  }

  /** Drops a timer from its key group's index, pruning maps it leaves empty. */
  private forget(timer: Timer): void {
    const group = this.byKeyGroup[timer.keyGroupIndex];
    const byKey = group?.get(timer.timestamp);
    const entry = byKey?.get(timer.keyId);
    if (group === undefined || byKey === undefined || entry === undefined) return;
    if (entry instanceof Timer) {
      if (entry !== timer) return;
    } else {
      entry.delete(timer.namespaceId);
      if (entry.size > 0) return;
    }
    byKey.delete(timer.keyId);
    if (byKey.size > 0) return;
    group.delete(timer.timestamp);
    if (group.size === 0) this.byKeyGroup[timer.keyGroupIndex] = undefined;
  }

  private removeAt(index: number): void {
    const heap = this.heap;
    const removed = heap[index] as Timer;
    removed.heapIndex = -1;
    const last = heap.pop() as Timer;
    if (index === heap.length) return;
    heap[index] = last;
    last.heapIndex = index;
    // The moved timer may belong above or below its new slot.
    if (index > 0 && ORDER.before(last, heap[(index - 1) >> 1] as Timer)) siftUp(heap, index, ORDER);
    else siftDown(heap, index, ORDER);
  }
}
