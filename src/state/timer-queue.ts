/**
 * The timers of one time domain of one timer service: a binary min-heap ordered by timestamp
 * (then registration order, so equal timestamps fire first-registered first), and per key group a
 * Map from (timestamp, key, namespace) to the timer, which collapses duplicates and finds a timer
 * to delete. Each timer knows its heap slot, so deletion is O(log n).
 */
import type { KeyId } from './key-identity.js';

export class Timer {
  heapIndex = -1;

  constructor(
    readonly timestamp: number,
    readonly key: unknown,
    readonly keyId: KeyId,
    readonly namespace: unknown,
    readonly namespaceId: KeyId,
    readonly keyGroupIndex: number,
    readonly dedupKey: string,
    readonly sequence: number,
  ) {}
}

/** An unambiguous string for (timestamp, key, namespace) within one key group. */
export function timerDedupKey(timestamp: number, keyId: KeyId, namespaceId: KeyId): string {
  const key = tagged(keyId);
  // The key's length makes the split between key and namespace unambiguous.
  return `${timestamp}:${key.length}:${key}${tagged(namespaceId)}`;
}

function tagged(id: KeyId): string {
  switch (typeof id) {
    case 'string':
      return `s${id}`;
    case 'number':
      return `n${id}`;
    case 'boolean':
      return id ? 't' : 'f';
    case 'bigint':
      return `b${id}`;
    default:
      return id === null ? 'z' : 'u';
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.timestamp < b.timestamp || (a.timestamp === b.timestamp && a.sequence < b.sequence);
}

export class TimerQueue {
  private readonly heap: Timer[] = [];
  private readonly byKeyGroup: (Map<string, Timer> | undefined)[];
  private sequence = 0;

  constructor(numberOfKeyGroups: number) {
    this.byKeyGroup = new Array<Map<string, Timer> | undefined>(numberOfKeyGroups).fill(undefined);
  }

  get size(): number {
    return this.heap.length;
  }

  /** Adds a timer unless an equal one is registered; true when added. */
  add(timestamp: number, key: unknown, keyId: KeyId, namespace: unknown, namespaceId: KeyId, keyGroupIndex: number): boolean {
    const dedupKey = timerDedupKey(timestamp, keyId, namespaceId);
    let timers = this.byKeyGroup[keyGroupIndex];
    if (timers === undefined) {
      timers = new Map();
      this.byKeyGroup[keyGroupIndex] = timers;
    } else if (timers.has(dedupKey)) {
      return false;
    }
    const timer = new Timer(timestamp, key, keyId, namespace, namespaceId, keyGroupIndex, dedupKey, this.sequence++);
    timers.set(dedupKey, timer);
    timer.heapIndex = this.heap.length;
    this.heap.push(timer);
    this.siftUp(timer.heapIndex);
    return true;
  }

  /** Removes the timer for (timestamp, key, namespace); true when there was one. */
  delete(timestamp: number, keyId: KeyId, namespaceId: KeyId, keyGroupIndex: number): boolean {
    const timers = this.byKeyGroup[keyGroupIndex];
    if (timers === undefined) return false;
    const dedupKey = timerDedupKey(timestamp, keyId, namespaceId);
    const timer = timers.get(dedupKey);
    if (timer === undefined) return false;
    this.forget(timers, timer);
    this.removeAt(timer.heapIndex);
    return true;
  }

  peek(): Timer | undefined {
    return this.heap[0];
  }

  /** Removes and returns the earliest timer. */
  poll(): Timer | undefined {
    const timer = this.heap[0];
    if (timer === undefined) return undefined;
    const timers = this.byKeyGroup[timer.keyGroupIndex];
    if (timers !== undefined) this.forget(timers, timer);
    this.removeAt(0);
    return timer;
  }

  /** The timers of each key group, in registration order within a key group. */
  keyGroupTimers(): IterableIterator<[number, Map<string, Timer>]> {
    return this.nonEmptyGroups();
  }

  clear(): void {
    this.heap.length = 0;
    this.byKeyGroup.fill(undefined);
  }

  private *nonEmptyGroups(): Generator<[number, Map<string, Timer>], undefined, undefined> {
    for (let i = 0; i < this.byKeyGroup.length; i++) {
      const timers = this.byKeyGroup[i];
      if (timers !== undefined) yield [i, timers];
    }
    return undefined;
  }

  private forget(timers: Map<string, Timer>, timer: Timer): void {
    timers.delete(timer.dedupKey);
    if (timers.size === 0) this.byKeyGroup[timer.keyGroupIndex] = undefined;
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
    if (index > 0 && before(last, heap[(index - 1) >> 1] as Timer)) this.siftUp(index);
    else this.siftDown(index);
  }

  private siftUp(start: number): void {
    const heap = this.heap;
    const timer = heap[start] as Timer;
    let index = start;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex] as Timer;
      if (!before(timer, parent)) break;
      heap[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    heap[index] = timer;
    timer.heapIndex = index;
  }

  private siftDown(start: number): void {
    const heap = this.heap;
    const length = heap.length;
    const timer = heap[start] as Timer;
    let index = start;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      if (right < length && before(heap[right] as Timer, heap[left] as Timer)) child = right;
      const smallest = heap[child] as Timer;
      if (!before(smallest, timer)) break;
      heap[index] = smallest;
      smallest.heapIndex = index;
      index = child;
    }
    heap[index] = timer;
    timer.heapIndex = index;
  }
}
