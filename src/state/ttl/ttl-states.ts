/**
 * Keyed state with a time-to-live, as decorators over the plain state objects (Flink's
 * `TtlValueState`, `TtlListState`, ...): the inner state stores `[value, lastAccessTimestamp]`
 * pairs (ttl-value.ts) — for the whole value of value, reducing and aggregating state, per element
 * of list state, per entry of map state — and the decorator wraps on write and checks on read.
 *
 * Semantics (Flink's): every write stamps the current time; with `OnReadAndWrite` a read of a
 * live value stamps it too. A read that finds an expired value removes it and sees nothing, or
 * with `ReturnExpiredIfNotCleanedUp` sees it this once. Adding to reducing or aggregating state
 * whose value has expired starts afresh (with `ReturnExpiredIfNotCleanedUp`, folds into it).
 * List `get()` returns a new array of the live elements (not a view, unlike the plain list);
 * map iterators skip and remove expired entries as they pass them. With incremental cleanup each
 * access first checks a few more entries of the state (TtlIncrementalCleanup).
 *
 * Only states whose descriptor enables a time-to-live are built from these classes, so the
 * plain states pay nothing for TTL.
 */
import type { AggregateFunction } from '../descriptors.js';
import { InvalidStateValueError } from '../errors.js';
import { decodeKeyId, type KeyId } from '../key-identity.js';
import type { AggregatingState, AppendingState, ListState, MapState, MergingState, ReducingState, StateKind, StringKeyedRecord, ValueState } from '../state.js';
import type { StateStorage } from '../state-storage.js';
import type { StateTtlConfig } from './config.js';
import { dropExpired, isExpired, type TtlTimeProvider, type TtlValue } from './ttl-value.js';

const EMPTY_LIST: readonly never[] = Object.freeze([]);

/**
 * Heap backend's incremental cleanup of one state: each `run` checks the next `cleanupSize`
 * entries of the state's storage (going round all of them over time) and drops what expired.
 */
export class TtlIncrementalCleanup {
  private now = 0;
  private readonly drop = (value: unknown): unknown => dropExpired(this.kind, this.ttl, value, this.now);

  constructor(
    /** The storage's `transformIncrementally`, bound to it. */
    private readonly transformIncrementally: (count: number, transform: (value: unknown) => unknown) => void,
    private readonly kind: StateKind,
    private readonly ttl: number,
    private readonly time: TtlTimeProvider,
    private readonly cleanupSize: number,
  ) {}

  run(): void {
    this.now = this.time.now();
    this.transformIncrementally(this.cleanupSize, this.drop);
  }
}

/** What the TTL decorators of one state share. */
export interface TtlSettings {
  readonly ttl: number;
  readonly updateOnRead: boolean;
  readonly returnExpired: boolean;
  readonly time: TtlTimeProvider;
  readonly cleanup: TtlIncrementalCleanup | undefined;
}

/**
 * The settings of a state with `config` over `storage`. Incremental cleanup is set up when the
 * config asks for it (or defaults to it) and the storage can walk its entries (the heap's can,
 * RocksDB's cannot, as in Flink); per-record cleanup is handed to `onEveryRecord`, through which
 * the backend runs it once per record, when the backend offers it.
 */
export function ttlSettingsFor(
  config: StateTtlConfig,
  kind: StateKind,
  storage: StateStorage<unknown>,
  time: TtlTimeProvider,
  onEveryRecord: ((run: () => void) => void) | undefined,
): TtlSettings {
  const strategy = config.getCleanupStrategies().getIncrementalCleanupStrategy();
  let cleanup: TtlIncrementalCleanup | undefined;
  const transformIncrementally = storage.transformIncrementally;
  if (strategy !== undefined && transformIncrementally !== undefined) {
    cleanup = new TtlIncrementalCleanup(transformIncrementally.bind(storage), kind, config.getTtl(), time, strategy.getCleanupSize());
    if (strategy.runCleanupForEveryRecord() && onEveryRecord !== undefined) {
      const perRecord = cleanup;
      onEveryRecord(() => perRecord.run());
    }
  }
  return {
    ttl: config.getTtl(),
    updateOnRead: config.getUpdateType() === 'OnReadAndWrite',
    returnExpired: config.getStateVisibility() === 'ReturnExpiredIfNotCleanedUp',
    time,
    cleanup,
  };
}

