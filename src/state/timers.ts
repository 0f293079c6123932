/**
 * Timers of a keyed operator (Flink's `InternalTimerService`): event-time timers fire when the
 * watermark passes them, processing-time timers when the runtime says the wall clock has. Timers
 * are keyed state: each belongs to the key and namespace current when it was registered, lives in
 * that key's key group, and is snapshotted and rescaled with it.
 *
 * The service never schedules anything itself. The runtime calls `advanceWatermark` when a
 * watermark arrives and, after each batch, reads `nextProcessingTimeTimer()` to arm one wake-up
 * with its processing-time service, then calls `fireProcessingTimers(now, ...)` when it fires.
 * Firing runs the callback synchronously for each due timer, earliest first, with the backend's
 * current key and namespace set to the timer's; it leaves them at the last timer's.
 */
import { InvalidTimestampError, NoCurrentKeyError, StateRestoreError } from './errors.js';
import { assignToKeyGroup } from './key-groups.js';
import type { KeyContext, VoidNamespace } from './key-context.js';
import { decodeKeyId, keyIdentity, type KeyId } from './key-identity.js';
import { expectArray, expectKeyGroup, expectRecord, type KeyGroupTimers, type TimerEntry, type TimerServiceSnapshot } from './snapshot.js';
import { TimerQueue, type TimerStore, type TimerView } from './timer-queue.js';

export type TimeDomain = 'EVENT_TIME' | 'PROCESSING_TIME';

/** The watermark before any has arrived (Flink uses Long.MIN_VALUE). */
export const MIN_WATERMARK = Number.NEGATIVE_INFINITY;

/** What fires a timer: a function, or an object whose `onTimer` is called (no wrapper per call). */
export type TimerCallback<K, N> =
  | ((timestamp: number, key: K, namespace: N, domain: TimeDomain) => void)
  | { onTimer(timestamp: number, key: K, namespace: N, domain: TimeDomain): void };

/** Where a timer service keeps its timers, when a backend has its own place for them. */
export interface TimerStores {
  readonly eventTime: TimerStore;
  readonly processingTime: TimerStore;
  /**
   * Called before timers fire, and again once as many fired as it returned (at least one is
   * assumed): a backend over storage reads the keys of the next timers due by `limit`.
   */
  readonly readAhead?: (domain: TimeDomain, limit: number) => number;
}

export class InternalTimerService<K = unknown, N = VoidNamespace> {
  private watermark = MIN_WATERMARK;
  private readonly eventTimeTimers: TimerStore;
  private readonly processingTimeTimers: TimerStore;
  private readonly readAhead: TimerStores['readAhead'];

  /**
   * Created by a keyed backend's `getInternalTimerService(name)`, with the backend's stores of
   * each domain's timers (heap queues when it has none of its own).
   */
  constructor(
    readonly name: string,
    private readonly ctx: KeyContext,
    stores?: TimerStores,
  ) {
    this.eventTimeTimers = stores?.eventTime ?? new TimerQueue(ctx.numberOfKeyGroups);
    this.processingTimeTimers = stores?.processingTime ?? new TimerQueue(ctx.numberOfKeyGroups);
    this.readAhead = stores?.readAhead;
  }

  /**
   * Calls `fn(keyId, keyGroupIndex)` for every timer that a watermark `watermark` (EVENT_TIME)
   * or processing time `now` would fire: what a backend over storage loads before firing them.
   */
  forEachDue(domain: TimeDomain, time: number, fn: (keyId: KeyId, keyGroupIndex: number) => void): void {
    (domain === 'EVENT_TIME' ? this.eventTimeTimers : this.processingTimeTimers).forEachDue(time, (t) => fn(t.keyId, t.keyGroupIndex));
  }

  /** Fires for the current key and namespace once the watermark reaches `timestamp`; duplicates collapse. */
  registerEventTimeTimer(timestamp: number): void {
    this.register(this.eventTimeTimers, timestamp, 'registerEventTimeTimer');
  }

  /** Fires for the current key and namespace once processing time reaches `timestamp`; duplicates collapse. */
  registerProcessingTimeTimer(timestamp: number): void {
    this.register(this.processingTimeTimers, timestamp, 'registerProcessingTimeTimer');
  }

  /** Deletes the current key and namespace's event-time timer at `timestamp`, if any. */
  deleteEventTimeTimer(timestamp: number): void {
    this.remove(this.eventTimeTimers, timestamp, 'deleteEventTimeTimer');
  }

  /** Deletes the current key and namespace's processing-time timer at `timestamp`, if any. */
  deleteProcessingTimeTimer(timestamp: number): void {
    this.remove(this.processingTimeTimers, timestamp, 'deleteProcessingTimeTimer');
  }

  currentWatermark(): number {
    return this.watermark;
  }

  /**
   * Sets the watermark and fires every event-time timer with timestamp <= `watermark`, in
   * timestamp order, including timers the callbacks register at or below it. Returns how many
   * fired. A lower watermark than the current one is ignored (watermarks never go back).
   */
  advanceWatermark(watermark: number, onTimer: TimerCallback<K, N>): number {
    if (watermark > this.watermark) this.watermark = watermark;
    return this.fire(this.eventTimeTimers, this.watermark, onTimer, 'EVENT_TIME');
  }

  /** The earliest event-time timer's timestamp, or undefined when there is none. */
  nextEventTimeTimer(): number | undefined {
    return this.eventTimeTimers.peek()?.timestamp;
  }

