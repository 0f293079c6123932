/**
 * How state with a time-to-live stores its values, and the expiry checks every backend shares.
 *
 * A TTL state stores each value together with its last-access timestamp, as a two-element array
 * `[value, lastAccessTimestamp]` (Flink's `TtlValue`): VALUE and REDUCING state store one, for the
 * value; AGGREGATING one, for the accumulator; LIST an array of them, one per element; MAP one per
 * entry value (`Map<mapKeyId, [value, ts]>`). The same arrays are the values' canonical snapshot
 * form (snapshot.ts), so a snapshot needs no conversion. A value is expired once
 * `lastAccessTimestamp + ttl <= now` (milliseconds of processing time).
 *
 * For the RocksDB backend (Flink runs TTL cleanup in RocksDB's compaction filter): where it
 * writes a key's values back, pass each through a {@link TtlCompactionFilter} from
 * {@link ttlCompactionFilterFor} and delete the key when it returns undefined; in a full
 * snapshot with `cleanupFullSnapshot`, pass each value through {@link dropExpired}.
 */
import { StateRestoreError } from '../errors.js';
import type { KeyId } from '../key-identity.js';
import type { StateKind } from '../state.js';
import type { StateTtlConfig } from './config.js';

/** A value and the processing time (ms) it was last written, or read with `OnReadAndWrite`. */
export type TtlValue<T> = [value: T, lastAccessTimestamp: number];

/** Where TTL state reads the time: `now()` in milliseconds. A `Clock` or `ManualClock` fits. */
export interface TtlTimeProvider {
  now(): number;
}

/** The wall clock, TTL's default (Flink's TTL runs on processing time). */
export const systemTtlTimeProvider: TtlTimeProvider = { now: () => Date.now() };

/** Whether a value last accessed at `lastAccessTimestamp` has outlived `ttl` at `now`. */
export function expired(lastAccessTimestamp: number, ttl: number, now: number): boolean {
  return lastAccessTimestamp + ttl <= now;
}

/** Whether a stored `[value, lastAccessTimestamp]` has outlived `ttl` at `now`. */
export function isExpired(ttlValue: TtlValue<unknown>, ttl: number, now: number): boolean {
  return ttlValue[1] + ttl <= now;
}

/**
 * A TTL state's stored value of one key without what has expired at `now`: the same object when
 * nothing has, a new one when some list elements or map entries have (the given one is never
 * changed, so a snapshot sharing it is safe), undefined when nothing is left. MAP values may be the
 * live form (`Map<mapKeyId, TtlValue>`) or the canonical one (an array of `[mapKey, TtlValue]`).
 */
export function dropExpired(kind: StateKind, ttl: number, stored: unknown, now: number): unknown {
  switch (kind) {
    case 'VALUE':
    case 'REDUCING':
    case 'AGGREGATING':
      return isExpired(stored as TtlValue<unknown>, ttl, now) ? undefined : stored;
    case 'LIST': {
      const list = stored as readonly TtlValue<unknown>[];
      const first = firstExpired(list, ttl, now);
      if (first < 0) return stored;
      const kept = list.slice(0, first);
      for (let i = first + 1; i < list.length; i++) if (!isExpired(list[i]!, ttl, now)) kept.push(list[i]!);
      return kept.length === 0 ? undefined : kept;
    }
    case 'MAP': {
      if (Array.isArray(stored)) {
        const pairs = stored as readonly (readonly [unknown, TtlValue<unknown>])[];
        const kept = pairs.filter((pair) => !isExpired(pair[1], ttl, now));
        return kept.length === pairs.length ? stored : kept.length === 0 ? undefined : kept;
      }
      const map = stored as ReadonlyMap<KeyId, TtlValue<unknown>>;
      let anyExpired = false;
      for (const entry of map.values()) {
        if (isExpired(entry, ttl, now)) {
          anyExpired = true;
          break;
        }
      }
      if (!anyExpired) return stored;
      const kept = new Map<KeyId, TtlValue<unknown>>();
      for (const [id, entry] of map) if (!isExpired(entry, ttl, now)) kept.set(id, entry);
      return kept.size === 0 ? undefined : kept;
    }
  }
}

function firstExpired(list: readonly TtlValue<unknown>[], ttl: number, now: number): number {
  for (let i = 0; i < list.length; i++) if (isExpired(list[i]!, ttl, now)) return i;
  return -1;
}

/**
 * The RocksDB backend's equivalent of Flink's TTL compaction filter, for one state: `filter`
 * returns a stored value without its expired parts, or undefined when the key is to be deleted.
 * The clock is read once per `queryTimeAfterNumEntries` values, as the strategy asks.
 */
export class TtlCompactionFilter {
  private now = 0;
  private untilQuery = 0;

  constructor(
    private readonly kind: StateKind,
    private readonly ttl: number,
    private readonly queryTimeAfterNumEntries: number,
    private readonly time: TtlTimeProvider,
  ) {}

  filter(stored: unknown): unknown {
    if (this.untilQuery-- <= 0) {
      this.now = this.time.now();
      this.untilQuery = this.queryTimeAfterNumEntries - 1;
    }
    return dropExpired(this.kind, this.ttl, stored, this.now);
  }
}

/**
 * The compaction filter of a state registered with `ttlConfig`, or undefined when the state has
 * no time-to-live or its config has no RocksDB compaction cleanup (not set, and background
 * cleanup disabled).
 */
export function ttlCompactionFilterFor(kind: StateKind, ttlConfig: StateTtlConfig | undefined, time: TtlTimeProvider): TtlCompactionFilter | undefined {
  if (ttlConfig === undefined || !ttlConfig.isEnabled()) return undefined;
  const strategy = ttlConfig.getCleanupStrategies().getRocksdbCompactFilterCleanupStrategy();
  return strategy === undefined ? undefined : new TtlCompactionFilter(kind, ttlConfig.getTtl(), strategy.getQueryTimeAfterNumEntries(), time);
}

/**
 * Throws the {@link StateRestoreError} for restoring state `stateName` written with a
 * time-to-live into a state without one, or the reverse; does nothing when both agree. Flink
 * refuses the same change (it would be a state migration): the stored values have another form.
 */
export function checkTtlCompatibility(stateName: string, writtenWithTtl: boolean, registeredWithTtl: boolean): void {
  if (writtenWithTtl === registeredWithTtl) return;
  throw new StateRestoreError(
    writtenWithTtl
      ? `State '${stateName}' was written with a time-to-live (its values carry last-access timestamps) but is registered without one: ` +
          `enable a time-to-live on its descriptor again (descriptor.enableTimeToLive(StateTtlConfig.newBuilder(ms).build())), or give the state a new name to start it empty.`
      : `State '${stateName}' was written without a time-to-live but is registered with one: ` +
          `remove enableTimeToLive(...) from its descriptor to restore it, or give the state a new name to start it empty with a time-to-live.`,
    stateName,
  );
}

/** Throws a {@link StateRestoreError} unless `value` is a `[value, lastAccessTimestamp]` pair. */
export function expectTtlValue(value: unknown, what: string, stateName: string): TtlValue<unknown> {
  if (!Array.isArray(value) || value.length !== 2 || typeof value[1] !== 'number' || !Number.isFinite(value[1])) {
    throw new StateRestoreError(`Malformed snapshot: ${what} of time-to-live state '${stateName}' is not a [value, lastAccessTimestamp] pair.`, stateName);
  }
  return value as TtlValue<unknown>;
}
