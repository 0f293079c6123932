/**
 * The `hashmap` keyed state backend: state on the JavaScript heap, one table per state name,
 * partitioned by key group (see StateTable). A snapshot copies nothing when it is taken: each
 * key group is encoded once, when the checkpoint's writer gets to it or when the task first
 * touches it afterwards, whichever comes first (StateTable.snapshot). Timers are copied.
 *
 * State with a time-to-live is the TTL decorator over the same tables (createKeyedState); the
 * tables mark its snapshots and leave expired entries out of them when asked, and restore checks
 * that a state keeps having, or keeps not having, a time-to-live.
 */
import type { AnyStateDescriptor } from './descriptors.js';
import { StateKindMismatchError, StateRestoreError, UnknownStateError } from './errors.js';
import { createKeyedState } from './heap-states.js';
import { KeyContext, VOID_NAMESPACE } from './key-context.js';
import { assignToKeyGroup, type KeyGroupRangeData } from './key-groups.js';
import { decodeKeyId, keyIdentity, type KeyId } from './key-identity.js';
import { BaseKeyedStateBackend } from './base-backend.js';
import {
  copyValue,
  expectArray,
  expectKeyedSnapshot,
  expectRecord,
  keyGroupsInRange,
  KEYED_STATE_SNAPSHOT_VERSION,
  type KeyedStateHandle,
  type KeyedStateSnapshot,
  type KeyedStateSnapshotState,
  type TimerServiceSnapshot,
} from './snapshot.js';
import type { State, StateKind } from './state.js';
import { StateTable } from './state-table.js';
import type { StateTtlConfig } from './ttl/config.js';
import { checkTtlCompatibility, expectTtlValue, type TtlTimeProvider } from './ttl/ttl-value.js';

const STATE_KINDS: readonly StateKind[] = ['VALUE', 'LIST', 'MAP', 'REDUCING', 'AGGREGATING'];

export interface HeapKeyedStateBackendOptions {
  /** The clock of state time-to-live (processing time); the wall clock by default. */
  readonly ttlTimeProvider?: TtlTimeProvider;
}

export class HeapKeyedStateBackend<K = unknown> extends BaseKeyedStateBackend<K> {
  private readonly tables = new Map<string, StateTable<unknown>>();
  /** TTL incremental cleanups to run once per record (`runCleanupForEveryRecord`). */
  private readonly perRecordCleanups: (() => void)[] = [];

  constructor(keyGroupRange: KeyGroupRangeData, maxParallelism: number, options: HeapKeyedStateBackendOptions = {}) {
    super(keyGroupRange, maxParallelism, (range) => new KeyContext(range, maxParallelism, options.ttlTimeProvider));
  }

  getRegisteredStateNames(): string[] {
    return [...this.tables.keys()];
  }

  keys(stateName: string, namespace: unknown = VOID_NAMESPACE): IterableIterator<K> {
    const table = this.tables.get(stateName);
    if (table === undefined) throw new UnknownStateError(stateName);
    return keysOfTable<K>(table, keyIdentity(namespace, 'namespace'));
  }

  /** Collected first: `applyToAllKeys`' function may clear or add entries, which must not disturb it. */
  protected storedKeys(stateName: string, namespaceId: KeyId): { index: number; keyId: KeyId }[] {
    const table = this.tables.get(stateName);
    if (table === undefined) throw new UnknownStateError(stateName);
    const found: { index: number; keyId: KeyId }[] = [];
    table.groups.forEach((namespaces, index) => {
      const keys = namespaces?.get(namespaceId);
      if (keys !== undefined) for (const keyId of keys.keys()) found.push({ index, keyId });
    });
    return found;
  }


  numKeyValueStateEntries(stateName?: string): number {
    if (stateName !== undefined) {
      const table = this.tables.get(stateName);
      if (table === undefined) throw new UnknownStateError(stateName);
      return table.size();
    }
    let n = 0;
    for (const table of this.tables.values()) n += table.size();
    return n;
  }

