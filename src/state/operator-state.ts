/**
 * Operator (non-keyed) state: state of the subtask itself, e.g. a source's offsets. Three kinds,
 * named by how they are redistributed when the operator's parallelism changes on restore:
 *
 * - list state (`SPLIT_DISTRIBUTE`): the subtasks' lists are concatenated in subtask order and the
 *   whole is split again into contiguous, even parts (the first subtasks get one more element
 *   when it does not divide); at unchanged parallelism every subtask keeps its own list;
 * - union list state (`UNION`): every subtask gets the concatenation of all lists, and is expected
 *   to keep what it needs (with the union written back, the next restore would see it repeated);
 * - broadcast state (`BROADCAST`): a map that is the same on every subtask; each new subtask gets
 *   a copy of one old subtask's map.
 */
import type { ListStateDescriptor, MapStateDescriptor } from './descriptors.js';
import { InvalidParallelismError, InvalidStateValueError, StateKindMismatchError, StateRestoreError } from './errors.js';
import { decodeKeyId, keyIdentity, type KeyId } from './key-identity.js';
import { entriesOf, keysOf, putAllInto } from './map-views.js';
import { copyingStateOf, copyValue, expectArray, expectRecord } from './snapshot.js';
import type { BroadcastState, ListState, StringKeyedRecord } from './state.js';

export type OperatorStateMode = 'SPLIT_DISTRIBUTE' | 'UNION' | 'BROADCAST';

export const OPERATOR_STATE_SNAPSHOT_VERSION = 1;

export type OperatorStateSnapshotState =
  | { readonly name: string; readonly mode: 'SPLIT_DISTRIBUTE' | 'UNION'; readonly elements: readonly unknown[] }
  | { readonly name: string; readonly mode: 'BROADCAST'; readonly entries: readonly (readonly [unknown, unknown])[] };

/** The operator state of one subtask, plain data. */
export interface OperatorStateSnapshot {
  readonly version: number;
  readonly states: readonly OperatorStateSnapshotState[];
}

class OperatorListState<T> implements ListState<T> {
  items: T[] = [];

  constructor(
    readonly name: string,
    readonly mode: 'SPLIT_DISTRIBUTE' | 'UNION',
  ) {}

  get(): readonly T[] {
    return this.items;
  }

  add(value: T): void {
    if (value === undefined) throw this.undefinedElement();
    this.items.push(value);
  }

  addAll(values: Iterable<T>): void {
    for (const v of this.checked(values)) this.items.push(v);
  }

  update(values: Iterable<T>): void {
    this.items = this.checked(values);
  }

  clear(): void {
    this.items = [];
  }

  private checked(values: Iterable<T>): T[] {
    const list = Array.from(values);
    if (list.includes(undefined as T)) throw this.undefinedElement();
    return list;
  }

  private undefinedElement(): InvalidStateValueError {
    return new InvalidStateValueError(`Operator list state '${this.name}' cannot hold undefined elements.`, this.name);
  }
}

class HeapBroadcastState<K, V> implements BroadcastState<K, V> {
  readonly map = new Map<KeyId, V>();

  constructor(readonly name: string) {}

  get(key: K): V | undefined {
    return this.map.get(keyIdentity(key, 'map key'));
  }

  put(key: K, value: V): void {
    this.map.set(keyIdentity(key, 'map key'), value);
  }

  putAll(entries: ReadonlyMap<K, V> | StringKeyedRecord<K, V>): void {
    putAllInto(this.map, entries);
  }

  remove(key: K): void {
    this.map.delete(keyIdentity(key, 'map key'));
  }

  contains(key: K): boolean {
    return this.map.has(keyIdentity(key, 'map key'));
  }

  entries(): IterableIterator<[K, V]> {
    return entriesOf<K, V>(this.map);
  }

