/**
 * The `rocksdb` keyed state backend: keyed state in a RocksDB instance per task (rows.ts), with
 * the keys in use resident on the heap.
 *
 * A key is resident once read: its row decoded into a ResidentKey holding all its states'
 * values, which the state objects (heap-states.ts) then read and change synchronously. Before
 * an input batch the task calls `prefetch` with the batch's records, which reads every missing
 * key with one multi-get; before timers fire, the backend does the same for their keys. A key
 * still missing when touched (another key's state read through `getAt`) is read on its own.
 * Changed keys are written back in one batch write when the backend flushes: at a checkpoint,
 * and before it evicts keys to stay within `residentKeys` (a CLOCK sweep: a key used since the
 * last sweep is kept). So memory is bounded by the resident keys, not by the state.
 *
 * A read counts as a change (state objects change values in place: a list's add reads the list
 * and pushes), so a key is written back once it was touched, read or written.
 *
 * Timers are rows too (timers.ts), the earliest of each key group cached in memory; before
 * timers fire, the keys of those cached are read as one batch, and those read later from
 * RocksDB as they come. With `timerService: 'HEAP'` they are on the heap instead, as with the
 * heap backend (Flink's `state.backend.rocksdb.timer-service.factory`).
 *
 * Snapshots: the full snapshot is the canonical form of snapshot.ts, read through RocksDB
 * iterators over the range (state rows, and each timer domain's rows) after a flush, while the
 * task goes on; timers on the heap are copied.
 *
 * Incremental checkpoints (`incremental`): after the flush, the worker copies the database as
 * it is into a local folder (SST files hard-linked: RocksDB never changes one). A checkpoint
 * then uploads only the SST files that the last checkpoint known complete did not have, into
 * the job's `shared/` folder, and references the others again; the small mutable files go into
 * the checkpoint's own folder (IncrementalKeyedStateHandle). A savepoint reads the same local
 * copy in the canonical form. A restore at the same key groups links the files into the
 * database's folder; at another parallelism it opens each old subtask's files as a database of
 * their own and copies the rows of its key groups.
 */
