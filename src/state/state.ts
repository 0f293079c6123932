/**
 * The state a user function sees, with Flink's interface names and methods. Every state object is
 * scoped: keyed state reads and writes the entry of the backend's current key (and namespace),
 * which the runtime sets before each record and timer; operator state is the subtask's own.
 *
 * Values are held by reference on the heap backend, as in Flink's heap backend: a value object
 * mutated after `update` is mutated in state too. Keep state values plain data (what CBOR
 * encodes: primitives, arrays, plain objects, Maps, Dates, typed arrays): snapshots copy them
 * with `structuredClone`, which keeps no class prototypes and cannot copy functions.
 */

/** Flink's `StateDescriptor.Type` names for the kinds of keyed state. */
export type StateKind = 'VALUE' | 'LIST' | 'MAP' | 'REDUCING' | 'AGGREGATING';

/** Every state can be cleared for the current key (and namespace). */
export interface State {
  /** Removes the value of the current key; reads then see the default or nothing. */
  clear(): void;
}

/** One value per key. */
export interface ValueState<T> extends State {
  /** The current key's value; the descriptor's default value when none was set. */
  value(): T | undefined;
  /** Replaces the value; `undefined` clears it (like Flink's `update(null)`). */
  update(value: T | undefined): void;
}

/** A state that values are added to, and read back as one result. */
export interface AppendingState<IN, OUT> extends State {
  get(): OUT;
  add(value: IN): void;
}

/**
 * A list per key. `get()` returns a read-only *view* of the stored list, not a copy: it costs no
 * allocation, reflects later `add`s to the same key, and must not be kept past the next write if a
 * stable copy is wanted (`[...state.get()]`). An empty or cleared list reads as `[]`.
 * Elements may be any value but `undefined` (Flink rejects null elements the same way).
 */
export interface ListState<T> extends AppendingState<T, readonly T[]> {
  addAll(values: Iterable<T>): void;
  /** Replaces the whole list with a copy of `values`; an empty `values` clears it. */
  update(values: Iterable<T>): void;
}

/**
 * A map per key. Map keys follow the rules of keyed-state keys: primitives, or arrays and plain
 * objects compared by content (two equal tuples are one map key); composite keys read back as
 * equal copies. Iterators are live views: they see changes made while iterating, as Map's do.
 */
export interface MapState<K, V> extends State {
  get(key: K): V | undefined;
  put(key: K, value: V): void;
  /** Puts every entry of a Map, or of a record when the map's keys are strings. */
  putAll(entries: ReadonlyMap<K, V> | StringKeyedRecord<K, V>): void;
  remove(key: K): void;
  contains(key: K): boolean;
  entries(): IterableIterator<[K, V]>;
  keys(): IterableIterator<K>;
  values(): IterableIterator<V>;
  isEmpty(): boolean;
}

/** A record form of map entries, allowed only when the map's keys are strings. */
export type StringKeyedRecord<K, V> = [K] extends [string] ? Readonly<Record<K, V>> : never;

/** Values added are combined at once with the descriptor's reduce function. */
export interface ReducingState<T> extends AppendingState<T, T | undefined> {}

/** Values added are folded into an accumulator; `get()` is the function's result for it. */
export interface AggregatingState<IN, OUT> extends AppendingState<IN, OUT | undefined> {}

/** The state of a broadcast stream, the same on every subtask: a map. */
export type BroadcastState<K, V> = MapState<K, V>;

/**
 * Merging windows fold the state of several namespaces (windows) into one; list, reducing and
 * aggregating state can do so (Flink's `InternalMergingState`). For the current key.
 */
export interface MergingState {
  mergeNamespaces(target: unknown, sources: readonly unknown[]): void;
}

/** What `applyToAllKeys` calls for every key: a function or an object with `process`. */
export type KeyedStateFunction<K, S extends State> = ((key: K, state: S) => void) | { process(key: K, state: S): void };
