/**
 * Timers in RocksDB (Flink's `state.backend.rocksdb.timer-service.factory: ROCKSDB`): a row per
 * timer, so a task's timers need not fit in memory any more than its state.
 *
 *     row key:   [0xfe] [CBOR of the service name] [domain: 0 event, 1 processing time]
 *                [key group: 2 bytes] [timestamp: 8 bytes, ordered] [CBOR of [key, namespace]]
 *     row value: empty
 *
 * State rows start with their key group (below 0x80), the meta row is `ff ff`: timers lie in a
 * space of their own, where each service and domain is one range, ordered by key group and then
 * by timestamp. So a snapshot reads a domain's timers key group by key group with one iterator,
 * and each key group's earliest timers are one seek away.
 *
 * In memory, each key group keeps its earliest timers (up to `cacheSize`, in order), knowing
 * whether they are all it has; a heap of key groups by their earliest timer gives the next one.
 * Registering a timer writes its row (batched with other writes, posted when the backend flushes
 * or a read needs them) and, when it falls before the end of its key group's cache, puts it in
 * the cache too; firing takes from the cache, and a key group whose cache runs dry reads its
 * next timers with one scan. Equal timers collapse exactly: one before the cache's end is found
 * in it, one after is the same row.
 */
import { decode, encode } from '../../net/codec.js';
import { decodeKeyId, type KeyId } from '../key-identity.js';
import type { TimerStore, TimerView } from '../timer-queue.js';
import { siftDown, siftUp, type HeapOrder } from '../../util/binary-heap.js';
import type { RocksDBHandle } from './db-client.js';
import { WriteBatchBuilder } from './protocol.js';
import { decodeId, encodeId } from './rows.js';

/** The first byte of every timer row. */
export const TIMER_SPACE = 0xfe;
export const EVENT_TIME_DOMAIN = 0;
export const PROCESSING_TIME_DOMAIN = 1;
/** Timers kept in memory per key group, as Flink's RocksDB priority queue does. */
export const DEFAULT_TIMER_CACHE_SIZE = 128;
/** Posted as a write batch once this many rows are waiting. */
const ROWS_PER_WRITE = 4096;
const EMPTY = new Uint8Array(0);

/** Where the timers of `service` in `domain` (EVENT_TIME_DOMAIN, PROCESSING_TIME_DOMAIN) lie. */
export function timerPrefix(service: string, domain: number): Uint8Array {
  const name = encode(service);
  const prefix = new Uint8Array(2 + name.byteLength);
  prefix[0] = TIMER_SPACE;
  prefix.set(name, 1);
  prefix[1 + name.byteLength] = domain;
  return prefix;
}

/** `prefix` followed by key group `keyGroup`: where that key group's timers start (and the previous one's end). */
export function withKeyGroup(prefix: Uint8Array, keyGroup: number): Uint8Array {
  const out = new Uint8Array(prefix.byteLength + 2);
  out.set(prefix);
  out[prefix.byteLength] = keyGroup >> 8;
  out[prefix.byteLength + 1] = keyGroup & 0xff;
  return out;
}

/**
 * The service names and domains whose timers a database holds, as prefixes, found by seeking
 * from one range to the next (a few reads, however many timers there are).
 */
export function storedTimerPrefixes(db: RocksDBHandle): Array<{ service: string; domain: number; prefix: Uint8Array }> {
  const found: Array<{ service: string; domain: number; prefix: Uint8Array }> = [];
  const end = Uint8Array.of(TIMER_SPACE + 1);
  let from: Uint8Array = Uint8Array.of(TIMER_SPACE);
  for (;;) {
    const { rows } = db.scan(from, end, 1);
    const row = rows[0]?.[0];
    if (row === undefined) return found;
    const nameEnd = 1 + textItemLength(row, 1);
    const service = decode(row.subarray(1, nameEnd));
    if (typeof service !== 'string') throw new Error('a RocksDB timer row does not name its timer service');
    const prefix = row.slice(0, nameEnd + 1);
    found.push({ service, domain: prefix[nameEnd]!, prefix });
    // Past every key group of this service and domain (key groups are below 0x8000).
    from = new Uint8Array(prefix.byteLength + 1);
    from.set(prefix);
    from[prefix.byteLength] = 0xff;
  }
}