import { randomUUID } from 'node:crypto';
import { access, mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { AnyStateDescriptor } from '../descriptors.js';
import { NoCurrentKeyError, StateKindMismatchError, StateRestoreError, UnknownStateError } from '../errors.js';
import { restoreTtlValue, restoreValue } from '../heap-backend.js';
import { createKeyedState } from '../heap-states.js';
import { KeyContext, VOID_NAMESPACE } from '../key-context.js';
import { assignToKeyGroup, computeKeyGroupForKeyHash, hashKey, type KeyGroupRangeData } from '../key-groups.js';
import { decodeKeyId, keyIdentity, type KeyId } from '../key-identity.js';
import { BaseKeyedStateBackend } from '../base-backend.js';
import { copyFileDurably, syncFolder } from '../../util/durable-files.js';
import {
  DeferredKeyedSnapshot,
  expectArray,
  expectKeyGroup,
  expectKeyedSnapshot,
  expectMaxParallelism,
  expectRecord,
  INCREMENTAL_HANDLE_FORMAT,
  isIncrementalHandle,
  keyGroupsInRange,
  KEYED_STATE_SNAPSHOT_VERSION,
  type IncrementalKeyedStateHandle,
  type IncrementalTarget,
  type IncrementalUpload,
  type KeyedStateHandle,
  type KeyedStateEntry,
  type KeyedStateSnapshot,
  type KeyedSnapshotStream,
  type KeyGroupEntries,
  type KeyGroupTimers,
  type TimerEntry,
  type TimerServiceSnapshot,
} from '../snapshot.js';
import type { State, StateKind } from '../state.js';
import type { CurrentKeySlot, StateStorage } from '../state-storage.js';
import type { TimeDomain, TimerStores } from '../timers.js';
import type { StateTtlConfig } from '../ttl/config.js';
import { checkTtlCompatibility, dropExpired, ttlCompactionFilterFor, type TtlCompactionFilter, type TtlTimeProvider } from '../ttl/ttl-value.js';
import type { LocalCheckpoint } from './checkpoint.js';
import { RocksDBHandle } from './db-client.js';
import { pack, WriteBatchBuilder, type DbFile, type RocksDBTuning } from './protocol.js';
import { decodeTimerRow, EVENT_TIME_DOMAIN, PROCESSING_TIME_DOMAIN, RocksDBTimerQueue, storedTimerPrefixes, timerPrefix, withKeyGroup } from './timers.js';
import { decodeRow, decodeRowKey, encodeId, decodeId, encodeRow, keyGroupBounds, liveValue, META_ROW_KEY, rowKey, storedValue, type MetaRow } from './rows.js';

const STATE_KINDS: readonly StateKind[] = ['VALUE', 'LIST', 'MAP', 'REDUCING', 'AGGREGATING'];
export const DEFAULT_RESIDENT_KEYS = 100_000;
/** Rows per write batch when a restore or a flush writes many. */
const ROWS_PER_WRITE = 4096;
/** Keys of timers about to fire read at a time, at most. */
const TIMER_KEYS_PER_READ = 1024;

export interface RocksDBBackendOptions {
  readonly keyGroupRange: KeyGroupRangeData;
  readonly maxParallelism: number;
  /** This backend's own folder (created; removed by dispose). */
  readonly directory: string;
  /** Keys kept decoded on the heap at most (more while one batch needs them). */
  readonly residentKeys?: number;
  readonly tuning?: RocksDBTuning;
  /** Checkpoints (not savepoints) as RocksDB's files, uploading only new ones (`state.backend.incremental`). */
  readonly incremental?: boolean;
  /** The clock of state time-to-live (tests set their own). */
  readonly ttlTimeProvider?: TtlTimeProvider;
  /**
   * Where timers live (`state.backend.rocksdb.timer-service.factory`): in RocksDB, with the
   * earliest of each key group cached (the default), or on the heap.
   */
  readonly timerService?: TimerServiceFactory;
  /** Timers cached in memory per key group and domain, with timers in RocksDB. */
  readonly timerCacheSize?: number;
}

export type TimerServiceFactory = 'ROCKSDB' | 'HEAP';

/** One key's state, decoded: per state id, the value in the void namespace and the others. */
class ResidentKey {
  /** Touched since it was last written back. */
  dirty = false;
  /**
   * Its row as RocksDB has it (undefined: no row): a touched key whose row comes out the same
   * is not written again, so keys only read add nothing to the next incremental checkpoint.
   */
  stored: Uint8Array | undefined = undefined;
  /** Used since the last eviction sweep passed it. */
  used = true;
  /** Its place in the backend's sweep order. */
  slot = -1;
  readonly values: unknown[] = [];
  readonly namespaced: (Map<KeyId, unknown> | undefined)[] = [];

  constructor(
    readonly keyId: KeyId,
    readonly index: number,
  ) {}

  isEmpty(): boolean {
    for (const v of this.values) if (v !== undefined) return false;
    for (const m of this.namespaced) if (m !== undefined && m.size > 0) return false;
    return true;
  }
}

/** The key context, plus the current key's resident state (resolved on the first access). */
class ResidentKeyContext extends KeyContext {
  resident: ResidentKey | undefined = undefined;

  override setKey(key: unknown): void {
    super.setKey(key);
    this.resident = undefined;
  }

  override setResolvedKey(key: unknown, keyId: KeyId, keyGroupIndex: number): void {
    super.setResolvedKey(key, keyId, keyGroupIndex);
    this.resident = undefined;
  }
}

class RocksDBStateTable<V> implements StateStorage<V> {
  /** Whether its values carry last-access timestamps (a state with a time-to-live). */
  ttl = false;
  ttlConfig: StateTtlConfig | undefined = undefined;
  /** Drops expired values when rows are written back (Flink's TTL compaction filter). */
  filter: TtlCompactionFilter | undefined = undefined;
  private readonly slot: CurrentKeySlot<V> = { get: () => this.get(), set: (_keyId, value) => this.put(value) };

  constructor(
    readonly name: string,
    readonly kind: StateKind,
    /** Its number in rows; changes only when a restore adopts the numbering of a checkpoint's files. */
    public id: number,
    private readonly ctx: ResidentKeyContext,
    private readonly backend: RocksDBKeyedStateBackend,
  ) {}

  private current(): ResidentKey {
    const ctx = this.ctx;
    if (ctx.keyGroupIndex < 0) throw new NoCurrentKeyError(`State '${this.name}'`);
    const r = ctx.resident ?? (ctx.resident = this.backend.resident(ctx.keyGroupIndex, ctx.keyId));
    r.dirty = true;
    return r;
  }

  get(): V | undefined {
    return read<V>(this.current(), this.id, this.ctx.namespaceId);
  }

  put(value: V): void {
    write(this.current(), this.id, this.ctx.namespaceId, value);
  }

  remove(): void {
    write(this.current(), this.id, this.ctx.namespaceId, undefined);
  }

  keyMapForWrite(): CurrentKeySlot<V> {
    return this.slot;
  }

  getAt(keyGroupIndex: number, namespaceId: KeyId, keyId: KeyId): V | undefined {
    const r = this.backend.resident(keyGroupIndex, keyId);
    r.dirty = true;
    return read<V>(r, this.id, namespaceId);
  }

  putAt(keyGroupIndex: number, namespaceId: KeyId, keyId: KeyId, value: V): void {
    const r = this.backend.resident(keyGroupIndex, keyId);
    r.dirty = true;
    write(r, this.id, namespaceId, value);
  }

  removeAt(keyGroupIndex: number, namespaceId: KeyId, keyId: KeyId): void {
    const r = this.backend.resident(keyGroupIndex, keyId);
    r.dirty = true;
    write(r, this.id, namespaceId, undefined);
  }
}

function read<V>(r: ResidentKey, id: number, namespaceId: KeyId): V | undefined {
  if (namespaceId === VOID_NAMESPACE) return r.values[id] as V | undefined;
  return r.namespaced[id]?.get(namespaceId) as V | undefined;
}

function write(r: ResidentKey, id: number, namespaceId: KeyId, value: unknown): void {
  if (namespaceId === VOID_NAMESPACE) {
    r.values[id] = value;
    return;
  }
  let map = r.namespaced[id];
  if (value === undefined) {
    map?.delete(namespaceId);
    return;
  }
  if (map === undefined) {
    map = new Map();
    r.namespaced[id] = map;
  }
  map.set(namespaceId, value);
}

export class RocksDBKeyedStateBackend<K = unknown> extends BaseKeyedStateBackend<K, ResidentKeyContext> {
  private readonly db: RocksDBHandle;
  private readonly tables = new Map<string, RocksDBStateTable<unknown>>();
  private readonly tablesById: RocksDBStateTable<unknown>[] = [];
  /** Per key group index, its resident keys. */
  private readonly residents: (Map<KeyId, ResidentKey> | undefined)[];
  /** Every resident key, in sweep order; `hand` is where the next sweep starts. */
  private readonly sweep: ResidentKey[] = [];
  private hand = 0;
  private readonly residentKeys: number;
  private metaDirty = false;
  private disposed = false;
  /** Whether anything was restored: a restore that replaces the database's files must come first. */
  private restored = false;
  /** Local copies of the database made so far (their folders are numbered). */
  private copies = 0;
  /**
   * The shared files of the last checkpoint known complete (or restored), by SST name: what an
   * incremental checkpoint may reference instead of uploading. Replaced, never changed.
   */
  private reusable: ReadonlyMap<string, string> = new Map();
  /** The files of incremental checkpoints not yet known complete, and whether each reused any. */
  private readonly uploads = new Map<number, { readonly files: ReadonlyMap<string, string>; readonly reused: boolean }>();
  /** Each timer service's queues, with timers in RocksDB. */
  private readonly timerQueues = new Map<string, { readonly eventTime: RocksDBTimerQueue; readonly processingTime: RocksDBTimerQueue }>();
  /** Keys read from RocksDB one at a time, and with a batch's multi-get: for tests and metrics. */
  readonly stats = { singleReads: 0, prefetchedKeys: 0, multiGets: 0, evicted: 0, flushes: 0 };

  constructor(private readonly options: RocksDBBackendOptions) {
    super(options.keyGroupRange, options.maxParallelism, (range) => new ResidentKeyContext(range, options.maxParallelism, options.ttlTimeProvider));
    this.residents = new Array<Map<KeyId, ResidentKey> | undefined>(this.keyGroupRange.size).fill(undefined);
    this.residentKeys = Math.max(1, options.residentKeys ?? DEFAULT_RESIDENT_KEYS);
    this.db = RocksDBHandle.openLater(options.directory, options.tuning ?? {});
  }

  /** Resolves once the database is open; a failure to open rejects here (and fails every call). */
  whenOpen(): Promise<void> {
    return this.db.opened;
  }

  protected createState(descriptor: AnyStateDescriptor): State {
    return createKeyedState(descriptor, this.ctx, <V>(name: string, kind: StateKind, ttl?: StateTtlConfig) => this.tableForNewState<V>(name, kind, ttl));
  }

  getRegisteredStateNames(): string[] {
    return [...this.tables.keys()];
  }

  /** The keys with a value of the state in `namespace`, read from RocksDB a chunk of rows at a time (after a flush). */
  keys(stateName: string, namespace: unknown = VOID_NAMESPACE): IterableIterator<K> {
    const found = this.storedKeys(stateName, keyIdentity(namespace, 'namespace'));
    return (function* () {
      for (const { keyId } of found) yield decodeKeyId(keyId) as K;
    })();
  }

  /** Read a chunk of rows at a time, after a flush: rows the function changes meanwhile are written back, not reread. */
  protected storedKeys(stateName: string, namespaceId: KeyId): Iterable<{ index: number; keyId: KeyId }> {
    const table = this.tables.get(stateName);
    if (table === undefined) throw new UnknownStateError(stateName);
    return this.matching(table.id, namespaceId);
  }


  numKeyValueStateEntries(stateName?: string): number {
    let id: number | undefined;
    if (stateName !== undefined) {
      const table = this.tables.get(stateName);
      if (table === undefined) throw new UnknownStateError(stateName);
      id = table.id;
    }
    let n = 0;
    for (const { triples } of this.allRows()) {
      for (let i = 0; i < triples.length; i += 3) if (id === undefined || triples[i] === id) n++;
    }
    return n;
  }

  /**
   * Reads the keys of `keys` that are not resident, with one multi-get: call before a batch of
   * records whose keys these are. Keys of other subtasks' key groups are left to setCurrentKey
   * to report.
   */
  prefetch(keys: readonly unknown[]): void {
    const { startKeyGroup } = this.ctx;
    const size = this.residents.length;
    const maxParallelism = this.options.maxParallelism;
    const missing = new MissingKeys(this.residents);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      let index: number;
      let keyId: KeyId;
      try {
        index = computeKeyGroupForKeyHash(hashKey(key), maxParallelism) - startKeyGroup;
        keyId = keyIdentity(key, 'key');
      } catch {
        continue;
      }
      if (index < 0 || index >= size) continue;
      missing.add(index, keyId);
    }
    if (missing.list.length > 0) this.load(missing.list);
  }

  /**
   * Reads the keys of the timers that `time` would fire in `domain`, as prefetch does for
   * records: with timers on the heap, all of them at once. Timers in RocksDB read their keys as
   * they fire instead, a batch ahead (`timerStores`).
   */
  prefetchTimers(domain: TimeDomain, time: number): void {
    if (this.options.timerService !== 'HEAP') return;
    const missing = new MissingKeys(this.residents);
    for (const service of this.timerServices.values()) service.forEachDue(domain, time, (keyId, index) => missing.add(index, keyId));
    if (missing.list.length > 0) this.load(missing.list);
  }

  /**
   * With timers in RocksDB, a new service's queues over its rows. While timers fire, the keys of
   * the next ones are read a batch at a time: few enough that they stay resident until they fire.
   */
  protected override timerStores(name: string): TimerStores | undefined {
    if (this.options.timerService === 'HEAP') return undefined;
    const queue = (domain: number): RocksDBTimerQueue =>
      new RocksDBTimerQueue(this.db, timerPrefix(name, domain), {
        startKeyGroup: this.ctx.startKeyGroup,
        numberOfKeyGroups: this.ctx.numberOfKeyGroups,
        // Until something is restored, the database has no timers.
        empty: !this.restored,
        cacheSize: this.options.timerCacheSize,
      });
    const queues = { eventTime: queue(EVENT_TIME_DOMAIN), processingTime: queue(PROCESSING_TIME_DOMAIN) };
    this.timerQueues.set(name, queues);
    const batch = Math.max(1, Math.min(TIMER_KEYS_PER_READ, Math.floor(this.residentKeys / 4)));
    return {
      ...queues,
      readAhead: (domain, limit) => {
        const timers = (domain === 'EVENT_TIME' ? queues.eventTime : queues.processingTime).upcoming(limit, batch);
        const missing = new MissingKeys(this.residents);
        for (const t of timers) missing.add(t.keyGroupIndex, t.keyId);
        if (missing.list.length > 0) this.load(missing.list);
        return timers.length;
      },
    };
  }

  /** The resident state of a key, read from RocksDB first if it is not resident. */
  resident(index: number, keyId: KeyId): ResidentKey {
    const r = this.residents[index]?.get(keyId);
    if (r !== undefined) {
      r.used = true;
      return r;
    }
    this.stats.singleReads++;
    this.load([{ index, keyId }]);
    return this.residents[index]!.get(keyId)!;
  }

  private load(missing: readonly { index: number; keyId: KeyId }[]): void {
    if (this.sweep.length + missing.length > this.residentKeys) this.evict(missing.length);
    const start = this.ctx.startKeyGroup;
    const rows: Uint8Array[] = [];
    for (const m of missing) rows.push(rowKey(start + m.index, m.keyId));
    const values = this.db.getMany(pack(rows));
    this.stats.multiGets++;
    this.stats.prefetchedKeys += missing.length;
    for (let i = 0; i < missing.length; i++) {
      const { index, keyId } = missing[i]!;
      const r = new ResidentKey(keyId, index);
      const bytes = values[i];
      if (bytes !== undefined) {
        this.fill(r, decodeRow(bytes));
        // A copy: the view would keep the whole multi-get answer alive as long as this key.
        r.stored = bytes.slice();
      }
      let group = this.residents[index];
      if (group === undefined) {
        group = new Map();
        this.residents[index] = group;
      }
      group.set(keyId, r);
      r.slot = this.sweep.length;
      this.sweep.push(r);
    }
  }

  private fill(r: ResidentKey, triples: readonly unknown[]): void {
    for (let i = 0; i < triples.length; i += 3) {
      const id = triples[i] as number;
      const table = this.tablesById[id];
      if (table === undefined) throw new Error(`a RocksDB state row names state id ${id}, which the meta row does not`);
      write(r, id, decodeId(triples[i + 1]), liveValue(table.kind, triples[i + 2]));
    }
  }

  /**
   * Writes every touched key back (one write batch per few thousand rows, not waited for: a
   * later read is answered after it).
   */
  flush(): void {
    const batch = new WriteBatchBuilder();
    if (this.metaDirty) {
      const meta: MetaRow = { version: 1, states: this.tablesById.map(stateInfo) };
      batch.put(META_ROW_KEY, encodeRow([meta]));
      this.metaDirty = false;
    }
    const start = this.ctx.startKeyGroup;
    for (const r of this.sweep) {
      if (!r.dirty) continue;
      r.dirty = false;
      const triples = this.triplesOf(r);
      if (triples.length === 0) {
        if (r.stored === undefined) continue;
        batch.del(rowKey(start + r.index, r.keyId));
        r.stored = undefined;
      } else {
        const bytes = encodeRow(triples);
        if (r.stored !== undefined && Buffer.compare(bytes, r.stored) === 0) continue;
        batch.put(rowKey(start + r.index, r.keyId), bytes);
        r.stored = bytes;
      }
      if (batch.size >= ROWS_PER_WRITE) this.db.write(batch.take());
    }
    if (batch.size > 0) this.db.write(batch.take());
    for (const queues of this.timerQueues.values()) {
      queues.eventTime.flush();
      queues.processingTime.flush();
    }
    this.stats.flushes++;
  }

  /** A key's row: its states' values, without those a TTL compaction filter drops. */
  private triplesOf(r: ResidentKey): unknown[] {
    const triples: unknown[] = [];
    for (let id = 0; id < r.values.length; id++) {
      let v = r.values[id];
      if (v === undefined) continue;
      const table = this.tablesById[id]!;
      if (table.filter !== undefined && (v = table.filter.filter(v)) === undefined) continue;
      triples.push(id, null, storedValue(table.kind, v));
    }
    for (let id = 0; id < r.namespaced.length; id++) {
      const map = r.namespaced[id];
      if (map === undefined) continue;
      const table = this.tablesById[id]!;
      for (const [ns, value] of map) {
        let v: unknown = value;
        if (table.filter !== undefined && (v = table.filter.filter(v)) === undefined) continue;
        triples.push(id, encodeId(ns), storedValue(table.kind, v));
      }
    }
    return triples;
  }

  /**
   * Makes room for `needed` keys: writes touched keys back, then sweeps (CLOCK): a key used
   * since the sweep last passed it gets another round, others leave. The current key stays.
   */
  private evict(needed: number): void {
    this.flush();
    const target = Math.max(0, Math.floor(this.residentKeys * 0.9) - needed);
    const sweep = this.sweep;
    let passes = 0;
    while (sweep.length > target && passes < 2 * sweep.length + 2) {
      passes++;
      if (this.hand >= sweep.length) this.hand = 0;
      const r = sweep[this.hand]!;
      if (r.used || r === this.ctx.resident) {
        r.used = false;
        this.hand++;
        continue;
      }
      this.residents[r.index]!.delete(r.keyId);
      const last = sweep.pop()!;
      if (last !== r) {
        sweep[this.hand] = last;
        last.slot = this.hand;
      }
      this.stats.evicted++;
    }
  }

  /**
   * Every key with a value of state `id` in `namespaceId`, read lazily from RocksDB after a
   * flush: memory stays at one chunk of rows, however many keys there are.
   */
  private *matching(id: number, namespaceId: KeyId): Generator<{ index: number; keyId: KeyId }> {
    const wanted = namespaceId === VOID_NAMESPACE ? null : encodeId(namespaceId);
    const start = this.ctx.startKeyGroup;
    for (const { keyGroup, keyId, triples } of this.allRows()) {
      for (let i = 0; i < triples.length; i += 3) {
        if (triples[i] === id && sameId(triples[i + 1], wanted)) {
          yield { index: keyGroup - start, keyId };
          break;
        }
      }
    }
  }

  /** Every row of the range, decoded, read a chunk at a time after writing touched keys back. */
  private *allRows(): Generator<{ keyGroup: number; keyId: KeyId; triples: readonly unknown[] }> {
    this.flush();
    const [from, to] = keyGroupBounds(this.keyGroupRange.startKeyGroup, this.keyGroupRange.endKeyGroup);
    for (const rows of rowChunks(this.db, from, to)) {
      for (const [key, value] of rows) yield { ...decodeRowKey(key), triples: decodeRow(value) };
    }
  }

  /**
   * The snapshot, as it is at this moment: touched keys are written back now, and what reads
   * the state is queued behind those writes in the worker, so the task goes on meanwhile. Full
   * snapshots read the range through an iterator; incremental ones copy the database locally
   * first (see the top of this file).
   */
  snapshot(): DeferredKeyedSnapshot {
    this.flush();
    // Timers on the heap are copied now; those in RocksDB are read with the rows.
    const heapTimers: TimerServiceSnapshot[] = [];
    if (this.options.timerService === 'HEAP') for (const service of this.timerServices.values()) heapTimers.push(service.snapshot());
    const timerServices = [...this.timerQueues.keys()];
    const tables = this.tablesById.map((t): SnapshotTable => ({ ...stateInfo(t), cleanup: fullSnapshotCleanup(t, this.ctx.ttlTimeProvider) }));
    const header = { version: KEYED_STATE_SNAPSHOT_VERSION, maxParallelism: this.maxParallelism, keyGroupRange: this.keyGroupRange.toData() };
    const [from, to] = keyGroupBounds(this.keyGroupRange.startKeyGroup, this.keyGroupRange.endKeyGroup);
    const states = tables.map(({ cleanup: _, ...info }) => info);
    const { startKeyGroup, endKeyGroup } = this.keyGroupRange;
    const timerRanges = timerServices.flatMap((name) =>
      [EVENT_TIME_DOMAIN, PROCESSING_TIME_DOMAIN].map((domain) => {
        const prefix = timerPrefix(name, domain);
        return { prefix, from: withKeyGroup(prefix, startKeyGroup), to: withKeyGroup(prefix, endKeyGroup + 1) };
      }),
    );
    /** `timerRows(i)`: the rows of service `i >> 1`, domain `i & 1`. */
    const stream = (iterate: (index: number) => RowIterator, timerRows: (index: number) => RowIterator): KeyedSnapshotStream => ({
      ...header,
      states,
      keyGroups: (index) => keyGroupsOf(iterate(index), index, tables[index]!),
      timers: [
        ...heapTimers,
        ...timerServices.map((name, i) => ({
          name,
          eventTime: keyGroupTimersOf(timerRows(2 * i), timerRanges[2 * i]!.prefix.byteLength),
          processingTime: keyGroupTimersOf(timerRows(2 * i + 1), timerRanges[2 * i + 1]!.prefix.byteLength),
        })),
      ],
    });
    if (this.options.incremental !== true) {
      // One iterator per state and per timer domain, each over the range as it is now; a snapshot is read one after another.
      const iterators = tables.map(() => this.db.iterate(from, to));
      const timerIterators = timerRanges.map((r) => this.db.iterate(r.from, r.to));
      return new DeferredKeyedSnapshot(
        () => Promise.resolve(stream((index) => iterators[index]!, (index) => timerIterators[index]!)),
        () => {
          for (const rows of [...iterators, ...timerIterators]) void rows.close();
        },
      );
    }
    const directory = `${this.options.directory}.copy-${++this.copies}`;
    const copied = this.db.checkpoint(directory);
    let opened: Promise<RocksDBHandle> | undefined;
    const release = (): Promise<void> => {
      const remove = (): Promise<void> => rm(directory, { recursive: true, force: true });
      const closed = opened === undefined ? Promise.resolve() : opened.then((db) => db.close()).catch(() => undefined);
      return copied.then(() => closed, () => undefined).then(remove, remove);
    };
    return new DeferredKeyedSnapshot(
      async () => {
        await copied;
        const db = await (opened ??= RocksDBHandle.open(directory));
        return stream(
          () => db.iterate(from, to),
          (index) => db.iterate(timerRanges[index]!.from, timerRanges[index]!.to),
        );
      },
      () => void release().catch(() => undefined),
      async (target) => {
        try {
          return await this.upload(await copied, target, { format: INCREMENTAL_HANDLE_FORMAT, ...header, states, timers: heapTimers });
        } finally {
          await release();
        }
      },
    );
  }

  /**
   * Writes a local copy of the database as an incremental checkpoint: SST files the last
   * checkpoint known complete uploaded to this job's shared folder are referenced again, the
   * others uploaded under a new unique name; the mutable files go into the checkpoint's folder.
   * Every file is synced before this resolves. On failure, the files uploaded for it go again.
   */
  private async upload(
    copy: LocalCheckpoint,
    target: IncrementalTarget,
    base: Omit<IncrementalKeyedStateHandle, 'sharedFiles' | 'privateFiles'>,
  ): Promise<IncrementalUpload> {
    const sharedDir = resolve(target.sharedDir);
    const privateDir = join(resolve(target.checkpointDir), target.name);
    const reusable = this.reusable;
    const files = new Map<string, string>();
    const reused: string[] = [];
    const written: string[] = [];
    let bytesWritten = 0;
    try {
      // Not recursive: a checkpoint discarded meanwhile (its folder removed) gets no files.
      await mkdir(privateDir);
      const privateFiles = [];
      for (const name of copy.privateFiles) {
        const path = join(privateDir, name);
        bytesWritten += await copyFileDurably(join(copy.directory, name), path);
        privateFiles.push({ name, path });
      }
      await mkdir(sharedDir, { recursive: true });
      for (const name of copy.sharedFiles) {
        const known = reusable.get(name);
        // Files of another job's checkpoint (a restore with `run -s`) are that job's to delete: upload ours.
        if (known !== undefined && dirname(known) === sharedDir) {
          files.set(name, known);
          reused.push(known);
          continue;
        }
        if (this.disposed) throw new Error(`the task ended while checkpoint ${target.checkpointId} uploaded its RocksDB files`);
        const path = join(sharedDir, `${randomUUID()}-${name}`);
        written.push(path);
        bytesWritten += await copyFileDurably(join(copy.directory, name), path);
        files.set(name, path);
      }
      await syncFolder(sharedDir);
      await syncFolder(privateDir);
      // Discarded while uploading: nobody would remove what was uploaded for it.
      if (!(await exists(privateDir))) throw new Error(`checkpoint ${target.checkpointId} was discarded while its RocksDB files were uploaded`);
      this.uploads.set(target.checkpointId, { files, reused: reused.length > 0 });
      return {
        handle: { ...base, sharedFiles: [...files].map(([name, path]) => ({ name, path })), privateFiles },
        sharedFiles: [...files.values()],
        reusedSharedFiles: reused,
        bytesWritten,
      };
    } catch (error) {
      // The checkpoint will not have these; the coordinator never heard of them.
      await Promise.all([...written, privateDir].map((path) => rm(path, { recursive: true, force: true }).catch(() => undefined)));
      throw error;
    }
  }

  /** The checkpoint is complete: its shared files are the ones the next checkpoints may reuse. */
  notifyCheckpointComplete(checkpointId: number): void {
    const done = this.uploads.get(checkpointId);
    if (done !== undefined) this.reusable = done.files;
    for (const id of [...this.uploads.keys()]) if (id <= checkpointId) this.uploads.delete(id);
  }

  /**
   * The checkpoint was given up. If it reused files, that may be why: the coordinator refuses
   * a checkpoint that references a file no retained checkpoint still has (this backend heard
   * of a completion late). The next checkpoint then uploads every file afresh.
   */
  notifyCheckpointAborted(checkpointId: number): void {
    const aborted = this.uploads.get(checkpointId);
    this.uploads.delete(checkpointId);
    if (aborted?.reused === true) this.reusable = new Map();
  }

  /**
   * Loads the key groups of this backend's range from snapshots: canonical ones (of either
   * backend) written to RocksDB a key group at a time, incremental ones from their files.
   */
  restore(snapshots: readonly KeyedStateHandle[]): void {
    const incremental = snapshots.filter(isIncrementalHandle);
    if (incremental.length > 0) this.restoreIncremental(incremental);
    this.restoreCanonical(snapshots.filter((s): s is KeyedStateSnapshot => !isIncrementalHandle(s)));
    this.restored = true;
  }

  /**
   * Incremental checkpoints' files. One old subtask with exactly this key-group range (the same
   * parallelism): its files become this database, linked, not read. Otherwise each old
   * subtask's files are opened as a database of their own, and the rows of this range copied.
   */
  private restoreIncremental(raw: readonly IncrementalKeyedStateHandle[]): void {
    const mine = this.keyGroupRange;
    const handles = raw.map((h) => checkIncrementalHandle(h, this.maxParallelism)).filter((h) => overlap(h.keyGroupRange, mine) !== undefined);
    for (let i = 0; i < handles.length; i++) {
      for (let j = i + 1; j < handles.length; j++) {
        if (overlap(handles[i]!.keyGroupRange, handles[j]!.keyGroupRange) !== undefined) {
          throw new StateRestoreError('Two RocksDB incremental snapshots hold the same key groups: they must come from subtasks with disjoint key groups.', undefined);
        }
      }
    }
    const only = handles.length === 1 ? handles[0]! : undefined;
    if (only !== undefined && !this.restored && this.sweep.length === 0 && sameRange(only.keyGroupRange, mine)) {
      this.db.restoreFiles(filesOf(only));
      this.adoptStateIds(only.states);
      this.reusable = new Map(only.sharedFiles.map((f) => [f.name, f.path]));
    } else {
      handles.forEach((h, i) => this.copyRows(h, `${this.options.directory}.restore-${i}`));
    }
    this.adoptStoredTimers();
    for (const h of handles) for (const timers of h.timers) this.getInternalTimerService<unknown>(timers.name).restore(timers);
    this.metaDirty = true;
  }

  /**
   * After a checkpoint's files were restored: with timers in RocksDB, the services of the timer
   * rows exist and their queues read them; with timers on the heap, the rows move there.
   */
  private adoptStoredTimers(): void {
    const { startKeyGroup, numberOfKeyGroups } = this.ctx;
    for (const { service, domain, prefix } of storedTimerPrefixes(this.db)) {
      const timers = this.getInternalTimerService<unknown>(service);
      if (this.options.timerService !== 'HEAP') continue;
      const rows = new RocksDBTimerQueue(this.db, prefix, { startKeyGroup, numberOfKeyGroups, empty: false });
      const groups: KeyGroupTimers[] = [];
      for (const [index, list] of rows.keyGroupTimers()) {
        groups.push({ keyGroup: startKeyGroup + index, timers: list.map((t): TimerEntry => [t.timestamp, t.key, t.namespace]) });
      }
      const none: KeyGroupTimers[] = [];
      timers.restore({ name: service, eventTime: domain === EVENT_TIME_DOMAIN ? groups : none, processingTime: domain === EVENT_TIME_DOMAIN ? none : groups });
      rows.clear();
    }
    for (const queues of this.timerQueues.values()) {
      queues.eventTime.reload();
      queues.processingTime.reload();
    }
  }

  /** The table of a state of an incremental snapshot, its time-to-live checked. */
  private restoredTable(state: IncrementalKeyedStateHandle['states'][number]): RocksDBStateTable<unknown> {
    const fresh = !this.tables.has(state.name);
    const table = this.tableFor<unknown>(state.name, state.kind);
    this.restoredTtl(table, state.ttl ?? false, fresh);
    return table;
  }

  /** Numbers the states as the restored files' rows do; states this backend had and they lack come after. */
  private adoptStateIds(states: IncrementalKeyedStateHandle['states']): void {
    const ordered = states.map((state) => this.restoredTable(state));
    for (const table of this.tablesById) if (!ordered.includes(table)) ordered.push(table);
    this.tablesById.length = 0;
    ordered.forEach((table, id) => {
      table.id = id;
      this.tablesById.push(table);
    });
  }

  /** Copies the rows of this range out of an old subtask's files, opened in `directory`, renumbering the states. */
  private copyRows(handle: IncrementalKeyedStateHandle, directory: string): void {
    const source = RocksDBHandle.openLater(directory);
    try {
      source.restoreFiles(filesOf(handle));
      const ids = handle.states.map((state) => this.restoredTable(state).id);
      const renumber = ids.some((id, old) => id !== old);
      const [start, end] = overlap(handle.keyGroupRange, this.keyGroupRange)!;
      const [from, to] = keyGroupBounds(start, end);
      const batch = new WriteBatchBuilder();
      for (const rows of rowChunks(source, from, to)) {
        for (const [key, value] of rows) {
          if (!renumber) {
            batch.put(key, value);
          } else {
            const triples = decodeRow(value);
            for (let i = 0; i < triples.length; i += 3) triples[i] = ids[triples[i] as number];
            batch.put(key, encodeRow(triples));
          }
        }
        if (batch.size >= ROWS_PER_WRITE) this.db.write(batch.take());
      }
      // Timers, of every service and domain the files have.
      for (const { prefix } of storedTimerPrefixes(source)) {
        for (const rows of rowChunks(source, withKeyGroup(prefix, start), withKeyGroup(prefix, end + 1))) {
          for (const [key, value] of rows) batch.put(key, value);
          if (batch.size >= ROWS_PER_WRITE) this.db.write(batch.take());
        }
      }
      if (batch.size > 0) this.db.write(batch.take());
    } finally {
      void source
        .close()
        .catch(() => undefined)
        .then(() => rm(directory, { recursive: true, force: true }));
    }
  }

  /**
   * Loads the key groups of this backend's range from canonical snapshots (of either backend),
   * written to RocksDB a key group at a time.
   */
  private restoreCanonical(snapshots: readonly KeyedStateSnapshot[]): void {
    const seen = new Map<string, Set<number>>();
    const ttlOf = new Map<RocksDBStateTable<unknown>, boolean>();
    const start = this.keyGroupRange.startKeyGroup;
    for (const raw of snapshots) {
      const snapshot = expectKeyedSnapshot(raw, this.maxParallelism);
      // Key group by key group, every state's entries of a key go into the key's one row. A key
      // group's entries are read (decoded, from a state file) only when its turn comes.
      const perGroup = new Map<number, Array<{ table: RocksDBStateTable<unknown>; group: Readonly<Record<string, unknown>> }>>();
      for (const rawState of expectArray(snapshot['states'], 'the states of a keyed snapshot', undefined)) {
        const state = expectRecord(rawState, 'a state of a keyed snapshot', undefined);
        const name = state['name'];
        const kind = state['kind'];
        if (typeof name !== 'string' || name.length === 0) throw new StateRestoreError('Malformed snapshot: a state has no name.', undefined);
        if (!STATE_KINDS.includes(kind as StateKind)) throw new StateRestoreError(`Malformed snapshot: state '${name}' has unknown kind ${String(kind)}.`, name);
        const fresh = !this.tables.has(name);
        const table = this.tableFor<unknown>(name, kind as StateKind);
        ttlOf.set(table, this.restoredTtl(table, state['ttl'] ?? false, fresh));
        const restored = seen.get(name) ?? new Set<number>();
        seen.set(name, restored);
        for (const { keyGroup, group } of keyGroupsInRange(state, name, this.maxParallelism, this.keyGroupRange, restored)) {
          const list = perGroup.get(keyGroup) ?? [];
          list.push({ table, group });
          perGroup.set(keyGroup, list);
        }
      }
      for (const [keyGroup, parts] of perGroup) {
        const keys = new Map<KeyId, ResidentKey>();
        for (const { table, group } of parts) {
          for (const rawEntry of expectArray(group['entries'], `the entries of key group ${keyGroup} of state '${table.name}'`, table.name)) {
            const [key, namespace, value] = expectArray(rawEntry, `an entry of state '${table.name}'`, table.name);
            if (assignToKeyGroup(key, this.maxParallelism) !== keyGroup) {
              throw new StateRestoreError(
                `An entry of state '${table.name}' is filed under key group ${keyGroup} but its key hashes to another: the snapshot was written with another key hash.`,
                table.name,
              );
            }
            const live = ttlOf.get(table) === true ? restoreTtlValue(table.kind, value, table.name) : restoreValue(table.kind, value, table.name);
            if (live === undefined) continue;
            const keyId = keyIdentity(key, 'key');
            let r = keys.get(keyId);
            if (r === undefined) {
              // A key already resident (restored from another snapshot) gets the rest too.
              r = this.residents[keyGroup - start]?.get(keyId) ?? new ResidentKey(keyId, keyGroup - start);
              keys.set(keyId, r);
            }
            write(r, table.id, keyIdentity(namespace, 'namespace'), live);
          }
        }
        this.writeRows(keyGroup, keys.values());
      }
      for (const timers of expectArray(snapshot['timers'], 'the timers of a keyed snapshot', undefined)) {
        const t = expectRecord(timers, 'a timer service snapshot', undefined);
        if (typeof t['name'] !== 'string') throw new StateRestoreError('Malformed snapshot: a timer service has no name.', undefined);
        this.getInternalTimerService<unknown>(t['name']).restore(timers as TimerServiceSnapshot);
      }
    }
  }

  private writeRows(keyGroup: number, keys: Iterable<ResidentKey>): void {
    const batch = new WriteBatchBuilder();
    if (this.metaDirty) {
      const meta: MetaRow = { version: 1, states: this.tablesById.map(stateInfo) };
      batch.put(META_ROW_KEY, encodeRow([meta]));
      this.metaDirty = false;
    }
    for (const r of keys) {
      const key = rowKey(keyGroup, r.keyId);
      // A resident key is written back by the next flush.
      if (this.residents[r.index]?.get(r.keyId) === r) {
        r.dirty = true;
        continue;
      }
      batch.put(key, encodeRow(this.triplesOf(r)));
      if (batch.size >= ROWS_PER_WRITE) this.db.write(batch.take());
    }
    if (batch.size > 0) this.db.write(batch.take());
  }

  /** Drops all state and timers, closes the database and removes its folder. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // Timers in RocksDB go with its folder.
    if (this.options.timerService === 'HEAP') for (const service of this.timerServices.values()) service.clear();
    this.ctx.reset();
    this.residents.fill(undefined);
    this.sweep.length = 0;
    const directory = this.options.directory;
    void this.db
      .close()
      .catch(() => undefined)
      .then(() => rm(directory, { recursive: true, force: true }));
  }

  /** The table of a state being registered; one restored must agree on having a time-to-live. */
  private tableForNewState<V>(name: string, kind: StateKind, ttl: StateTtlConfig | undefined): RocksDBStateTable<V> {
    const restored = this.tables.has(name);
    const table = this.tableFor<V>(name, kind);
    if (restored) checkTtlCompatibility(name, table.ttl, ttl !== undefined);
    if (table.ttl !== (ttl !== undefined)) this.metaDirty = true;
    table.ttl = ttl !== undefined;
    table.ttlConfig = ttl;
    table.filter = ttlCompactionFilterFor(kind, ttl, this.ctx.ttlTimeProvider);
    return table;
  }

  /** A restored state's time-to-live flag: registered states must agree, and all snapshots of one. */
  private restoredTtl(table: RocksDBStateTable<unknown>, ttl: unknown, fresh: boolean): boolean {
    const name = table.name;
    if (typeof ttl !== 'boolean') throw new StateRestoreError(`Malformed snapshot: the ttl flag of state '${name}' is ${String(ttl)}, not true or false.`, name);
    if (this.states.has(name)) checkTtlCompatibility(name, ttl, table.ttl);
    else if (fresh) table.ttl = ttl;
    else if (table.ttl !== ttl) throw new StateRestoreError(`State '${name}' has a time-to-live in some of the snapshots restored and none in others: restore snapshots of one job version.`, name);
    return ttl;
  }

  /** The table of `name`, created (with the next state id) if new; throws if it exists with another kind. */
  protected tableFor<V>(name: string, kind: StateKind): RocksDBStateTable<V> {
    let table = this.tables.get(name);
    if (table === undefined) {
      table = new RocksDBStateTable<unknown>(name, kind, this.tablesById.length, this.ctx, this);
      this.tables.set(name, table);
      this.tablesById.push(table);
      this.metaDirty = true;
    } else if (table.kind !== kind) {
      throw new StateKindMismatchError(name, table.kind, kind);
    }
    return table as RocksDBStateTable<V>;
  }
}

