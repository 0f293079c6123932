/**
 * Keyed state objects of the heap backend. Each is bound once to its table (and so to the
 * backend's key context) and then serves every key: a read is one array index and two Map
 * lookups, a write the same plus a set; nothing is allocated per access except what the user's
 * own values need (a new list on a key's first add, a Map on a key's first put).
 */
import type { AggregateFunction, AnyStateDescriptor } from './descriptors.js';
import { InvalidStateValueError, NoCurrentKeyError } from './errors.js';
import type { KeyContext } from './key-context.js';
import { keyIdentity, type KeyId } from './key-identity.js';
import { entriesOf, keysOf, putAllInto } from './map-views.js';
import type { AggregatingState, ListState, MapState, MergingState, ReducingState, State, StateKind, StringKeyedRecord, ValueState } from './state.js';
import type { StateStorage } from './state-storage.js';
import type { StateTtlConfig } from './ttl/config.js';
import { TtlAggregatingState, TtlListState, TtlMapState, TtlReducingState, ttlAggregateFunction, ttlReduceFunction, ttlSettingsFor, TtlValueState } from './ttl/ttl-states.js';
import type { TtlValue } from './ttl/ttl-value.js';

const EMPTY_LIST: readonly never[] = Object.freeze([]);
const EMPTY_MAP: ReadonlyMap<KeyId, never> = new Map<KeyId, never>();

export class HeapValueState<T> implements ValueState<T> {
  constructor(
    private readonly table: StateStorage<T>,
    private readonly defaultValue: T | undefined,
  ) {}

  value(): T | undefined {
    const v = this.table.get();
    return v === undefined ? this.defaultValue : v;
  }

  update(value: T | undefined): void {
    if (value === undefined) this.table.remove();
    else this.table.put(value);
  }

  clear(): void {
    this.table.remove();
  }
}

/** Moves the current key's values of `sources` namespaces into `target`, combining with `merge`. */
function mergeNamespacesOf<V>(table: StateStorage<V>, ctx: KeyContext, target: unknown, sources: readonly unknown[], merge: (a: V, b: V) => V): void {
  const index = ctx.keyGroupIndex;
  if (index < 0) throw new NoCurrentKeyError(`Merging namespaces of state '${table.name}'`);
  const keyId = ctx.keyId;
  const targetId = keyIdentity(target, 'namespace');
  let merged = table.getAt(index, targetId, keyId);
  for (const source of sources) {
    const sourceId = keyIdentity(source, 'namespace');
    if (sourceId === targetId) continue;
    const value = table.getAt(index, sourceId, keyId);
    if (value === undefined) continue;
    table.removeAt(index, sourceId, keyId);
    merged = merged === undefined ? value : merge(merged, value);
  }
  if (merged !== undefined) table.putAt(index, targetId, keyId, merged);
}

function concatLists<T>(a: T[], b: T[]): T[] {
  for (const v of b) a.push(v);
  return a;
}

export class HeapListState<T> implements ListState<T>, MergingState {
  constructor(
    private readonly table: StateStorage<T[]>,
    private readonly ctx: KeyContext,
  ) {}

  get(): readonly T[] {
    return this.table.get() ?? EMPTY_LIST;
  }

  add(value: T): void {
    if (value === undefined) throw this.undefinedElement();
    const list = this.table.get();
    if (list === undefined) this.table.put([value]);
    else list.push(value);
  }

  addAll(values: Iterable<T>): void {
    const added = this.copyOf(values);
    if (added.length === 0) return;
    const list = this.table.get();
    if (list === undefined) this.table.put(added);
    else for (const v of added) list.push(v);
  }

  update(values: Iterable<T>): void {
    const list = this.copyOf(values);
    if (list.length === 0) this.table.remove();
    else this.table.put(list);
  }

  clear(): void {
    this.table.remove();
  }

  mergeNamespaces(target: unknown, sources: readonly unknown[]): void {
    mergeNamespacesOf(this.table, this.ctx, target, sources, concatLists);
  }

  private copyOf(values: Iterable<T>): T[] {
    const list = Array.from(values);
    for (const v of list) if (v === undefined) throw this.undefinedElement();
    return list;
  }

