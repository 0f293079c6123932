/**
 * Iteration and bulk insertion over Maps keyed by key identities (map state, broadcast state):
 * composite keys are decoded back to equal copies as they are iterated, primitives pass through.
 */
import { decodeKeyId, keyIdentity, type KeyId } from './key-identity.js';
import type { StringKeyedRecord } from './state.js';

export function* entriesOf<K, V>(map: ReadonlyMap<KeyId, V>): Generator<[K, V], undefined, undefined> {
  for (const [id, value] of map) yield [decodeKeyId(id) as K, value];
  return undefined;
}

export function* keysOf<K>(map: ReadonlyMap<KeyId, unknown>): Generator<K, undefined, undefined> {
  for (const id of map.keys()) yield decodeKeyId(id) as K;
  return undefined;
}

function isMap<K, V>(entries: ReadonlyMap<K, V> | object): entries is ReadonlyMap<K, V> {
  return entries instanceof Map;
}

/** Puts a Map's entries, or a string-keyed record's own enumerable properties, into `target`. */
export function putAllInto<K, V>(target: Map<KeyId, V>, entries: ReadonlyMap<K, V> | StringKeyedRecord<K, V>): void {
  if (isMap(entries)) {
    for (const [key, value] of entries) target.set(keyIdentity(key, 'map key'), value);
    return;
  }
  const record: Readonly<Record<string, V>> = entries;
  for (const name of Object.keys(record)) target.set(keyIdentity(name, 'map key'), record[name] as V);
}