/** What every TTL decorator reads of its settings, and the incremental cleanup run on each access. */
abstract class TtlStateBase {
  protected readonly ttl: number;
  protected readonly updateOnRead: boolean;
  protected readonly returnExpired: boolean;
  protected readonly time: TtlTimeProvider;
  private readonly cleanup: TtlIncrementalCleanup | undefined;

  constructor(settings: TtlSettings) {
    this.ttl = settings.ttl;
    this.updateOnRead = settings.updateOnRead;
    this.returnExpired = settings.returnExpired;
    this.time = settings.time;
    this.cleanup = settings.cleanup;
  }

  protected accessed(): void {
    if (this.cleanup !== undefined) this.cleanup.run();
  }
}

/**
 * The base of the decorators of whole values (value, reducing, aggregating): one
 * `[value, timestamp]` per key.
 */
abstract class TtlWholeValueState<T> extends TtlStateBase {
  constructor(
    protected readonly storage: StateStorage<TtlValue<T>>,
    settings: TtlSettings,
  ) {
    super(settings);
  }

  /** The current key's pair as a read sees it (see the module comment); removes it if expired. */
  protected read(): TtlValue<T> | undefined {
    const entry = this.storage.get();
    if (entry === undefined) return undefined;
    const now = this.time.now();
    if (isExpired(entry, this.ttl, now)) {
      this.storage.remove();
      return this.returnExpired ? entry : undefined;
    }
    // In place: the storage took a read as a possible write (state-storage.ts).
    if (this.updateOnRead) entry[1] = now;
    return entry;
  }

  clear(): void {
    this.accessed();
    this.storage.remove();
  }
}

export class TtlValueState<T> extends TtlWholeValueState<T> implements ValueState<T> {
  constructor(
    private readonly original: ValueState<TtlValue<T>>,
    storage: StateStorage<TtlValue<T>>,
    private readonly defaultValue: T | undefined,
    settings: TtlSettings,
  ) {
    super(storage, settings);
  }

  value(): T | undefined {
    this.accessed();
    const entry = this.read();
    return entry === undefined ? this.defaultValue : entry[0];
  }

  update(value: T | undefined): void {
    this.accessed();
    this.original.update(value === undefined ? undefined : [value, this.time.now()]);
  }
}

/**
 * Reducing state over an inner reducing state of pairs whose function is {@link ttlReduceFunction}.
 */
export class TtlReducingState<T> extends TtlWholeValueState<T> implements ReducingState<T>, MergingState {
  constructor(
    private readonly original: AppendingState<TtlValue<T>, unknown> & MergingState,
    storage: StateStorage<TtlValue<T>>,
    settings: TtlSettings,
  ) {
    super(storage, settings);
  }

  get(): T | undefined {
    this.accessed();
    return this.read()?.[0];
  }

  add(value: T): void {
    this.accessed();
    this.original.add([value, this.time.now()]);
  }

  mergeNamespaces(target: unknown, sources: readonly unknown[]): void {
    this.accessed();
    this.original.mergeNamespaces(target, sources);
  }
}

/** Aggregating state over an inner aggregating state whose function is {@link ttlAggregateFunction}. */
export class TtlAggregatingState<IN, ACC, OUT> extends TtlWholeValueState<ACC> implements AggregatingState<IN, OUT>, MergingState {
  constructor(
    private readonly original: AppendingState<IN, unknown> & MergingState,
    storage: StateStorage<TtlValue<ACC>>,
    private readonly aggregateFunction: AggregateFunction<IN, ACC, OUT>,
    settings: TtlSettings,
  ) {
    super(storage, settings);
  }

  get(): OUT | undefined {
    this.accessed();
    const entry = this.read();
    return entry === undefined ? undefined : this.aggregateFunction.getResult(entry[0]);
  }

  add(value: IN): void {
    this.accessed();
    this.original.add(value);
  }

  mergeNamespaces(target: unknown, sources: readonly unknown[]): void {
    this.accessed();
    this.original.mergeNamespaces(target, sources);
  }
}

/** Whether a stored pair still counts at `now`: live, or expired but visible by configuration. */
function usable(entry: TtlValue<unknown>, settings: TtlSettings, now: number): boolean {
  return settings.returnExpired || !isExpired(entry, settings.ttl, now);
}

