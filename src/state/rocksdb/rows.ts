/**
 * How the RocksDB backend lays out keyed state: ONE row per key, holding every state and
 * namespace of that key.
 *
 *     row key:   [key group: 2 bytes, big-endian] [CBOR of the key's identity]
 *     row value: CBOR [stateId, namespaceId, value, stateId, namespaceId, value, ...]
 *
 * The key-group prefix keeps each key group contiguous and in order, so a subtask's range is
 * one key range, a snapshot iterates key group by key group, and rescaling reads ranges. A row
 * per key (Flink has a row per state entry) is what lets a task read everything one record
 * needs with one multi-get per input batch: RocksDB is asynchronous in Node, while keyed state
 * is synchronous per record, so a batch's keys are read before the batch runs. A key's state
 * must therefore fit in memory, which a value of RocksDB's own sort also must.
 *
 * State ids are indexes into the state names kept in the meta row (key `ff ff`, above every
 * key group), so rows stay small and a state keeps its id for the life of the database.
 * Identities (key-identity.ts) are encoded as they are, bigints as `[digits]` (CBOR would
 * turn a small one into a number, another key).
 */
import { decode, encode } from '../../net/codec.js';
import type { KeyId } from '../key-identity.js';
import type { StateKind } from '../state.js';

export const META_ROW_KEY = Uint8Array.of(0xff, 0xff);

export function encodeId(id: KeyId): unknown {
  return typeof id === 'bigint' ? [id.toString()] : id;
}

export function decodeId(raw: unknown): KeyId {
  if (Array.isArray(raw)) return BigInt(raw[0] as string);
  return raw as KeyId;
}

export function rowKey(keyGroup: number, keyId: KeyId): Uint8Array {
  const id = encode(encodeId(keyId));
  const key = new Uint8Array(2 + id.byteLength);
  key[0] = keyGroup >> 8;
  key[1] = keyGroup & 0xff;
  key.set(id, 2);
  return key;
}

export function decodeRowKey(key: Uint8Array): { keyGroup: number; keyId: KeyId } {
  return { keyGroup: (key[0]! << 8) | key[1]!, keyId: decodeId(decode(key.subarray(2))) };
}

/** The row keys of key groups `start` to `end` (inclusive): `[gte, lt)`. */
export function keyGroupBounds(start: number, end: number): [Uint8Array, Uint8Array] {
  return [Uint8Array.of(start >> 8, start & 0xff), Uint8Array.of((end + 1) >> 8, (end + 1) & 0xff)];
}

/** A value as a row stores it: map state's Map of map-key ids as `[id, value]` pairs. */
export function storedValue(kind: StateKind, value: unknown): unknown {
  if (kind !== 'MAP') return value;
  const pairs: unknown[] = [];
  for (const [id, v] of value as Map<KeyId, unknown>) pairs.push([encodeId(id), v]);
  return pairs;
}

export function liveValue(kind: StateKind, stored: unknown): unknown {
  if (kind !== 'MAP') return stored;
  const map = new Map<KeyId, unknown>();
  for (const [id, v] of stored as [unknown, unknown][]) map.set(decodeId(id), v);
  return map;
}

/** The meta row: the states, in id order. */
export interface MetaRow {
  readonly version: 1;
  readonly states: ReadonlyArray<{ readonly name: string; readonly kind: StateKind; readonly ttl?: boolean }>;
}

export function encodeRow(triples: readonly unknown[]): Uint8Array {
  return new Uint8Array(encode(triples));
}

export function decodeRow(bytes: Uint8Array): unknown[] {
  const value = decode(bytes);
  if (!Array.isArray(value) || value.length % 3 !== 0) throw new Error('a RocksDB state row is not a list of (state, namespace, value) triples');
  return value;
}