/** The length of the CBOR text string at `at`: its head and its bytes. */
function textItemLength(bytes: Uint8Array, at: number): number {
  const head = bytes[at]!;
  if (head >> 5 !== 3) throw new Error('a RocksDB timer row does not name its timer service');
  const info = head & 0x1f;
  if (info < 24) return 1 + info;
  if (info === 24) return 2 + bytes[at + 1]!;
  if (info === 25) return 3 + ((bytes[at + 1]! << 8) | bytes[at + 2]!);
  if (info === 26) return 5 + new DataView(bytes.buffer, bytes.byteOffset + at + 1, 4).getUint32(0);
  throw new Error('a RocksDB timer row names its timer service with an unsupported length');
}

/** Writes `timestamp` as 8 bytes that sort as the numbers do (IEEE 754, sign flipped; negatives inverted). */
/** One float64 and its bytes, in the machine's order, for the timestamps' encoding (no allocation per timer). */
const scratch = new Float64Array(1);
const scratchBytes = new Uint8Array(scratch.buffer);
/** Where the float's most significant byte is in `scratchBytes`, and the step to the next. */
const [MSB, STEP] = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? [7, -1] : [0, 1];

function writeTimestamp(out: Uint8Array, at: number, timestamp: number): void {
  // -0 and 0 are one timestamp.
  scratch[0] = timestamp === 0 ? 0 : timestamp;
  // Negative: every bit flipped; positive: the sign bit set.
  const flip = (scratchBytes[MSB]! & 0x80) !== 0 ? 0xff : 0;
  for (let i = 0, b = MSB; i < 8; i++, b += STEP) out[at + i] = scratchBytes[b]! ^ flip;
  if (flip === 0) out[at] = out[at]! ^ 0x80;
}

function readTimestamp(bytes: Uint8Array, at: number): number {
  const flip = (bytes[at]! & 0x80) !== 0 ? 0 : 0xff;
  for (let i = 0, b = MSB; i < 8; i++, b += STEP) scratchBytes[b] = bytes[at + i]! ^ flip;
  if (flip === 0) scratchBytes[MSB] = scratchBytes[MSB]! ^ 0x80;
  return scratch[0]!;
}

/** What a timer row under a prefix of `prefixLength` bytes holds. */
export function decodeTimerRow(row: Uint8Array, prefixLength: number): { keyGroup: number; timestamp: number; keyId: KeyId; namespaceId: KeyId } {
  const at = prefixLength + 2;
  const identity = decode(row.subarray(at + 8));
  if (!Array.isArray(identity) || identity.length !== 2) throw new Error('a RocksDB timer row does not hold a key and a namespace');
  return {
    keyGroup: (row[prefixLength]! << 8) | row[prefixLength + 1]!,
    timestamp: readTimestamp(row, at),
    keyId: decodeId(identity[0]),
    namespaceId: decodeId(identity[1]),
  };
}

/** A timer with its row: the part after the timestamp (key and namespace) orders equal timestamps. */
class StoredTimer implements TimerView {
  constructor(
    readonly timestamp: number,
    readonly key: unknown,
    readonly keyId: KeyId,
    readonly namespace: unknown,
    readonly namespaceId: KeyId,
    readonly keyGroupIndex: number,
    readonly row: Uint8Array,
    /** `row` after the timestamp. */
    readonly suffix: Uint8Array,
  ) {}
}

function compare(a: StoredTimer, b: StoredTimer): number {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp ? -1 : 1;
  return Buffer.compare(a.suffix, b.suffix);
}

/** Key groups by their earliest timer. */
const BY_EARLIEST: HeapOrder<KeyGroupTimers> = {
  before: (a, b) => compare(a.cache[0]!, b.cache[0]!) < 0,
  moved: (group, index) => {
    group.slot = index;
  },
};

