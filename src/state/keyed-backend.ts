/**
 * What a keyed operator's runtime needs from a keyed state backend, whatever stores the state
 * (heap now, RocksDB next). Everything is synchronous and runs on the task's thread.
 *
 * Per record: `setCurrentKey(key)` once — it computes the key group and the key's identity —
 * then any number of state accesses, which reuse them. Windows additionally set a namespace
 * (the window) before touching window-scoped state; other state lives in `VOID_NAMESPACE`.
 */
import type { AggregatingStateDescriptor, ListStateDescriptor, MapStateDescriptor, ReducingStateDescriptor, StateDescriptor, ValueStateDescriptor } from './descriptors.js';
import type { VoidNamespace } from './key-context.js';
import type { KeyGroupRange } from './key-groups.js';
import type { DeferredKeyedSnapshot, KeyedStateHandle, KeyedStateSnapshot } from './snapshot.js';
import type { AggregatingState, KeyedStateFunction, ListState, MapState, ReducingState, State, ValueState } from './state.js';
import type { InternalTimerService } from './timers.js';

/** Flink's `KeyedStateStore`: what a rich function's runtime context hands out. */
export interface KeyedStateStore {
  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>;
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
  getMapState<UK, UV>(descriptor: MapStateDescriptor<UK, UV>): MapState<UK, UV>;
  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T>;
  getAggregatingState<IN, ACC, OUT>(descriptor: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT>;
}

export interface KeyedStateBackend<K = unknown> extends KeyedStateStore {
  readonly keyGroupRange: KeyGroupRange;
  readonly maxParallelism: number;

  /**
   * Makes `key` current for every state and timer of this backend. Throws
   * `KeyGroupOutOfRangeError` when the key's group is not this backend's (a partitioning bug),
   * `UnsupportedKeyError` for a key with no stable identity.
   */
  setCurrentKey(key: K): void;
  /** The current key; throws `NoCurrentKeyError` when none is set. */
  getCurrentKey(): K;
  /** The current key's key group, or -1 when no key is set. */
  getCurrentKeyGroupIndex(): number;
  /** Scopes state (and new timers) to `namespace` until changed; `VOID_NAMESPACE` by default. */
  setCurrentNamespace(namespace: unknown): void;
  getCurrentNamespace(): unknown;

  /** The state for `descriptor`, of whichever kind it describes. */
  getPartitionedState<S extends State>(descriptor: StateDescriptor<S>): S;
  getRegisteredStateNames(): string[];
  /** The keys that have a value of state `stateName` in `namespace` (default void). */
  keys(stateName: string, namespace?: unknown): IterableIterator<K>;
  /**
   * Calls `fn(key, state)` for every key with a value of the state in `namespace`, with that key
   * current; keys are collected first, so `fn` may update or clear. Restores the current key and
   * namespace afterwards. A state name works for states already obtained with a descriptor.
   */
  applyToAllKeys<S extends State>(descriptor: StateDescriptor<S>, fn: KeyedStateFunction<K, S>, namespace?: unknown): void;
  applyToAllKeys(stateName: string, fn: KeyedStateFunction<K, State>, namespace?: unknown): void;
  /** Number of (key, namespace) entries, of one state or of all. */
  numKeyValueStateEntries(stateName?: string): number;

  /** The timer service `name`, created on first use; its timers are part of this backend's snapshot. */
  getInternalTimerService<N = VoidNamespace>(name: string): InternalTimerService<K, N>;

  /**
   * Every state and timer in the canonical plain-data form, as they are now: at once, or
   * deferred, read later while the task goes on (see the implementations for the cost). A
   * deferred snapshot may also be written as an incremental checkpoint.
   */
  snapshot(): KeyedStateSnapshot | DeferredKeyedSnapshot;
  /**
   * Loads the key groups of this backend's range from snapshots of any number of old subtasks
   * (all taken with the same max parallelism); other key groups are skipped. Call before use.
   * Only the RocksDB backend restores incremental handles; the heap backend refuses them.
   */
  restore(snapshots: readonly KeyedStateHandle[]): void;
  /** The checkpoint completed everywhere: an incremental backend may reuse its files. */
  notifyCheckpointComplete?(checkpointId: number): void;
  /** The checkpoint was given up. */
  notifyCheckpointAborted?(checkpointId: number): void;
  /** Drops all state and timers. */
  dispose(): void;
}