  private undefinedElement(): InvalidStateValueError {
    return new InvalidStateValueError(`List state '${this.table.name}' cannot hold undefined elements.`, this.table.name);
  }
}

export class HeapMapState<K, V> implements MapState<K, V> {
  constructor(
    private readonly table: StateStorage<Map<KeyId, V>>,
    private readonly ctx: KeyContext,
  ) {}

  get(key: K): V | undefined {
    const map = this.table.get();
    return map === undefined ? undefined : map.get(keyIdentity(key, 'map key'));
  }

  put(key: K, value: V): void {
    const id = keyIdentity(key, 'map key');
    const keys = this.table.keyMapForWrite();
    const keyId = this.ctx.keyId;
    let map = keys.get(keyId);
    if (map === undefined) {
      map = new Map();
      keys.set(keyId, map);
    }
    map.set(id, value);
  }

  putAll(entries: ReadonlyMap<K, V> | StringKeyedRecord<K, V>): void {
    const keys = this.table.keyMapForWrite();
    const keyId = this.ctx.keyId;
    let map = keys.get(keyId);
    if (map === undefined) {
      map = new Map();
      keys.set(keyId, map);
    }
    putAllInto(map, entries);
    if (map.size === 0) this.table.remove();
  }

  remove(key: K): void {
    const map = this.table.get();
    if (map === undefined) return;
    map.delete(keyIdentity(key, 'map key'));
    if (map.size === 0) this.table.remove();
  }

  contains(key: K): boolean {
    const map = this.table.get();
    return map !== undefined && map.has(keyIdentity(key, 'map key'));
  }

  entries(): IterableIterator<[K, V]> {
    return entriesOf<K, V>(this.table.get() ?? EMPTY_MAP);
  }

  keys(): IterableIterator<K> {
    return keysOf<K>(this.table.get() ?? EMPTY_MAP);
  }

  values(): IterableIterator<V> {
    return (this.table.get() ?? EMPTY_MAP).values();
  }

  isEmpty(): boolean {
    const map = this.table.get();
    return map === undefined || map.size === 0;
  }

  clear(): void {
    this.table.remove();
  }
}

export class HeapReducingState<T> implements ReducingState<T>, MergingState {
  private readonly merge = (a: T, b: T): T => this.reduceFunction.reduce(a, b);

  constructor(
    private readonly table: StateStorage<T>,
    private readonly ctx: KeyContext,
    private readonly reduceFunction: { reduce(a: T, b: T): T },
  ) {}

  get(): T | undefined {
    return this.table.get();
  }

  add(value: T): void {
    const keys = this.table.keyMapForWrite();
    const keyId = this.ctx.keyId;
    const current = keys.get(keyId);
    keys.set(keyId, current === undefined ? value : this.reduceFunction.reduce(current, value));
  }

  clear(): void {
    this.table.remove();
  }

  mergeNamespaces(target: unknown, sources: readonly unknown[]): void {
    mergeNamespacesOf(this.table, this.ctx, target, sources, this.merge);
  }
}

export class HeapAggregatingState<IN, ACC, OUT> implements AggregatingState<IN, OUT>, MergingState {
  private readonly merge = (a: ACC, b: ACC): ACC => this.aggregateFunction.merge(a, b);

  constructor(
    private readonly table: StateStorage<ACC>,
    private readonly ctx: KeyContext,
    private readonly aggregateFunction: AggregateFunction<IN, ACC, OUT>,
  ) {}

  get(): OUT | undefined {
    const accumulator = this.table.get();
    return accumulator === undefined ? undefined : this.aggregateFunction.getResult(accumulator);
  }

  add(value: IN): void {
    const keys = this.table.keyMapForWrite();
    const keyId = this.ctx.keyId;
    const current = keys.get(keyId);
    keys.set(keyId, this.aggregateFunction.add(value, current === undefined ? this.aggregateFunction.createAccumulator() : current));
  }

  clear(): void {
    this.table.remove();
  }

  mergeNamespaces(target: unknown, sources: readonly unknown[]): void {
    mergeNamespacesOf(this.table, this.ctx, target, sources, this.merge);
  }
}

