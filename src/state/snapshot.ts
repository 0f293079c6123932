/**
 * The canonical, backend-independent form of keyed state and timers in a checkpoint or savepoint:
 * plain data only (arrays, plain objects, primitives — what CBOR encodes), grouped by key group
 * so that a subtask with another key-group range can pick out its part. The heap backend writes it
 * and reads it; the RocksDB backend is to write and read the same form, which is what lets a
 * savepoint move between backends and parallelisms.
 *
 * Values per kind: VALUE, REDUCING — the value; AGGREGATING — the accumulator; LIST — the array
 * of elements; MAP — an array of `[mapKey, mapValue]` pairs. Keys, namespaces and map keys are
 * the user's values (composite ones as equal plain copies).
 *
 * State with a time-to-live (StateTtlConfig) is marked `ttl: true`, and wherever a value (an
 * element, a map value) stands above it stands as `[value, lastAccessTimestamp]` (milliseconds of
 * processing time): VALUE, REDUCING — `[value, ts]`; AGGREGATING — `[accumulator, ts]`; LIST —
 * `[[element, ts], ...]`; MAP — `[[mapKey, [mapValue, ts]], ...]`. Timestamps are kept as written,
 * so a restored value expires when it would have. A snapshot with `ttl: true` restores only into
 * a state with a time-to-live, and one without only into a state without
 * (`checkTtlCompatibility`): the values' forms differ, and Flink refuses the change as well.
 * With `cleanupFullSnapshot`, expired values are left out (an entry whose every element or map
 * entry expired is left out whole), so a key group may come out with no entries.
 */
import { encode } from '../net/codec.js';
import { StateRestoreError, StateSnapshotError } from './errors.js';
import type { KeyGroupRangeData } from './key-groups.js';
import type { StateKind } from './state.js';

export const KEYED_STATE_SNAPSHOT_VERSION = 1;

/** One entry: a key's value in one namespace. */
export type KeyedStateEntry = readonly [key: unknown, namespace: unknown, value: unknown];

export interface KeyGroupEntries {
  readonly keyGroup: number;
  readonly entries: readonly KeyedStateEntry[];
}

/**
 * How a backend hands over a key group it encodes itself, when it must (see StateTable's
 * snapshots): the entries' CBOR bytes, encoded at most once. `entries` then decodes them.
 */
export const ENCODED_ENTRIES: unique symbol = Symbol('runnel.encodedEntries');

export interface EncodedKeyGroupEntries extends KeyGroupEntries {
  [ENCODED_ENTRIES](): Uint8Array;
}

/** The CBOR bytes of a key group's entries (a copy, never the encoder's shared buffer). */
export function encodedEntries(group: KeyGroupEntries): Uint8Array {
  const encoded = (group as Partial<EncodedKeyGroupEntries>)[ENCODED_ENTRIES];
  return encoded !== undefined ? encoded.call(group) : new Uint8Array(encode(group.entries));
}

export interface KeyedStateSnapshotState {
  readonly name: string;
  readonly kind: StateKind;
  /** True for state with a time-to-live: its values carry timestamps (see above); absent otherwise. */
  readonly ttl?: boolean;
  /** Only key groups that had entries when the snapshot was taken, ascending. */
  readonly keyGroups: readonly KeyGroupEntries[];
}

/** One registered timer. */
export type TimerEntry = readonly [timestamp: number, key: unknown, namespace: unknown];

export interface KeyGroupTimers {
  readonly keyGroup: number;
  readonly timers: readonly TimerEntry[];
}

export interface TimerServiceSnapshot {
  readonly name: string;
  readonly eventTime: readonly KeyGroupTimers[];
  readonly processingTime: readonly KeyGroupTimers[];
}

/** The keyed state and timers of one subtask of one operator. */
export interface KeyedStateSnapshot {
  readonly version: number;
  readonly maxParallelism: number;
  /** The key groups the writing subtask owned. */
  readonly keyGroupRange: KeyGroupRangeData;
  readonly states: readonly KeyedStateSnapshotState[];
  readonly timers: readonly TimerServiceSnapshot[];
}

/**
 * The keyed state of an incremental checkpoint of the RocksDB backend (`state.backend.incremental`):
 * the database's own files rather than the canonical form. SST files are shared between
 * checkpoints (uploaded once to the job's `shared/` folder, counted by the coordinator's
 * SharedStateRegistry); the rest (MANIFEST, CURRENT, OPTIONS, the write-ahead log) is the
 * checkpoint's own. Rows are a key's states by state id: `states` names the ids in order. Timers
 * are in the canonical form. Only the RocksDB backend restores it (at any parallelism: it reads
 * the rows of its key groups out of the files); savepoints are always canonical.
 *
 * Paths are absolute in memory; a state file stores them relative to its own folder.
 */