/** Keys to read: each once, and only if not resident (a resident one counts as used). */
class MissingKeys {
  readonly list: { index: number; keyId: KeyId }[] = [];
  private readonly seen: (Set<KeyId> | undefined)[] = [];

  constructor(private readonly residents: readonly (Map<KeyId, ResidentKey> | undefined)[]) {}

  add(index: number, keyId: KeyId): void {
    const r = this.residents[index]?.get(keyId);
    if (r !== undefined) {
      r.used = true;
      return;
    }
    const seen = (this.seen[index] ??= new Set());
    if (seen.has(keyId)) return;
    seen.add(keyId);
    this.list.push({ index, keyId });
  }
}

function sameId(stored: unknown, wanted: unknown): boolean {
  if (Array.isArray(stored) && Array.isArray(wanted)) return stored[0] === wanted[0];
  return stored === wanted;
}

/** A row's stored value in the canonical form of snapshot.ts (map keys back to the user's). */
function canonicalOf(kind: StateKind, stored: unknown): unknown {
  if (kind !== 'MAP') return stored;
  return (stored as [unknown, unknown][]).map(([id, v]) => [decodeKeyId(decodeId(id)), v]);
}

/** A state as a snapshot sees it: what it is, and what `cleanupFullSnapshot` leaves of a value. */
interface SnapshotTable {
  readonly name: string;
  readonly kind: StateKind;
  readonly ttl?: true;
  readonly cleanup: ((canonical: unknown) => unknown) | undefined;
}