/**
 * Where a backend keeps one state's values: `storageFor(name, kind, ttl)`. `ttl` is the state's
 * time-to-live config when it has one: the stored values are then `[value, timestamp]` pairs
 * (ttl/ttl-value.ts), which the storage's snapshots mark and its restores check.
 */
export type StorageFor = <V>(name: string, kind: StateKind, ttl?: StateTtlConfig) => StateStorage<V>;

/**
 * The state object for `descriptor` over the storage `storageFor` gives: what every keyed
 * backend hands out, whichever storage keeps the values. A descriptor with a time-to-live gets
 * the TTL decorator over the plain state (ttl/ttl-states.ts), reading time from
 * `ctx.ttlTimeProvider`; `onEveryRecord`, if the backend passes it, registers a function the
 * backend then calls once per record (per key selected): TTL's per-record incremental cleanup.
 */
export function createKeyedState(descriptor: AnyStateDescriptor, ctx: KeyContext, storageFor: StorageFor, onEveryRecord?: (run: () => void) => void): State {
  const ttl = descriptor.getTtlConfig();
  if (ttl.isEnabled()) return createTtlState(descriptor, ttl, ctx, storageFor, onEveryRecord);
  switch (descriptor.kind) {
    case 'VALUE':
      return new HeapValueState(storageFor(descriptor.name, descriptor.kind), descriptor.defaultValue);
    case 'LIST':
      return new HeapListState(storageFor<unknown[]>(descriptor.name, descriptor.kind), ctx);
    case 'MAP':
      return new HeapMapState(storageFor<Map<KeyId, unknown>>(descriptor.name, descriptor.kind), ctx);
    case 'REDUCING':
      return new HeapReducingState(storageFor(descriptor.name, descriptor.kind), ctx, descriptor.reduceFunction);
    case 'AGGREGATING':
      return new HeapAggregatingState(storageFor(descriptor.name, descriptor.kind), ctx, descriptor.aggregateFunction);
  }
}

/** The TTL decorator of `descriptor`'s kind over a plain state of `[value, timestamp]` pairs. */
function createTtlState(descriptor: AnyStateDescriptor, ttl: StateTtlConfig, ctx: KeyContext, storageFor: StorageFor, onEveryRecord: ((run: () => void) => void) | undefined): State {
  const { name, kind } = descriptor;
  switch (descriptor.kind) {
    case 'VALUE': {
      const storage = storageFor<TtlValue<unknown>>(name, kind, ttl);
      const settings = ttlSettingsFor(ttl, kind, storage, ctx.ttlTimeProvider, onEveryRecord);
      return new TtlValueState(new HeapValueState(storage, undefined), storage, descriptor.defaultValue, settings);
    }
    case 'LIST': {
      const storage = storageFor<TtlValue<unknown>[]>(name, kind, ttl);
      const settings = ttlSettingsFor(ttl, kind, storage, ctx.ttlTimeProvider, onEveryRecord);
      return new TtlListState(new HeapListState(storage, ctx), storage, settings);
    }
    case 'MAP': {
      const storage = storageFor<Map<KeyId, TtlValue<unknown>>>(name, kind, ttl);
      const settings = ttlSettingsFor(ttl, kind, storage, ctx.ttlTimeProvider, onEveryRecord);
      return new TtlMapState(new HeapMapState(storage, ctx), storage, settings);
    }
    case 'REDUCING': {
      const storage = storageFor<TtlValue<unknown>>(name, kind, ttl);
      const settings = ttlSettingsFor(ttl, kind, storage, ctx.ttlTimeProvider, onEveryRecord);
      return new TtlReducingState(new HeapReducingState(storage, ctx, ttlReduceFunction(descriptor.reduceFunction, settings)), storage, settings);
    }
    case 'AGGREGATING': {
      const storage = storageFor<TtlValue<unknown>>(name, kind, ttl);
      const settings = ttlSettingsFor(ttl, kind, storage, ctx.ttlTimeProvider, onEveryRecord);
      const fn = descriptor.aggregateFunction;
      return new TtlAggregatingState(new HeapAggregatingState(storage, ctx, ttlAggregateFunction(fn, settings)), storage, fn, settings);
    }
  }
}