/** A position in a key group's cache, for merging the caches. */
interface Cursor {
  readonly group: KeyGroupTimers;
  at: number;
}

const BY_CURSOR: HeapOrder<Cursor> = {
  before: (a, b) => compare(a.group.cache[a.at]!, b.group.cache[b.at]!) < 0,
  moved: () => {},
};

/** One key group's earliest timers, in order; `complete` when they are all it has. */
class KeyGroupTimers {
  cache: StoredTimer[] = [];
  /** Its place in the heap of key groups; -1 while its cache is empty. */
  slot = -1;

  constructor(
    readonly index: number,
    public complete: boolean,
  ) {}

  /** Where `timer` is in the cache (found), or would go. */
  find(timer: StoredTimer): { at: number; found: boolean } {
    const cache = this.cache;
    let lo = 0;
    let hi = cache.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const c = compare(cache[mid]!, timer);
      if (c === 0) return { at: mid, found: true };
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return { at: lo, found: false };
  }
}

export interface RocksDBTimerQueueOptions {
  readonly startKeyGroup: number;
  readonly numberOfKeyGroups: number;
  /** The database holds no timers of this queue yet (a new one): nothing to read first. */
  readonly empty: boolean;
  readonly cacheSize?: number;
}

/** The timers of one domain of one timer service, in RocksDB (see the top of this file). */
export class RocksDBTimerQueue implements TimerStore {
  private readonly groups: KeyGroupTimers[] = [];
  /** Key groups with cached timers, as a binary min-heap by their earliest. */
  private readonly heap: KeyGroupTimers[] = [];
  private pending = new WriteBatchBuilder();
  /** The key groups' caches must be read before anything else (after a restore). */
  private unread: boolean;
  /**
   * Key groups whose cache ran dry with more timers in RocksDB, read before the next use: not at
   * once, so the timer just taken fires before its key can make room for the next ones' keys.
   */
  private drained: KeyGroupTimers[] = [];
  private readonly cacheSize: number;
  private lastAdded: StoredTimer | undefined;

  constructor(
    private readonly db: RocksDBHandle,
    private readonly prefix: Uint8Array,
    private readonly options: RocksDBTimerQueueOptions,
  ) {
    this.cacheSize = Math.max(1, options.cacheSize ?? DEFAULT_TIMER_CACHE_SIZE);
    for (let i = 0; i < options.numberOfKeyGroups; i++) this.groups.push(new KeyGroupTimers(i, options.empty));
    this.unread = !options.empty;
  }

  /** Counts the rows: every timer is read, so this is for tests and metrics. */
  get size(): number {
    let n = 0;
    for (const [, timers] of this.keyGroupTimers()) n += timers.length;
    return n;
  }

  add(timestamp: number, key: unknown, keyId: KeyId, namespace: unknown, namespaceId: KeyId, keyGroupIndex: number): void {
    // A window registers the same timer twice in a row (trigger and cleanup): answer from the last.
    const last = this.lastAdded;
    if (last !== undefined && last.timestamp === timestamp && last.keyId === keyId && last.namespaceId === namespaceId && last.keyGroupIndex === keyGroupIndex) return;
    this.read();
    const timer = this.timer(timestamp, key, keyId, namespace, namespaceId, keyGroupIndex);
    this.lastAdded = timer;
    const group = this.groups[keyGroupIndex]!;
    const cache = group.cache;
    if (group.complete || (cache.length > 0 && compare(timer, cache[cache.length - 1]!) < 0)) {
      const { at, found } = group.find(timer);
      if (found) return;
      cache.splice(at, 0, timer);
      if (cache.length > this.cacheSize) {
        // The last one stays in RocksDB only.
        cache.pop();
        group.complete = false;
      }
      if (at === 0) this.reposition(group);
    }
    this.pending.put(timer.row, EMPTY);
    if (this.pending.size >= ROWS_PER_WRITE) this.flush();
  }