/**
 * Combines two stamped pairs into the first usable one, stamped now: both usable are combined
 * with `combine`; an expired pair (unless visible by configuration) takes no part.
 */
function combinePairs<T>(a: TtlValue<T>, b: TtlValue<T>, settings: TtlSettings, combine: (x: T, y: T) => T): TtlValue<T> {
  const now = settings.time.now();
  const useB = usable(b, settings, now);
  if (usable(a, settings, now)) {
    if (useB) a[0] = combine(a[0], b[0]);
    a[1] = now;
    return a;
  }
  if (useB) b[1] = now;
  return b;
}

/**
 * The reduce function of a TTL reducing state's inner state: reduces the user values of two
 * pairs stamped now; an expired pair (unless visible by configuration) takes no part. The first
 * pair is updated in place: it is the stored one, which the inner state has just read.
 */
export function ttlReduceFunction<T>(reduceFunction: { reduce(a: T, b: T): T }, settings: TtlSettings): { reduce(a: TtlValue<T>, b: TtlValue<T>): TtlValue<T> } {
  return {
    reduce: (a: TtlValue<T>, b: TtlValue<T>): TtlValue<T> => combinePairs(a, b, settings, (x, y) => reduceFunction.reduce(x, y)),
  };
}

/**
 * The aggregate function of a TTL aggregating state's inner state: accumulators are pairs; an
 * expired accumulator (unless visible by configuration) is replaced by a new one when added to
 * and takes no part in a merge. Adding updates the stored pair in place.
 */
export function ttlAggregateFunction<IN, ACC, OUT>(fn: AggregateFunction<IN, ACC, OUT>, settings: TtlSettings): AggregateFunction<IN, TtlValue<ACC>, OUT> {
  return {
    createAccumulator: (): TtlValue<ACC> => [fn.createAccumulator(), settings.time.now()],
    add(value: IN, accumulator: TtlValue<ACC>): TtlValue<ACC> {
      const now = settings.time.now();
      accumulator[0] = fn.add(value, usable(accumulator, settings, now) ? accumulator[0] : fn.createAccumulator());
      accumulator[1] = now;
      return accumulator;
    },
    getResult: (accumulator: TtlValue<ACC>): OUT => fn.getResult(accumulator[0]),
    merge: (a: TtlValue<ACC>, b: TtlValue<ACC>): TtlValue<ACC> => combinePairs(a, b, settings, (x, y) => fn.merge(x, y)),
  };
}

/** List state whose elements expire one by one. */
export class TtlListState<T> extends TtlStateBase implements ListState<T>, MergingState {
  constructor(
    private readonly original: ListState<TtlValue<T>> & MergingState,
    private readonly storage: StateStorage<TtlValue<T>[]>,
    settings: TtlSettings,
  ) {
    super(settings);
  }

  /** A new array of the live elements (and expired ones, if visible); expired ones are removed. */
  get(): readonly T[] {
    this.accessed();
    const list = this.storage.get();
    if (list === undefined) return EMPTY_LIST;
    const now = this.time.now();
    const out: T[] = [];
    let anyExpired = false;
    for (const entry of list) {
      if (isExpired(entry, this.ttl, now)) {
        anyExpired = true;
        if (this.returnExpired) out.push(entry[0]);
      } else {
        if (this.updateOnRead) entry[1] = now;
        out.push(entry[0]);
      }
    }
    if (anyExpired) {
      const kept = dropExpired('LIST', this.ttl, list, now) as TtlValue<T>[] | undefined;
      if (kept === undefined) this.storage.remove();
      else this.storage.put(kept);
    }
    return out;
  }

  add(value: T): void {
    this.accessed();
    if (value === undefined) throw this.undefinedElement();
    this.original.add([value, this.time.now()]);
  }

  addAll(values: Iterable<T>): void {
    this.accessed();
    this.original.addAll(this.stamped(values));
  }

  update(values: Iterable<T>): void {
    this.accessed();
    this.original.update(this.stamped(values));
  }

  clear(): void {
    this.accessed();
    this.original.clear();
  }

  mergeNamespaces(target: unknown, sources: readonly unknown[]): void {
    this.accessed();
    this.original.mergeNamespaces(target, sources);
  }


