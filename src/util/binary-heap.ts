/**
 * Sifting for binary min-heaps kept in plain arrays, for heaps whose items know their place
 * (a timer deleted from the middle of its queue, a key group whose earliest timer changed):
 * `moved` is told each item's new index as it moves.
 */
export interface HeapOrder<T> {
  /** Whether `a` comes out of the heap before `b`. */
  before(a: T, b: T): boolean;
  /** `item` now stands at `index`. */
  moved(item: T, index: number): void;
}

/** Moves the item at `start` up to where it belongs. */
export function siftUp<T>(heap: T[], start: number, order: HeapOrder<T>): void {
  const item = heap[start] as T;
  let index = start;
  while (index > 0) {
    const parentIndex = (index - 1) >> 1;
    const parent = heap[parentIndex] as T;
    if (!order.before(item, parent)) break;
    heap[index] = parent;
    order.moved(parent, index);
    index = parentIndex;
  }
  heap[index] = item;
  order.moved(item, index);
}

/** Moves the item at `start` down to where it belongs. */
export function siftDown<T>(heap: T[], start: number, order: HeapOrder<T>): void {
  const length = heap.length;
  const item = heap[start] as T;
  let index = start;
  for (;;) {
    const left = 2 * index + 1;
    if (left >= length) break;
    const right = left + 1;
    const child = right < length && order.before(heap[right] as T, heap[left] as T) ? right : left;
    const smallest = heap[child] as T;
    if (!order.before(smallest, item)) break;
    heap[index] = smallest;
    order.moved(smallest, index);
    index = child;
  }
  heap[index] = item;
  order.moved(item, index);
}