  snapshot(): KeyedStateSnapshot {
    const states: KeyedStateSnapshotState[] = [];
    for (const table of this.tables.values()) states.push(table.snapshot(this.keyGroupRange.startKeyGroup));
    const timers: TimerServiceSnapshot[] = [];
    for (const service of this.timerServices.values()) timers.push(service.snapshot());
    return {
      version: KEYED_STATE_SNAPSHOT_VERSION,
      maxParallelism: this.maxParallelism,
      keyGroupRange: this.keyGroupRange.toData(),
      states,
      timers,
    };
  }

  restore(snapshots: readonly KeyedStateHandle[]): void {
    const restoredGroups = new Map<string, Set<number>>();
    for (const raw of snapshots) {
      const snapshot = expectKeyedSnapshot(raw, this.maxParallelism);
      for (const state of expectArray(snapshot['states'], 'the states of a keyed snapshot', undefined)) this.restoreState(state, restoredGroups);
      for (const timers of expectArray(snapshot['timers'], 'the timers of a keyed snapshot', undefined)) this.restoreTimers(timers);
    }
  }

  dispose(): void {
    for (const table of this.tables.values()) table.clearAll();
    for (const service of this.timerServices.values()) service.clear();
    this.ctx.reset();
  }

  protected createState(descriptor: AnyStateDescriptor): State {
    return createKeyedState(
      descriptor,
      this.ctx,
      <V>(name: string, kind: StateKind, ttl?: StateTtlConfig) => this.tableForNewState<V>(name, kind, ttl),
      (run) => this.runForEveryRecord(run),
    );
  }

  /** The table of a state being registered; one restored must agree on having a time-to-live. */
  private tableForNewState<V>(name: string, kind: StateKind, ttl: StateTtlConfig | undefined): StateTable<V> {
    const restored = this.tables.has(name);
    const table = this.tableFor<V>(name, kind);
    if (restored) checkTtlCompatibility(name, table.ttl, ttl !== undefined);
    table.ttl = ttl !== undefined;
    table.ttlConfig = ttl;
    return table;
  }

  /**
   * Calls `run` after every `setCurrentKey` (once per record). The method is replaced on this
   * instance only when the first such cleanup registers, so a backend without one pays nothing.
   */
  private runForEveryRecord(run: () => void): void {
    const runs = this.perRecordCleanups;
    runs.push(run);
    if (runs.length > 1) return;
    const ctx = this.ctx;
    this.setCurrentKey = (key: K): void => {
      ctx.setKey(key);
      for (let i = 0; i < runs.length; i++) runs[i]!();
    };
  }

  /** The table of `name`, created if new; throws if it exists with another kind. */
  protected tableFor<V>(name: string, kind: StateKind): StateTable<V> {
    let table = this.tables.get(name);
    if (table === undefined) {
      table = new StateTable<unknown>(name, kind, this.ctx);
      this.tables.set(name, table);
    } else if (table.kind !== kind) {
      throw new StateKindMismatchError(name, table.kind, kind);
    }
    // Values are stored as the state object of this kind put them; the table only keeps them.
    return table as StateTable<V>;
  }