  keys(): IterableIterator<K> {
    return keysOf<K>(this.map);
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  isEmpty(): boolean {
    return this.map.size === 0;
  }

  clear(): void {
    this.map.clear();
  }
}

type OperatorState = OperatorListState<unknown> | HeapBroadcastState<unknown, unknown>;

function modeOf(state: OperatorState): OperatorStateMode {
  return state instanceof HeapBroadcastState ? 'BROADCAST' : state.mode;
}

/** The operator state of one subtask: list, union list and broadcast states by name. */
export class OperatorStateBackend {
  private readonly states = new Map<string, OperatorState>();

  /** A list state redistributed evenly on rescale. */
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T> {
    return this.listState<T>(descriptor.name, 'SPLIT_DISTRIBUTE');
  }

  /** A list state of which every subtask gets the union of all subtasks' lists on restore. */
  getUnionListState<T>(descriptor: ListStateDescriptor<T>): ListState<T> {
    return this.listState<T>(descriptor.name, 'UNION');
  }

  /** A map replicated on every subtask (the broadcast state pattern). */
  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): BroadcastState<K, V> {
    return this.broadcastState<K, V>(descriptor.name);
  }

  getRegisteredStateNames(): string[] {
    return [...this.states.keys()];
  }

  /** Deep copies of every state (restored ones not yet asked for included). */
  snapshot(): OperatorStateSnapshot {
    const states: OperatorStateSnapshotState[] = [];
    for (const state of this.states.values()) {
      states.push(
        copyingStateOf(state.name, (): OperatorStateSnapshotState => {
          if (state instanceof HeapBroadcastState) {
            return { name: state.name, mode: 'BROADCAST', entries: Array.from(state.map, ([id, v]): [unknown, unknown] => [decodeKeyId(id), copyValue(v)]) };
          }
          return { name: state.name, mode: state.mode, elements: copyValue(state.items) };
        }),
      );
    }
    return { version: OPERATOR_STATE_SNAPSHOT_VERSION, states };
  }

  /**
   * Loads one subtask's share, as `redistributeOperatorState` computed it; replaces the content of
   * states of the same name. `undefined` (nothing to restore) is allowed.
   */
  restore(snapshot: OperatorStateSnapshot | undefined): void {
    if (snapshot === undefined) return;
    for (const state of statesOf(snapshot)) {
      if (state.mode === 'BROADCAST') {
        const target = this.broadcastState<unknown, unknown>(state.name);
        target.clear();
        for (const [k, v] of state.entries) target.put(k, copyValue(v));
      } else {
        this.listState<unknown>(state.name, state.mode).update(copyValue(state.elements));
      }
    }
  }

  dispose(): void {
    this.states.clear();
  }

  private broadcastState<K, V>(name: string): HeapBroadcastState<K, V> {
    const existing = this.states.get(name);
    if (existing === undefined) {
      const created = new HeapBroadcastState<unknown, unknown>(name);
      this.states.set(name, created);
      return created as HeapBroadcastState<K, V>;
    }
    if (!(existing instanceof HeapBroadcastState)) throw new StateKindMismatchError(name, modeOf(existing), 'BROADCAST');
    return existing as HeapBroadcastState<K, V>;
  }

  private listState<T>(name: string, mode: 'SPLIT_DISTRIBUTE' | 'UNION'): ListState<T> {
    const existing = this.states.get(name);
    if (existing === undefined) {
      const created = new OperatorListState<unknown>(name, mode);
      this.states.set(name, created);
      return created as OperatorListState<T>;
    }
    const existingMode = modeOf(existing);
    if (existingMode !== mode || !(existing instanceof OperatorListState)) throw new StateKindMismatchError(name, existingMode, mode);
    return existing as OperatorListState<T>;
  }
}

/**
 * Each new subtask's operator state after a change of parallelism (or a plain restore at the same
 * one), by the rules in this module's header. `snapshots[i]` is old subtask i's, or undefined if
 * it had none. A pure function: the result shares element values with the input (restore copies).
 */