function stateInfo(table: RocksDBStateTable<unknown>): { name: string; kind: StateKind; ttl?: true } {
  return table.ttl ? { name: table.name, kind: table.kind, ttl: true } : { name: table.name, kind: table.kind };
}

/** With TTL's `cleanupFullSnapshot`: a value without what expired by now (the snapshot's moment). */
function fullSnapshotCleanup(table: RocksDBStateTable<unknown>, time: TtlTimeProvider): ((canonical: unknown) => unknown) | undefined {
  const config = table.ttlConfig;
  if (config === undefined || !config.getCleanupStrategies().inFullSnapshot()) return undefined;
  const { kind } = table;
  const ttl = config.getTtl();
  const now = time.now();
  return (value) => dropExpired(kind, ttl, value, now);
}

type RowIterator = AsyncIterable<Array<[Uint8Array, Uint8Array]>> & { close(): Promise<void> };

/** The key groups of state `id` with entries, in the canonical form, read from an iterator over rows (closed at the end). */
async function* keyGroupsOf(rows: RowIterator, id: number, table: SnapshotTable): AsyncGenerator<KeyGroupEntries> {
  let keyGroup = -1;
  let entries: KeyedStateEntry[] = [];
  try {
    for await (const chunk of rows) {
      for (const [key, row] of chunk) {
        // Rows hold every state of their key: only this state's values are taken.
        const triples = decodeRow(row);
        let decoded: { keyGroup: number; keyId: KeyId } | undefined;
        for (let i = 0; i < triples.length; i += 3) {
          if (triples[i] !== id) continue;
          decoded ??= decodeRowKey(key);
          let value = canonicalOf(table.kind, triples[i + 2]);
          if (table.cleanup !== undefined && (value = table.cleanup(value)) === undefined) continue;
          if (decoded.keyGroup !== keyGroup) {
            if (entries.length > 0) yield { keyGroup, entries };
            keyGroup = decoded.keyGroup;
            entries = [];
          }
          entries.push([decodeKeyId(decoded.keyId), decodeKeyId(decodeId(triples[i + 1])), value]);
        }
      }
    }
    if (entries.length > 0) yield { keyGroup, entries };
  } finally {
    await rows.close();
  }
}

