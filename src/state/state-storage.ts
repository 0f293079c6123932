/**
 * Where a keyed state's values live, as the state objects (heap-states.ts) see it: one stored
 * value per (key group, namespace, key), read and written for the backend's current key and
 * namespace or at explicit coordinates. The heap backend's StateTable keeps the values in Maps;
 * the RocksDB backend's table keeps them in its cache of resident keys over RocksDB.
 *
 * Values are held by reference: a state object may change a stored value in place (a list's
 * push, a map's set) after reading it, so a storage that writes values elsewhere must treat a
 * read as a possible write.
 */
import type { KeyId } from './key-identity.js';
import type { StateKind } from './state.js';

/** The current key's value in the current namespace, for read-modify-write in one lookup. */
export interface CurrentKeySlot<V> {
  get(keyId: KeyId): V | undefined;
  set(keyId: KeyId, value: V): unknown;
}

export interface StateStorage<V> {
  readonly name: string;
  readonly kind: StateKind;
  /** The current key's value in the current namespace. */
  get(): V | undefined;
  put(value: V): void;
  remove(): void;
  /**
   * For read-modify-write of the current key in the current namespace: `get`/`set` with the
   * current key's id (any other id is a bug of the caller).
   */
  keyMapForWrite(): CurrentKeySlot<V>;
  getAt(keyGroupIndex: number, namespaceId: KeyId, keyId: KeyId): V | undefined;
  putAt(keyGroupIndex: number, namespaceId: KeyId, keyId: KeyId, value: V): void;
  removeAt(keyGroupIndex: number, namespaceId: KeyId, keyId: KeyId): void;
  /**
   * Optional; what TTL's incremental cleanup walks (the heap's tables have it, as in Flink).
   * Passes up to `count` stored values, resuming where the previous call stopped and going round
   * all entries over time, to `transform`, and stores what it returns in a value's place (the
   * same object: nothing to do), or removes the entry when it returns undefined.
   */
  transformIncrementally?(count: number, transform: (value: V) => V | undefined): void;
}
