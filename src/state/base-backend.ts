/**
 * What the heap and RocksDB keyed backends share: the key context (current key, key group and
 * namespace), the typed state getters over `getPartitionedState`, the timer services, and the
 * loop that applies a function to stored keys. How values are stored, snapshotted and restored
 * is each backend's own.
 */
import type { AggregatingStateDescriptor, AnyStateDescriptor, ListStateDescriptor, MapStateDescriptor, ReducingStateDescriptor, StateDescriptor, ValueStateDescriptor } from './descriptors.js';
import { NoCurrentKeyError, UnknownStateError } from './errors.js';
import { VOID_NAMESPACE, type KeyContext, type VoidNamespace } from './key-context.js';
import { checkKeyGroupRange, KeyGroupRange, type KeyGroupRangeData } from './key-groups.js';
import { decodeKeyId, keyIdentity, type KeyId } from './key-identity.js';
import type { KeyedStateBackend } from './keyed-backend.js';
import type { DeferredKeyedSnapshot, KeyedStateHandle, KeyedStateSnapshot } from './snapshot.js';
import type { AggregatingState, KeyedStateFunction, ListState, MapState, ReducingState, State, StateKind, ValueState } from './state.js';
import { InternalTimerService, type TimerStores } from './timers.js';

export abstract class BaseKeyedStateBackend<K, C extends KeyContext = KeyContext> implements KeyedStateBackend<K> {
  readonly keyGroupRange: KeyGroupRange;
  protected readonly ctx: C;
  /** The state objects by name: one per name, the first descriptor decides its kind and functions. */
  protected readonly states = new Map<string, State>();
  protected readonly timerServices = new Map<string, InternalTimerService<K, unknown>>();

  protected constructor(
    keyGroupRange: KeyGroupRangeData,
    readonly maxParallelism: number,
    context: (range: KeyGroupRange) => C,
  ) {
    this.keyGroupRange = keyGroupRange instanceof KeyGroupRange ? keyGroupRange : KeyGroupRange.from(keyGroupRange);
    checkKeyGroupRange(this.keyGroupRange, maxParallelism);
    this.ctx = context(this.keyGroupRange);
  }

  /** A new state object for `descriptor` (createKeyedState over the backend's storage). */
  protected abstract createState(descriptor: AnyStateDescriptor): State;
  /** The storage of state `name`, created if new; throws if it exists with another kind. */
  protected abstract tableFor(name: string, kind: StateKind): unknown;
  abstract getRegisteredStateNames(): string[];
  abstract keys(stateName: string, namespace?: unknown): IterableIterator<K>;
  /**
   * The key groups and keys with a value of state `stateName` in `namespaceId`, in a form that
   * changes to the state while they are gone through do not disturb.
   * @throws UnknownStateError when there is no such state.
   */
  protected abstract storedKeys(stateName: string, namespaceId: KeyId): Iterable<{ index: number; keyId: KeyId }>;
  abstract numKeyValueStateEntries(stateName?: string): number;
  abstract snapshot(): KeyedStateSnapshot | DeferredKeyedSnapshot;
  abstract restore(snapshots: readonly KeyedStateHandle[]): void;
  abstract dispose(): void;

  /**
   * One state object per name: the first descriptor of a name decides its default, function and
   * time-to-live; a later one of another kind is refused.
   */
  getPartitionedState<S extends State>(descriptor: StateDescriptor<S>): S {
    const existing = this.states.get(descriptor.name);
    if (existing !== undefined) {
      this.tableFor(descriptor.name, descriptor.kind);
      return existing as S;
    }
    const created = this.createState(descriptor as unknown as AnyStateDescriptor);
    this.states.set(descriptor.name, created);
    return created as S;
  }

  setCurrentKey(key: K): void {
    this.ctx.setKey(key);
  }

  getCurrentKey(): K {
    if (this.ctx.keyGroupIndex < 0) throw new NoCurrentKeyError('getCurrentKey');
    return this.ctx.key as K;
  }

  getCurrentKeyGroupIndex(): number {
    return this.ctx.keyGroup;
  }

  setCurrentNamespace(namespace: unknown): void {
    this.ctx.setNamespace(namespace);
  }

  getCurrentNamespace(): unknown {
    return this.ctx.namespace;
  }

  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T> {
    return this.getPartitionedState(descriptor);
  }

  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T> {
    return this.getPartitionedState(descriptor);
  }

  getMapState<UK, UV>(descriptor: MapStateDescriptor<UK, UV>): MapState<UK, UV> {
    return this.getPartitionedState(descriptor);
  }

  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T> {
    return this.getPartitionedState(descriptor);
  }

  getAggregatingState<IN, ACC, OUT>(descriptor: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT> {
    return this.getPartitionedState(descriptor);
  }

  getInternalTimerService<N = VoidNamespace>(name: string): InternalTimerService<K, N> {
    let service = this.timerServices.get(name);
    if (service === undefined) {
      service = new InternalTimerService<K, unknown>(name, this.ctx, this.timerStores(name));
      this.timerServices.set(name, service);
    }
    // A service's namespace type is the caller's promise; timers store namespaces as given.
    return service as InternalTimerService<K, unknown> as InternalTimerService<K, N>;
  }

  /** Where the timers of a new timer service go: heap queues unless a backend keeps them itself. */
  protected timerStores(_name: string): TimerStores | undefined {
    return undefined;
  }

  applyToAllKeys<S extends State>(descriptor: StateDescriptor<S>, fn: KeyedStateFunction<K, S>, namespace?: unknown): void;
  applyToAllKeys(stateName: string, fn: KeyedStateFunction<K, State>, namespace?: unknown): void;
  /** Calls `fn` with each stored key of the state as the current key, then puts the key context back as it was. */
  applyToAllKeys(target: string | StateDescriptor<State>, fn: KeyedStateFunction<K, State>, namespace: unknown = VOID_NAMESPACE): void {
    const name = typeof target === 'string' ? target : target.name;
    const state = typeof target === 'string' ? this.states.get(target) : this.getPartitionedState(target);
    if (state === undefined) throw new UnknownStateError(name);
    const namespaceId = keyIdentity(namespace, 'namespace');
    const keys = this.storedKeys(name, namespaceId);
    const ctx = this.ctx;
    const saved = { key: ctx.key, keyId: ctx.keyId, index: ctx.keyGroupIndex, namespace: ctx.namespace, namespaceId: ctx.namespaceId };
    try {
      ctx.setResolvedNamespace(decodeKeyId(namespaceId), namespaceId);
      for (const { index, keyId } of keys) {
        const key = decodeKeyId(keyId) as K;
        ctx.setResolvedKey(key, keyId, index);
        if (typeof fn === 'function') fn(key, state);
        else fn.process(key, state);
      }
    } finally {
      ctx.setResolvedKey(saved.key, saved.keyId, saved.index);
      ctx.setResolvedNamespace(saved.namespace, saved.namespaceId);
    }
  }
}