  /** The earliest processing-time timer's timestamp: when the runtime should wake this service. */
  nextProcessingTimeTimer(): number | undefined {
    return this.processingTimeTimers.peek()?.timestamp;
  }

  /** Fires every processing-time timer with timestamp <= `now`, earliest first; returns how many. */
  fireProcessingTimers(now: number, onTimer: TimerCallback<K, N>): number {
    return this.fire(this.processingTimeTimers, now, onTimer, 'PROCESSING_TIME');
  }

  numEventTimeTimers(): number {
    return this.eventTimeTimers.size;
  }

  numProcessingTimeTimers(): number {
    return this.processingTimeTimers.size;
  }

  /** Plain-data copy of every registered timer, grouped by key group (keys and namespaces copied). */
  snapshot(): TimerServiceSnapshot {
    return {
      name: this.name,
      eventTime: this.snapshotQueue(this.eventTimeTimers),
      processingTime: this.snapshotQueue(this.processingTimeTimers),
    };
  }

  /** Registers the snapshot's timers of key groups in this backend's range; the others are skipped. */
  restore(snapshot: TimerServiceSnapshot): void {
    const record = expectRecord(snapshot, `timer service '${this.name}'`, this.name);
    this.restoreQueue(this.eventTimeTimers, record['eventTime'], 'event-time');
    this.restoreQueue(this.processingTimeTimers, record['processingTime'], 'processing-time');
  }

  /** Drops every timer (the watermark stays). */
  clear(): void {
    this.eventTimeTimers.clear();
    this.processingTimeTimers.clear();
  }

  private register(queue: TimerStore, timestamp: number, operation: string): void {
    const ctx = this.ctx;
    if (ctx.keyGroupIndex < 0) throw new NoCurrentKeyError(operation);
    if (typeof timestamp !== 'number' || timestamp !== timestamp) throw new InvalidTimestampError(timestamp, operation);
    queue.add(timestamp, ctx.key, ctx.keyId, ctx.namespace, ctx.namespaceId, ctx.keyGroupIndex);
  }

  private remove(queue: TimerStore, timestamp: number, operation: string): void {
    const ctx = this.ctx;
    if (ctx.keyGroupIndex < 0) throw new NoCurrentKeyError(operation);
    queue.delete(timestamp, ctx.keyId, ctx.namespaceId, ctx.keyGroupIndex);
  }

  private fire(queue: TimerStore, limit: number, onTimer: TimerCallback<K, N>, domain: TimeDomain): number {
    const ctx = this.ctx;
    const readAhead = this.readAhead;
    let fired = 0;
    let ahead = 0;
    let timer: TimerView | undefined;
    while ((timer = queue.peek()) !== undefined && timer.timestamp <= limit) {
      if (readAhead !== undefined && ahead-- <= 0) ahead = readAhead(domain, limit) - 1;
      queue.poll();
      ctx.setResolvedKey(timer.key, timer.keyId, timer.keyGroupIndex);
      ctx.setResolvedNamespace(timer.namespace, timer.namespaceId);
      if (typeof onTimer === 'function') onTimer(timer.timestamp, timer.key as K, timer.namespace as N, domain);
      else onTimer.onTimer(timer.timestamp, timer.key as K, timer.namespace as N, domain);
      fired++;
    }
    return fired;
  }

  private snapshotQueue(queue: TimerStore): KeyGroupTimers[] {
    const out: KeyGroupTimers[] = [];
    for (const [index, timers] of queue.keyGroupTimers()) {
      const entries: TimerEntry[] = [];
      for (const timer of timers) entries.push([timer.timestamp, decodeKeyId(timer.keyId), decodeKeyId(timer.namespaceId)]);
      out.push({ keyGroup: index + this.ctx.startKeyGroup, timers: entries });
    }
    return out;
  }

  private restoreQueue(queue: TimerStore, groups: unknown, domain: string): void {
    const ctx = this.ctx;
    for (const group of expectArray(groups, `the ${domain} timers of '${this.name}'`, this.name)) {
      const { keyGroup: rawKeyGroup, timers } = expectRecord(group, `a key group of ${domain} timers`, this.name);
      const keyGroup = expectKeyGroup(rawKeyGroup, ctx.maxParallelism, this.name);
      if (!ctx.keyGroupRange.contains(keyGroup)) continue;
      const index = keyGroup - ctx.startKeyGroup;
      for (const entry of expectArray(timers, `the ${domain} timers of key group ${keyGroup}`, this.name)) {
        const [timestamp, key, namespace] = expectArray(entry, 'a timer', this.name);
        if (typeof timestamp !== 'number' || timestamp !== timestamp) {
          throw new StateRestoreError(`Malformed snapshot: a ${domain} timer of '${this.name}' has timestamp ${String(timestamp)}.`, this.name);
        }
        if (assignToKeyGroup(key, ctx.maxParallelism) !== keyGroup) {
          throw new StateRestoreError(
            `A ${domain} timer of '${this.name}' is filed under key group ${keyGroup} but its key hashes to another: the snapshot was written with another key hash.`,
            this.name,
          );
        }
        // Decoding the identities gives the timer its own copies of composite keys and namespaces.
        const keyId = keyIdentity(key, 'key');
        const namespaceId = keyIdentity(namespace, 'namespace');
        queue.add(timestamp, decodeKeyId(keyId), keyId, decodeKeyId(namespaceId), namespaceId, index);
      }
    }
  }
}