export interface IncrementalKeyedStateHandle {
  readonly format: typeof INCREMENTAL_HANDLE_FORMAT;
  readonly version: number;
  readonly maxParallelism: number;
  readonly keyGroupRange: KeyGroupRangeData;
  /** `ttl`: as in KeyedStateSnapshotState; the rows hold the stamped values. */
  readonly states: readonly { readonly name: string; readonly kind: StateKind; readonly ttl?: boolean }[];
  readonly timers: readonly TimerServiceSnapshot[];
  /** SST files: `name` in the database's folder, `path` where the checkpoint keeps it. */
  readonly sharedFiles: readonly StateFileRef[];
  readonly privateFiles: readonly StateFileRef[];
}

export interface StateFileRef {
  readonly name: string;
  readonly path: string;
}

export const INCREMENTAL_HANDLE_FORMAT = 'rocksdb-incremental';

/** Keyed state as a checkpoint holds it: canonical, or a RocksDB incremental checkpoint's files. */
export type KeyedStateHandle = KeyedStateSnapshot | IncrementalKeyedStateHandle;

export function isIncrementalHandle(snapshot: unknown): snapshot is IncrementalKeyedStateHandle {
  return typeof snapshot === 'object' && snapshot !== null && (snapshot as { format?: unknown }).format === INCREMENTAL_HANDLE_FORMAT;
}

/** Where an incremental checkpoint puts its files. */
export interface IncrementalTarget {
  readonly checkpointId: number;
  /** The checkpoint's own folder (`chk-<n>`). */
  readonly checkpointDir: string;
  /** The job's folder of shared files. */
  readonly sharedDir: string;
  /** A name for this snapshot's private files, unique within the checkpoint. */
  readonly name: string;
}

export interface IncrementalUpload {
  readonly handle: IncrementalKeyedStateHandle;
  /** Every shared file the handle references (absolute paths), uploaded now or before. */
  readonly sharedFiles: readonly string[];
  /** Those of `sharedFiles` uploaded for an earlier checkpoint and referenced again. */
  readonly reusedSharedFiles: readonly string[];
  /** Bytes written for this checkpoint (new shared files and private files). */
  readonly bytesWritten: number;
}

/** A timer service's timers as a snapshot stream hands them over: in memory, or read as they are written (once). */
export interface TimerServiceStream {
  readonly name: string;
  readonly eventTime: readonly KeyGroupTimers[] | AsyncIterable<KeyGroupTimers>;
  readonly processingTime: readonly KeyGroupTimers[] | AsyncIterable<KeyGroupTimers>;
}

/**
 * A keyed snapshot read as it is written: the header and the states' names at once, each
 * state's key groups one after another, so no more than a key group of entries need be in memory.
 */
export interface KeyedSnapshotStream extends Omit<KeyedStateSnapshot, 'states' | 'timers'> {
  readonly states: readonly { readonly name: string; readonly kind: StateKind; readonly ttl?: boolean }[];
  /** The key groups of `states[index]` that have entries, ascending; each state's may be read once. */
  keyGroups(index: number): AsyncIterable<KeyGroupEntries>;
  readonly timers: readonly TimerServiceStream[];
}

/**
 * A snapshot whose synchronous part is done (what it will hold is fixed) and whose data is read
 * later, off the synchronous path: the RocksDB backend's, read through RocksDB iterators or out
 * of a local copy of its files. `open` streams it in the canonical form (`materialize` collects
 * that); `upload`, where present, writes it as an incremental checkpoint instead. Either
 * `upload` or `discard` is called at the end, after `open` too: it releases what reading holds.
 */
export class DeferredKeyedSnapshot {
  constructor(
    readonly open: () => Promise<KeyedSnapshotStream>,
    readonly discard: () => void,
    readonly upload?: (target: IncrementalTarget) => Promise<IncrementalUpload>,
  ) {}

  /** The whole snapshot in memory (tests, small state); discards the snapshot afterwards. */
  async materialize(): Promise<KeyedStateSnapshot> {
    try {
      const stream = await this.open();
      const states: KeyedStateSnapshotState[] = [];
      for (let i = 0; i < stream.states.length; i++) {
        const keyGroups: KeyGroupEntries[] = [];
        for await (const group of stream.keyGroups(i)) keyGroups.push(group);
        states.push({ ...stream.states[i]!, keyGroups } as KeyedStateSnapshotState);
      }
      const timers: TimerServiceSnapshot[] = [];
      for (const { name, eventTime, processingTime } of stream.timers) {
        timers.push({ name, eventTime: await collect(eventTime), processingTime: await collect(processingTime) });
      }
      const { version, maxParallelism, keyGroupRange } = stream;
      return { version, maxParallelism, keyGroupRange, states, timers };
    } finally {
      this.discard();
    }
  }
}