export function redistributeOperatorState(snapshots: readonly (OperatorStateSnapshot | undefined)[], newParallelism: number): OperatorStateSnapshot[] {
  if (!Number.isInteger(newParallelism) || newParallelism < 1) {
    throw new InvalidParallelismError(`The new parallelism must be a positive integer, got ${newParallelism}.`, newParallelism, undefined);
  }
  const oldParallelism = snapshots.length;
  const result: OperatorStateSnapshotState[][] = Array.from({ length: newParallelism }, () => []);

  // Per state name, in first-seen order: each old subtask's part (undefined where it has none).
  const byName = new Map<string, (OperatorStateSnapshotState | undefined)[]>();
  snapshots.forEach((snapshot, subtask) => {
    if (snapshot === undefined) return;
    for (const state of statesOf(snapshot)) {
      let parts = byName.get(state.name);
      if (parts === undefined) {
        parts = new Array<OperatorStateSnapshotState | undefined>(oldParallelism).fill(undefined);
        byName.set(state.name, parts);
      }
      const other = parts.find((p) => p !== undefined);
      if (other !== undefined && other.mode !== state.mode) throw new StateKindMismatchError(state.name, other.mode, state.mode);
      parts[subtask] = state;
    }
  });

  for (const [name, parts] of byName) {
    const present = parts.filter((p): p is OperatorStateSnapshotState => p !== undefined);
    const mode = (present[0] as OperatorStateSnapshotState).mode;
    if (mode === 'BROADCAST') {
      for (let i = 0; i < newParallelism; i++) {
        const own = oldParallelism === newParallelism ? parts[i] : undefined;
        result[i]?.push(own ?? (present[i % present.length] as OperatorStateSnapshotState));
      }
      continue;
    }
    const elementsOf = (p: OperatorStateSnapshotState | undefined): readonly unknown[] => (p !== undefined && p.mode !== 'BROADCAST' ? p.elements : []);
    if (mode === 'UNION') {
      const union = parts.flatMap(elementsOf);
      for (const states of result) states.push({ name, mode, elements: union });
      continue;
    }
    if (oldParallelism === newParallelism) {
      parts.forEach((p, i) => result[i]?.push({ name, mode, elements: elementsOf(p) }));
      continue;
    }
    const all = parts.flatMap(elementsOf);
    const base = Math.floor(all.length / newParallelism);
    const remainder = all.length % newParallelism;
    let offset = 0;
    for (let i = 0; i < newParallelism; i++) {
      const count = base + (i < remainder ? 1 : 0);
      result[i]?.push({ name, mode, elements: all.slice(offset, offset + count) });
      offset += count;
    }
  }
  return result.map((states) => ({ version: OPERATOR_STATE_SNAPSHOT_VERSION, states }));
}

/** The states of a snapshot, checked for shape. */
function statesOf(snapshot: OperatorStateSnapshot): OperatorStateSnapshotState[] {
  const record = expectRecord(snapshot, 'an operator state snapshot', undefined);
  if (record['version'] !== OPERATOR_STATE_SNAPSHOT_VERSION) {
    throw new StateRestoreError(`Operator state snapshot version ${String(record['version'])} is not supported (expected ${OPERATOR_STATE_SNAPSHOT_VERSION}).`, undefined);
  }
  return expectArray(record['states'], 'the states of an operator snapshot', undefined).map((raw) => {
    const state = expectRecord(raw, 'an operator state', undefined);
    const name = state['name'];
    if (typeof name !== 'string' || name.length === 0) throw new StateRestoreError('Malformed snapshot: an operator state has no name.', undefined);
    const mode = state['mode'];
    if (mode === 'BROADCAST') {
      const entries = expectArray(state['entries'], `the entries of broadcast state '${name}'`, name).map((e) => {
        const [k, v] = expectArray(e, `an entry of broadcast state '${name}'`, name);
        return [k, v] as const;
      });
      return { name, mode, entries };
    }
    if (mode === 'SPLIT_DISTRIBUTE' || mode === 'UNION') return { name, mode, elements: expectArray(state['elements'], `the elements of list state '${name}'`, name) };
    throw new StateRestoreError(`Malformed snapshot: operator state '${name}' has unknown mode ${String(mode)}.`, name);
  });
}