  private stamped(values: Iterable<T>): TtlValue<T>[] {
    const now = this.time.now();
    const list: TtlValue<T>[] = [];
    for (const value of values) {
      if (value === undefined) throw this.undefinedElement();
      list.push([value, now]);
    }
    return list;
  }

  private undefinedElement(): InvalidStateValueError {
    return new InvalidStateValueError(`List state '${this.storage.name}' cannot hold undefined elements.`, this.storage.name);
  }
}

/** Map state whose entries expire one by one. */
export class TtlMapState<K, V> extends TtlStateBase implements MapState<K, V> {
  constructor(
    private readonly original: MapState<K, TtlValue<V>>,
    private readonly storage: StateStorage<Map<KeyId, TtlValue<V>>>,
    settings: TtlSettings,
  ) {
    super(settings);
  }

  get(key: K): V | undefined {
    this.accessed();
    return this.read(key)?.[0];
  }

  put(key: K, value: V): void {
    this.accessed();
    this.original.put(key, [value, this.time.now()]);
  }

  putAll(entries: ReadonlyMap<K, V> | StringKeyedRecord<K, V>): void {
    this.accessed();
    const now = this.time.now();
    if (entries instanceof Map) {
      for (const [key, value] of entries as ReadonlyMap<K, V>) this.original.put(key, [value, now]);
      return;
    }
    const record = entries as Readonly<Record<string, V>>;
    for (const name of Object.keys(record)) this.original.put(name as K, [record[name] as V, now]);
  }

  remove(key: K): void {
    this.accessed();
    this.original.remove(key);
  }

  contains(key: K): boolean {
    this.accessed();
    return this.read(key) !== undefined;
  }

  entries(): IterableIterator<[K, V]> {
    this.accessed();
    return mapIterator(this.live(), (id, entry): [K, V] => [decodeKeyId(id) as K, entry[0]]);
  }

  keys(): IterableIterator<K> {
    this.accessed();
    return mapIterator(this.live(), (id) => decodeKeyId(id) as K);
  }

  values(): IterableIterator<V> {
    this.accessed();
    return mapIterator(this.live(), (_id, entry) => entry[0]);
  }

  isEmpty(): boolean {
    this.accessed();
    return this.live().next().done === true;
  }

  clear(): void {
    this.accessed();
    this.original.clear();
  }


  /** One entry's pair as a read sees it; removed if expired. */
  private read(key: K): TtlValue<V> | undefined {
    const entry = this.original.get(key);
    if (entry === undefined) return undefined;
    const now = this.time.now();
    if (isExpired(entry, this.ttl, now)) {
      this.original.remove(key);
      return this.returnExpired ? entry : undefined;
    }
    if (this.updateOnRead) entry[1] = now;
    return entry;
  }

  /**
   * The current key's entries as reads see them, removing expired ones as it passes them. The
   * map and the time are taken now, not on the first `next()`: the current key may change by then.
   */
  private live(): Generator<[KeyId, TtlValue<V>], undefined, undefined> {
    return liveEntries(this.storage, this.storage.get(), this.time.now(), this.ttl, this.updateOnRead, this.returnExpired);
  }
}

function* liveEntries<V>(
  storage: StateStorage<Map<KeyId, TtlValue<V>>>,
  map: Map<KeyId, TtlValue<V>> | undefined,
  now: number,
  ttl: number,
  updateOnRead: boolean,
  returnExpired: boolean,
): Generator<[KeyId, TtlValue<V>], undefined, undefined> {
  if (map === undefined) return undefined;
  for (const [id, entry] of map) {
    if (isExpired(entry, ttl, now)) {
      map.delete(id);
      // The last entry gone: drop the key's map as the plain map state does (still current if
      // the iteration runs within the record, as the live iterators of map state should).
      if (map.size === 0 && storage.get() === map) storage.remove();
      if (returnExpired) yield [id, entry];
      continue;
    }
    if (updateOnRead) entry[1] = now;
    yield [id, entry];
  }
  return undefined;
}

function* mapIterator<V, R>(entries: Iterator<[KeyId, TtlValue<V>]>, project: (id: KeyId, entry: TtlValue<V>) => R): Generator<R, undefined, undefined> {
  for (let next = entries.next(); next.done !== true; next = entries.next()) yield project(next.value[0], next.value[1]);
  return undefined;
}