async function collect<T>(items: readonly T[] | AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/**
 * A deep copy of a state value, so a snapshot and the live state never share mutable data:
 * primitives as they are, everything else through `structuredClone`.
 */
export function copyValue<T>(value: T): T {
  return typeof value === 'object' && value !== null ? structuredClone(value) : value;
}

/** Runs `copy` and names the state when a value cannot be copied (a function, a class with private fields...). */
export function copyingStateOf<R>(stateName: string, copy: () => R): R {
  try {
    return copy();
  } catch (error) {
    throw new StateSnapshotError(stateName, error);
  }
}

/** Throws a {@link StateRestoreError} unless `value` is an array. */
export function expectArray(value: unknown, what: string, stateName: string | undefined): readonly unknown[] {
  if (!Array.isArray(value)) throw new StateRestoreError(`Malformed snapshot: ${what} is not an array.`, stateName);
  return value;
}

/** Throws a {@link StateRestoreError} unless `value` is a non-null object. */
export function expectRecord(value: unknown, what: string, stateName: string | undefined): Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new StateRestoreError(`Malformed snapshot: ${what} is not an object.`, stateName);
  }
  return value as Readonly<Record<string, unknown>>;
}

/** Throws a {@link StateRestoreError} unless `value` is an integer key group below `maxParallelism`. */
export function expectKeyGroup(value: unknown, maxParallelism: number, stateName: string | undefined): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= maxParallelism) {
    throw new StateRestoreError(`Malformed snapshot: key group ${String(value)} is not an integer from 0 to ${maxParallelism - 1}.`, stateName);
  }
  return value;
}

/**
 * The key groups of a snapshot's state `name` that lie in `range`, each checked to be a key
 * group below `maxParallelism` and, with the key groups in `seen` (added to), restored once.
 */
export function* keyGroupsInRange(
  state: Readonly<Record<string, unknown>>,
  name: string,
  maxParallelism: number,
  range: { contains(keyGroup: number): boolean },
  seen: Set<number>,
): Generator<{ keyGroup: number; group: Readonly<Record<string, unknown>> }> {
  for (const rawGroup of expectArray(state['keyGroups'], `the key groups of state '${name}'`, name)) {
    const group = expectRecord(rawGroup, `a key group of state '${name}'`, name);
    const keyGroup = expectKeyGroup(group['keyGroup'], maxParallelism, name);
    if (!range.contains(keyGroup)) continue;
    if (seen.has(keyGroup)) {
      throw new StateRestoreError(`Key group ${keyGroup} of state '${name}' appears in two snapshots: they must come from subtasks with disjoint key groups.`, name);
    }
    seen.add(keyGroup);
    yield { keyGroup, group };
  }
}

/**
 * The snapshot as a record, once it is canonical and its version and max parallelism are this
 * backend's; a StateRestoreError otherwise.
 */
export function expectKeyedSnapshot(raw: unknown, maxParallelism: number): Readonly<Record<string, unknown>> {
  if (isIncrementalHandle(raw)) {
    throw new StateRestoreError(
      'The checkpoint holds keyed state as a RocksDB incremental checkpoint, which only the rocksdb state backend restores: ' +
        'run the job with state.backend.type: rocksdb, or take a savepoint (always canonical) and restore it to change the backend.',
      undefined,
    );
  }
  const snapshot = expectRecord(raw, 'a keyed state snapshot', undefined);
  if (snapshot['version'] !== KEYED_STATE_SNAPSHOT_VERSION) {
    throw new StateRestoreError(`Keyed state snapshot version ${String(snapshot['version'])} is not supported (expected ${KEYED_STATE_SNAPSHOT_VERSION}).`, undefined);
  }
  expectMaxParallelism(snapshot, maxParallelism);
  return snapshot;
}

/** Throws a {@link StateRestoreError} unless the snapshot was taken with `maxParallelism`. */
export function expectMaxParallelism(snapshot: Readonly<Record<string, unknown>>, maxParallelism: number): void {
  if (snapshot['maxParallelism'] !== maxParallelism) {
    throw new StateRestoreError(
      `The snapshot was taken with max parallelism ${String(snapshot['maxParallelism'])}, this job has ${maxParallelism}: ` +
        'key groups cannot be remapped, so restore with the original max parallelism (pipeline.max-parallelism).',
      undefined,
    );
  }
}