  private restoreState(raw: unknown, restoredGroups: Map<string, Set<number>>): void {
    const state = expectRecord(raw, 'a state of a keyed snapshot', undefined);
    const name = state['name'];
    const kind = state['kind'];
    if (typeof name !== 'string' || name.length === 0) throw new StateRestoreError('Malformed snapshot: a state has no name.', undefined);
    if (!STATE_KINDS.includes(kind as StateKind)) throw new StateRestoreError(`Malformed snapshot: state '${name}' has unknown kind ${String(kind)}.`, name);
    const ttl = state['ttl'] ?? false;
    if (typeof ttl !== 'boolean') throw new StateRestoreError(`Malformed snapshot: the ttl flag of state '${name}' is ${String(ttl)}, not true or false.`, name);
    const existing = this.tables.get(name);
    const table = this.tableFor<unknown>(name, kind as StateKind);
    if (existing === undefined) table.ttl = ttl;
    else if (this.states.has(name)) checkTtlCompatibility(name, ttl, table.ttl);
    else if (existing.ttl !== ttl) {
      throw new StateRestoreError(`State '${name}' has a time-to-live in some of the snapshots restored and none in others: restore snapshots of one job version.`, name);
    }
    let seen = restoredGroups.get(name);
    if (seen === undefined) {
      seen = new Set();
      restoredGroups.set(name, seen);
    }
    const start = this.keyGroupRange.startKeyGroup;
    for (const { keyGroup, group } of keyGroupsInRange(state, name, this.maxParallelism, this.keyGroupRange, seen)) {
      for (const rawEntry of expectArray(group['entries'], `the entries of key group ${keyGroup} of state '${name}'`, name)) {
        const [key, namespace, value] = expectArray(rawEntry, `an entry of state '${name}'`, name);
        if (assignToKeyGroup(key, this.maxParallelism) !== keyGroup) {
          throw new StateRestoreError(
            `An entry of state '${name}' is filed under key group ${keyGroup} but its key hashes to another: the snapshot was written with another key hash.`,
            name,
          );
        }
        const restored = ttl ? restoreTtlValue(table.kind, value, name) : restoreValue(table.kind, value, name);
        if (restored === undefined) continue;
        table.putAt(keyGroup - start, keyIdentity(namespace, 'namespace'), keyIdentity(key, 'key'), restored);
      }
    }
  }

  private restoreTimers(raw: unknown): void {
    const timers = expectRecord(raw, 'a timer service snapshot', undefined);
    const name = timers['name'];
    if (typeof name !== 'string') throw new StateRestoreError('Malformed snapshot: a timer service has no name.', undefined);
    // Created now if the operator has not asked for it yet: it picks the timers up when it does,
    // and they stay in later snapshots even if it never does, as Flink keeps unused state.
    this.getInternalTimerService<unknown>(name).restore(raw as TimerServiceSnapshot);
  }
}

function* keysOfTable<K>(table: StateTable<unknown>, namespaceId: KeyId): Generator<K, undefined, undefined> {
  for (const namespaces of table.groups) {
    const keys = namespaces?.get(namespaceId);
    if (keys === undefined) continue;
    for (const keyId of keys.keys()) yield decodeKeyId(keyId) as K;
  }
  return undefined;
}

/**
 * A stored value from its canonical form, deep-copied so snapshot and backend share nothing;
 * undefined for an empty one, which the live state would not have stored either.
 */
export function restoreValue(kind: StateKind, value: unknown, name: string): unknown {
  switch (kind) {
    case 'LIST': {
      const list = expectArray(value, `a value of list state '${name}'`, name);
      if (list.includes(undefined)) throw new StateRestoreError(`Malformed snapshot: list state '${name}' holds an undefined element.`, name);
      return list.length === 0 ? undefined : copyValue(list);
    }
    case 'MAP': {
      const map = new Map<KeyId, unknown>();
      for (const pair of expectArray(value, `a value of map state '${name}'`, name)) {
        const [k, v] = expectArray(pair, `an entry of map state '${name}'`, name);
        map.set(keyIdentity(k, 'map key'), copyValue(v));
      }
      return map.size === 0 ? undefined : map;
    }
    default:
      return copyValue(value);
  }
}

/** {@link restoreValue} for state with a time-to-live: values stand as `[value, timestamp]` pairs. */
export function restoreTtlValue(kind: StateKind, value: unknown, name: string): unknown {
  switch (kind) {
    case 'LIST': {
      const list = expectArray(value, `a value of list state '${name}'`, name);
      for (const element of list) {
        if (expectTtlValue(element, 'an element', name)[0] === undefined) throw new StateRestoreError(`Malformed snapshot: list state '${name}' holds an undefined element.`, name);
      }
      return list.length === 0 ? undefined : copyValue(list);
    }
    case 'MAP': {
      const map = new Map<KeyId, unknown>();
      for (const pair of expectArray(value, `a value of map state '${name}'`, name)) {
        const [k, v] = expectArray(pair, `an entry of map state '${name}'`, name);
        map.set(keyIdentity(k, 'map key'), copyValue(expectTtlValue(v, 'a map value', name)));
      }
      return map.size === 0 ? undefined : map;
    }
    default:
      return copyValue(expectTtlValue(value, 'a value', name));
  }
}