/** The timers of one service and domain, a key group at a time, from an iterator over their rows (closed at the end). */
async function* keyGroupTimersOf(rows: RowIterator, prefixLength: number): AsyncGenerator<KeyGroupTimers> {
  let keyGroup = -1;
  let timers: TimerEntry[] = [];
  try {
    for await (const chunk of rows) {
      for (const [row] of chunk) {
        const t = decodeTimerRow(row, prefixLength);
        if (t.keyGroup !== keyGroup) {
          if (timers.length > 0) yield { keyGroup, timers };
          keyGroup = t.keyGroup;
          timers = [];
        }
        timers.push([t.timestamp, decodeKeyId(t.keyId), decodeKeyId(t.namespaceId)]);
      }
    }
    if (timers.length > 0) yield { keyGroup, timers };
  } finally {
    await rows.close();
  }
}

/** The rows from `gte` to `lt`, a thousand or so at a time, each chunk read synchronously when asked for. */
function* rowChunks(db: RocksDBHandle, gte: Uint8Array, lt: Uint8Array): Generator<ReadonlyArray<[Uint8Array, Uint8Array]>> {
  let from = gte;
  for (;;) {
    const { rows, done } = db.scan(from, lt, 1024);
    yield rows;
    if (done || rows.length === 0) return;
    const last = rows[rows.length - 1]![0];
    from = new Uint8Array(last.byteLength + 1);
    from.set(last);
  }
}