  delete(timestamp: number, keyId: KeyId, namespaceId: KeyId, keyGroupIndex: number): void {
    this.read();
    const timer = this.timer(timestamp, undefined, keyId, undefined, namespaceId, keyGroupIndex);
    const last = this.lastAdded;
    if (last !== undefined && compare(last, timer) === 0 && last.keyGroupIndex === keyGroupIndex) this.lastAdded = undefined;
    this.pending.del(timer.row);
    const group = this.groups[keyGroupIndex]!;
    const { at, found } = group.find(timer);
    if (!found) return;
    group.cache.splice(at, 1);
    if (at === 0) this.afterHeadRemoved(group);
  }

  peek(): TimerView | undefined {
    this.read();
    return this.heap[0]?.cache[0];
  }

  poll(): TimerView | undefined {
    this.read();
    const group = this.heap[0];
    if (group === undefined) return undefined;
    const timer = group.cache.shift()!;
    if (this.lastAdded !== undefined && this.lastAdded.keyGroupIndex === group.index && compare(this.lastAdded, timer) === 0) this.lastAdded = undefined;
    this.pending.del(timer.row);
    if (group.cache.length === 0 && !group.complete) this.drained.push(group);
    this.reposition(group);
    return timer;
  }

  forEachDue(limit: number, fn: (timer: TimerView) => void): void {
    this.read();
    for (const group of this.heap) {
      for (const timer of group.cache) {
        if (timer.timestamp > limit) break;
        fn(timer);
      }
    }
  }

  /**
   * The next timers due by `limit`, in the order they fire (if nothing changes meanwhile), up to
   * `max` of them and as far as memory holds them all: up to the end of the cache of a key group
   * with more timers in RocksDB. At least one when any is due.
   */
  upcoming(limit: number, max: number): TimerView[] {
    this.read();
    // A k-way merge of the caches, by a heap of positions in them: as the heap of key groups
    // is by the same order, it is one already. A cache the merge runs through is topped up from
    // RocksDB if it has room; a full one ends the merge (what follows it is not known).
    const out: TimerView[] = [];
    const cursors: Cursor[] = this.heap.map((group) => ({ group, at: 0 }));
    while (out.length < max && cursors.length > 0) {
      const top = cursors[0]!;
      const group = top.group;
      const timer = group.cache[top.at]!;
      if (timer.timestamp > limit) break;
      out.push(timer);
      if (++top.at === group.cache.length) {
        if (!group.complete && group.cache.length < this.cacheSize) this.topUp(group);
        if (top.at === group.cache.length) {
          if (!group.complete) break;
          const last = cursors.pop()!;
          if (cursors.length === 0) break;
          cursors[0] = last;
        }
      }
      siftDown(cursors, 0, BY_CURSOR);
    }
    return out;
  }

  /** Every key group's timers, read from RocksDB a key group at a time. */
  *keyGroupTimers(): Generator<[number, readonly TimerView[]]> {
    this.flush();
    for (let index = 0; index < this.groups.length; index++) {
      const timers: StoredTimer[] = [];
      const [from, to] = this.bounds(index);
      let gte = from;
      for (;;) {
        const { rows, done } = this.db.scan(gte, to, 1024);
        for (const [row] of rows) timers.push(this.decode(row, index));
        if (done || rows.length === 0) break;
        const lastRow = rows[rows.length - 1]![0];
        gte = new Uint8Array(lastRow.byteLength + 1);
        gte.set(lastRow);
      }
      if (timers.length > 0) yield [index, timers];
    }
  }

  /** Deletes every timer's row. */
  clear(): void {
    const rows: Uint8Array[] = [];
    for (const [, timers] of this.keyGroupTimers()) for (const t of timers) rows.push((t as StoredTimer).row);
    for (const row of rows) this.pending.del(row);
    this.flush();
    this.forget(true);
  }

  /** Posts the writes waiting (before a snapshot, and before anything reads the rows). */
  flush(): void {
    if (this.pending.size > 0) this.db.write(this.pending.take());
  }