function filesOf(handle: IncrementalKeyedStateHandle): DbFile[] {
  return [
    ...handle.sharedFiles.map((f) => ({ from: f.path, name: f.name, link: true })),
    ...handle.privateFiles.map((f) => ({ from: f.path, name: f.name, link: false })),
  ];
}

/** The key groups two ranges share, or undefined. */
function overlap(a: KeyGroupRangeData, b: KeyGroupRangeData): [number, number] | undefined {
  const start = Math.max(a.startKeyGroup, b.startKeyGroup);
  const end = Math.min(a.endKeyGroup, b.endKeyGroup);
  return start <= end ? [start, end] : undefined;
}

function sameRange(a: KeyGroupRangeData, b: KeyGroupRangeData): boolean {
  return a.startKeyGroup === b.startKeyGroup && a.endKeyGroup === b.endKeyGroup;
}

/** The handle, once it is well-formed and of this job's max parallelism; a StateRestoreError otherwise. */
function checkIncrementalHandle(raw: unknown, maxParallelism: number): IncrementalKeyedStateHandle {
  const handle = expectRecord(raw, 'a RocksDB incremental snapshot', undefined);
  if (handle['version'] !== KEYED_STATE_SNAPSHOT_VERSION) {
    throw new StateRestoreError(`RocksDB incremental snapshot version ${String(handle['version'])} is not supported (expected ${KEYED_STATE_SNAPSHOT_VERSION}).`, undefined);
  }
  expectMaxParallelism(handle, maxParallelism);
  const range = expectRecord(handle['keyGroupRange'], 'the key-group range of a RocksDB incremental snapshot', undefined);
  const start = expectKeyGroup(range['startKeyGroup'], maxParallelism, undefined);
  const end = expectKeyGroup(range['endKeyGroup'], maxParallelism, undefined);
  if (start > end) throw new StateRestoreError(`Malformed snapshot: key-group range ${start}-${end} is empty.`, undefined);
  const names = new Set<string>();
  for (const rawState of expectArray(handle['states'], 'the states of a RocksDB incremental snapshot', undefined)) {
    const state = expectRecord(rawState, 'a state of a RocksDB incremental snapshot', undefined);
    const name = state['name'];
    if (typeof name !== 'string' || name.length === 0 || names.has(name)) throw new StateRestoreError(`Malformed snapshot: a state has no name, or a name twice (${String(name)}).`, undefined);
    names.add(name);
    if (!STATE_KINDS.includes(state['kind'] as StateKind)) throw new StateRestoreError(`Malformed snapshot: state '${name}' has unknown kind ${String(state['kind'])}.`, name);
  }
  expectArray(handle['timers'], 'the timers of a RocksDB incremental snapshot', undefined);
  for (const list of ['sharedFiles', 'privateFiles'] as const) {
    for (const rawFile of expectArray(handle[list], `the ${list} of a RocksDB incremental snapshot`, undefined)) {
      const file = expectRecord(rawFile, `a file of a RocksDB incremental snapshot`, undefined);
      const name = file['name'];
      const path = file['path'];
      if (typeof name !== 'string' || !/^[A-Za-z0-9._-]+$/.test(name) || name === '.' || name === '..') {
        throw new StateRestoreError(`Malformed snapshot: ${String(name)} is not a RocksDB file name.`, undefined);
      }
      if (typeof path !== 'string' || !path.startsWith('/')) throw new StateRestoreError(`Malformed snapshot: the path of RocksDB file ${name} is not absolute.`, undefined);
    }
  }
  return raw as IncrementalKeyedStateHandle;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