  /**
   * The database's files were replaced (a restore): what is in memory is forgotten, and read
   * again before the next use.
   */
  reload(): void {
    this.pending = new WriteBatchBuilder();
    this.forget(false);
    this.unread = true;
  }

  private forget(complete: boolean): void {
    this.lastAdded = undefined;
    this.drained = [];
    this.heap.length = 0;
    for (const group of this.groups) {
      group.cache = [];
      group.slot = -1;
      group.complete = complete;
    }
  }

  private read(): void {
    if (this.unread) {
      this.unread = false;
      this.drained = [];
      for (const group of this.groups) this.refill(group);
    }
    if (this.drained.length > 0) {
      const drained = this.drained;
      this.drained = [];
      for (const group of drained) if (group.cache.length === 0 && !group.complete) this.refill(group);
    }
  }

  /** Reads a key group's earliest timers into its empty cache. */
  private refill(group: KeyGroupTimers): void {
    this.flush();
    const [from, to] = this.bounds(group.index);
    const { rows, done } = this.db.scan(from, to, this.cacheSize);
    group.cache = rows.map(([row]) => this.decode(row, group.index));
    group.complete = done;
    this.reposition(group);
  }

  /** Reads the timers that follow a key group's cache into it, up to its size. */
  private topUp(group: KeyGroupTimers): void {
    this.flush();
    const last = group.cache[group.cache.length - 1]!.row;
    const after = new Uint8Array(last.byteLength + 1);
    after.set(last);
    const { rows, done } = this.db.scan(after, this.bounds(group.index)[1], this.cacheSize - group.cache.length);
    for (const [row] of rows) group.cache.push(this.decode(row, group.index));
    group.complete = done;
  }

  /** After a key group's earliest timer went: read more if RocksDB has them, then move it in the heap. */
  private afterHeadRemoved(group: KeyGroupTimers): void {
    if (group.cache.length === 0 && !group.complete) this.refill(group);
    else this.reposition(group);
  }

  private bounds(index: number): [Uint8Array, Uint8Array] {
    const keyGroup = this.options.startKeyGroup + index;
    return [withKeyGroup(this.prefix, keyGroup), withKeyGroup(this.prefix, keyGroup + 1)];
  }

  private timer(timestamp: number, key: unknown, keyId: KeyId, namespace: unknown, namespaceId: KeyId, index: number): StoredTimer {
    const identity = encode([encodeId(keyId), encodeId(namespaceId)]);
    const at = this.prefix.byteLength + 2;
    const row = withKeyGroup(this.prefix, this.options.startKeyGroup + index);
    const out = new Uint8Array(at + 8 + identity.byteLength);
    out.set(row);
    writeTimestamp(out, at, timestamp);
    out.set(identity, at + 8);
    return new StoredTimer(timestamp, key, keyId, namespace, namespaceId, index, out, out.subarray(at + 8));
  }

  private decode(view: Uint8Array, index: number): StoredTimer {
    // A copy: the view would keep the whole scan answer alive.
    const row = view.slice();
    const { timestamp, keyId, namespaceId } = decodeTimerRow(row, this.prefix.byteLength);
    return new StoredTimer(timestamp, decodeKeyId(keyId), keyId, decodeKeyId(namespaceId), namespaceId, index, row, row.subarray(this.prefix.byteLength + 10));
  }

  /** Puts a key group where its earliest timer belongs in the heap (out of it when it has none). */
  private reposition(group: KeyGroupTimers): void {
    const heap = this.heap;
    if (group.cache.length === 0) {
      if (group.slot < 0) return;
      const at = group.slot;
      group.slot = -1;
      const last = heap.pop()!;
      if (last === group) return;
      heap[at] = last;
      last.slot = at;
      siftUp(heap, at, BY_EARLIEST);
      siftDown(heap, last.slot, BY_EARLIEST);
      return;
    }
    if (group.slot < 0) {
      group.slot = heap.length;
      heap.push(group);
    }
    siftUp(heap, group.slot, BY_EARLIEST);
    siftDown(heap, group.slot, BY_EARLIEST);
  }
}
