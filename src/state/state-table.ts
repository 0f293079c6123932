/**
 * Storage of one keyed state on the heap, partitioned by key group so snapshots and rescaling
 * work one key group at a time: for each key group the backend owns, a Map from namespace id to
 * a Map from key id to the stored value (created on first write; emptied maps are dropped, so
 * iteration and snapshots only ever see live entries).
 *
 * Snapshots copy nothing when they are taken (copy-on-write, as Flink's CopyOnWriteStateMap).
 * A snapshot keeps the key groups' Maps as they are; the checkpoint's writer later encodes each
 * key group's entries (CBOR, the form the state file holds), between batches. Until it has, the
 * table's first access to an entry after the snapshot encodes that one entry as it was, before
 * anything can change it (values are mutable objects, so a read counts), and a key that was not
 * there is noted as absent. So the synchronous part of a checkpoint is O(key groups), a record
 * pays at most one entry's encoding, and every entry is encoded once.
 *
 * State with a time-to-live stores `[value, timestamp]` pairs (ttl/ttl-value.ts); the table only
 * marks its snapshots `ttl: true`, leaves expired entries out of them with `cleanupFullSnapshot`
 * (as each entry is encoded, against the time the snapshot was taken, so nothing is copied
 * earlier), and walks its entries for TTL's incremental cleanup (`transformIncrementally`).
 */
import { cborHead, decode, encode } from '../net/codec.js';
import { NoCurrentKeyError, StateSnapshotError } from './errors.js';
import { VOID_NAMESPACE, type KeyContext } from './key-context.js';
import { decodeKeyId, type KeyId } from './key-identity.js';
import { ENCODED_ENTRIES, type EncodedKeyGroupEntries, type KeyedStateEntry, type KeyedStateSnapshotState } from './snapshot.js';
import type { StateKind } from './state.js';
import type { StateStorage } from './state-storage.js';
import type { StateTtlConfig } from './ttl/config.js';
import { dropExpired } from './ttl/ttl-value.js';

export type KeyMap<V> = Map<KeyId, V>;
export type NamespaceMap<V> = Map<KeyId, KeyMap<V>>;

/** Where `transformIncrementally` goes on from: a key group, and live iterators into it. */
interface CleanupCursor<V> {
  index: number;
  namespaces: Iterator<[KeyId, KeyMap<V>]> | undefined;
  namespaceId: KeyId;
  keys: Iterator<[KeyId, V]> | undefined;
}

export class StateTable<V> implements StateStorage<V> {
  /** Indexed by `keyGroup - startKeyGroup`. */
  readonly groups: (NamespaceMap<V> | undefined)[];
  /**
   * The void namespace's key map of each key group, the same Map objects as in `groups`:
   * most keyed state has no namespace, and this saves it one Map lookup per access.
   */
  private readonly voidKeys: (KeyMap<V> | undefined)[];
  /** The newest snapshot while it still waits for some key groups as they were. */
  private snapshotting: TableSnapshot | undefined;
  /**
   * Whether the values are time-to-live pairs: set by the state registered with a time-to-live,
   * or, until a state registers, by the snapshot restored.
   */
  ttl = false;
  /** The registered state's time-to-live, if it has one (a table only restored has none yet). */
  ttlConfig: StateTtlConfig | undefined;
  private cleanupCursor: CleanupCursor<V> | undefined;

  constructor(
    readonly name: string,
    readonly kind: StateKind,
    private readonly ctx: KeyContext,
  ) {
    this.groups = new Array<NamespaceMap<V> | undefined>(ctx.numberOfKeyGroups).fill(undefined);
    this.voidKeys = new Array<KeyMap<V> | undefined>(ctx.numberOfKeyGroups).fill(undefined);
  }

  /** The current key's value in the current namespace. */
  get(): V | undefined {
    const ctx = this.ctx;
    const index = ctx.keyGroupIndex;
    if (index < 0) throw new NoCurrentKeyError(`State '${this.name}'`);
    if (this.snapshotting !== undefined) this.snapshotting.capture(index, ctx.namespaceId, ctx.keyId);
    if (ctx.namespaceId === VOID_NAMESPACE) return this.voidKeys[index]?.get(ctx.keyId);
    const namespaces = this.groups[index];
    if (namespaces === undefined) return undefined;
    const keys = namespaces.get(ctx.namespaceId);
    return keys === undefined ? undefined : keys.get(ctx.keyId);
  }

  put(value: V): void {
    this.keyMapForWrite().set(this.ctx.keyId, value);
  }

  /**
   * The Map holding the current namespace's keys, created if missing; for read-modify-write of
   * the current key only (that is the entry a pending snapshot captures).
   */
  keyMapForWrite(): KeyMap<V> {
    const ctx = this.ctx;
    const index = ctx.keyGroupIndex;
    if (index < 0) throw new NoCurrentKeyError(`State '${this.name}'`);
    if (this.snapshotting !== undefined) this.snapshotting.capture(index, ctx.namespaceId, ctx.keyId);
    if (ctx.namespaceId === VOID_NAMESPACE) {
      const keys = this.voidKeys[index];
      if (keys !== undefined) return keys;
    }
    return this.keysFor(index, ctx.namespaceId);
  }

  private keysFor(index: number, namespaceId: KeyId): KeyMap<V> {
    let namespaces = this.groups[index];
    if (namespaces === undefined) {
      namespaces = new Map();
      this.groups[index] = namespaces;
    }
    let keys = namespaces.get(namespaceId);
    if (keys === undefined) {
      keys = new Map();
      namespaces.set(namespaceId, keys);
      if (namespaceId === VOID_NAMESPACE) this.voidKeys[index] = keys;
    }
    return keys;
  }

  remove(): void {
    const ctx = this.ctx;
    const index = ctx.keyGroupIndex;
    if (index < 0) throw new NoCurrentKeyError(`State '${this.name}'`);
    this.removeAt(index, ctx.namespaceId, ctx.keyId);
  }

  getAt(keyGroupIndex: number, namespaceId: KeyId, keyId: KeyId): V | undefined {
    if (this.snapshotting !== undefined) this.snapshotting.capture(keyGroupIndex, namespaceId, keyId);
    return this.groups[keyGroupIndex]?.get(namespaceId)?.get(keyId);
  }

  putAt(keyGroupIndex: number, namespaceId: KeyId, keyId: KeyId, value: V): void {
    if (this.snapshotting !== undefined) this.snapshotting.capture(keyGroupIndex, namespaceId, keyId);
    this.keysFor(keyGroupIndex, namespaceId).set(keyId, value);
  }

  removeAt(keyGroupIndex: number, namespaceId: KeyId, keyId: KeyId): void {
    if (this.snapshotting !== undefined) this.snapshotting.capture(keyGroupIndex, namespaceId, keyId);
    const namespaces = this.groups[keyGroupIndex];
    if (namespaces === undefined) return;
    const keys = namespaces.get(namespaceId);
    if (keys === undefined) return;
    keys.delete(keyId);
    if (keys.size === 0) {
      namespaces.delete(namespaceId);
      if (namespaceId === VOID_NAMESPACE) this.voidKeys[keyGroupIndex] = undefined;
      if (namespaces.size === 0) this.groups[keyGroupIndex] = undefined;
    }
  }

  /** Number of (key, namespace) entries. */
  size(): number {
    let n = 0;
    for (const namespaces of this.groups) {
      if (namespaces === undefined) continue;
      for (const keys of namespaces.values()) n += keys.size;
    }
    return n;
  }

  /**
   * TTL's incremental cleanup (see StateStorage): walks the key groups in order and round again,
   * over live Map iterators, which stay valid while entries are removed or replaced.
   */
  transformIncrementally(count: number, transform: (value: V) => V | undefined): void {
    let cursor = this.cleanupCursor;
    if (cursor === undefined) this.cleanupCursor = cursor = { index: -1, namespaces: undefined, namespaceId: VOID_NAMESPACE, keys: undefined };
    let visited = 0;
    let groupsEntered = 0;
    while (visited < count) {
      if (cursor.keys !== undefined) {
        const next = cursor.keys.next();
        if (next.done !== true) {
          visited++;
          const [keyId, value] = next.value;
          const kept = transform(value);
          // Through removeAt/putAt, so a pending snapshot captures the entry first.
          if (kept === undefined) this.removeAt(cursor.index, cursor.namespaceId, keyId);
          else if (kept !== value) this.putAt(cursor.index, cursor.namespaceId, keyId, kept);
          continue;
        }
        cursor.keys = undefined;
      }
      if (cursor.namespaces !== undefined) {
        const next = cursor.namespaces.next();
        if (next.done !== true) {
          cursor.namespaceId = next.value[0];
          cursor.keys = next.value[1].entries();
          continue;
        }
        cursor.namespaces = undefined;
      }
      // Round every key group once in this call: the table holds fewer than `count` entries.
      if (++groupsEntered > this.groups.length) return;
      cursor.index = cursor.index + 1 >= this.groups.length ? 0 : cursor.index + 1;
      cursor.namespaces = this.groups[cursor.index]?.entries();
    }
  }

  clearAll(): void {
    this.snapshotting?.invalidate(`state '${this.name}' was cleared before its snapshot was written`);
    this.snapshotting = undefined;
    // Its iterators would walk the dropped Maps and write their entries back.
    this.cleanupCursor = undefined;
    this.groups.fill(undefined);
    this.voidKeys.fill(undefined);
  }

  /**
   * A snapshot of the table as it is now, its key groups numbered from `startKeyGroup`. An older
   * snapshot still waiting for key groups is completed first (its checkpoint was given up
   * without this task knowing, or is still being written).
   */
  snapshot(startKeyGroup: number): KeyedStateSnapshotState {
    this.snapshotting?.captureAll();
    const snapshot = new TableSnapshot(
      this.name,
      this.kind,
      this.groups,
      startKeyGroup,
      () => {
        if (this.snapshotting === snapshot) this.snapshotting = undefined;
      },
      this.fullSnapshotCleanup(),
    );
    this.snapshotting = snapshot.waiting > 0 ? snapshot : undefined;
    return this.ttl ? { name: this.name, kind: this.kind, ttl: true, keyGroups: snapshot.keyGroups } : { name: this.name, kind: this.kind, keyGroups: snapshot.keyGroups };
  }

  /** With TTL's `cleanupFullSnapshot`: what a stored value is without what expired by now. */
  private fullSnapshotCleanup(): ((value: unknown) => unknown) | undefined {
    const config = this.ttlConfig;
    if (config === undefined || !config.getCleanupStrategies().inFullSnapshot()) return undefined;
    const kind = this.kind;
    const ttl = config.getTtl();
    const now = this.ctx.ttlTimeProvider.now();
    return (value) => dropExpired(kind, ttl, value, now);
  }
}

/** The canonical form of a stored value (see snapshot.ts); map keys back to the user's. */
function canonicalValue(kind: StateKind, value: unknown): unknown {
  if (kind !== 'MAP') return value;
  const pairs: [unknown, unknown][] = [];
  for (const [id, v] of value as Map<KeyId, unknown>) pairs.push([decodeKeyId(id), v]);
  return pairs;
}

/** An entry encoded on first access after the snapshot, or ABSENT: it was not there. */
const ABSENT = null;
type Captured = Uint8Array | typeof ABSENT;

/**
 * The key groups of one snapshot of a table. A key group is encoded whole once the writer asks
 * for it; before that, single entries are captured on first access (see StateTable).
 */
class TableSnapshot {
  readonly keyGroups: EncodedKeyGroupEntries[] = [];
  /** Key groups not encoded yet. */
  waiting = 0;
  /** By key-group index: the namespaces Map as it was, until the key group is encoded. */
  private readonly sources: (NamespaceMap<unknown> | undefined)[];
  /** By key-group index: entries captured since the snapshot, by namespace id and key id. */
  private readonly captured: (Map<KeyId, Map<KeyId, Captured>> | undefined)[];
  private readonly encoded: (Uint8Array | Error | undefined)[];

  constructor(
    private readonly name: string,
    private readonly kind: StateKind,
    groups: readonly (NamespaceMap<unknown> | undefined)[],
    startKeyGroup: number,
    private readonly onDone: () => void,
    /** Leaves expired TTL values out (undefined: drop the entry); undefined for other tables. */
    private readonly cleanup: ((value: unknown) => unknown) | undefined,
  ) {
    this.sources = groups.slice();
    this.captured = new Array<Map<KeyId, Map<KeyId, Captured>> | undefined>(groups.length).fill(undefined);
    this.encoded = new Array<Uint8Array | Error | undefined>(groups.length).fill(undefined);
    for (let index = 0; index < groups.length; index++) {
      if (groups[index] === undefined) continue;
      this.waiting++;
      const snapshot = this;
      const group = {
        keyGroup: startKeyGroup + index,
        get entries(): readonly KeyedStateEntry[] {
          return snapshot.entries(index);
        },
      };
      // Not enumerable: the group still looks like (and compares as) plain data.
      Object.defineProperty(group, ENCODED_ENTRIES, { value: () => this.bytes(index), enumerable: false });
      this.keyGroups.push(group as EncodedKeyGroupEntries);
    }
  }

  /** Captures one entry as it was, if its key group is still waiting: it is about to be accessed. */
  capture(index: number, namespaceId: KeyId, keyId: KeyId): void {
    const source = this.sources[index];
    if (source === undefined) return;
    let namespaces = this.captured[index];
    if (namespaces === undefined) this.captured[index] = namespaces = new Map();
    let keys = namespaces.get(namespaceId);
    if (keys === undefined) namespaces.set(namespaceId, (keys = new Map()));
    else if (keys.has(keyId)) return;
    const stored = source.get(namespaceId)?.get(keyId);
    const value = stored === undefined || this.cleanup === undefined ? stored : this.cleanup(stored);
    if (value === undefined) {
      keys.set(keyId, ABSENT);
      return;
    }
    try {
      keys.set(keyId, new Uint8Array(encode([decodeKeyId(keyId), decodeKeyId(namespaceId), canonicalValue(this.kind, value)])));
    } catch (error) {
      // The whole key group fails, now: its snapshot cannot be written.
      this.fail(index, new StateSnapshotError(this.name, error));
    }
  }

  /** Encodes key group `index` whole, if it is still waiting. */
  encodeGroup(index: number): void {
    const source = this.sources[index];
    if (source === undefined) return;
    const captured = this.captured[index];
    try {
      const rest = this.canonical(source, captured);
      if (captured === undefined) {
        this.encoded[index] = new Uint8Array(encode(rest));
      } else {
        const early: Uint8Array[] = [];
        for (const keys of captured.values()) for (const bytes of keys.values()) if (bytes !== ABSENT) early.push(bytes);
        this.encoded[index] = joinArrays(early, rest);
      }
    } catch (error) {
      this.fail(index, new StateSnapshotError(this.name, error));
      return;
    }
    this.done(index);
  }

  captureAll(): void {
    for (let index = 0; index < this.sources.length && this.waiting > 0; index++) this.encodeGroup(index);
  }

  /** The state is gone: key groups not encoded yet fail with `reason`. */
  invalidate(reason: string): void {
    for (let index = 0; index < this.sources.length; index++) {
      if (this.sources[index] !== undefined) this.fail(index, new Error(`Cannot write the snapshot: ${reason}.`));
    }
  }

  private fail(index: number, error: Error): void {
    this.encoded[index] = error;
    this.done(index);
  }

  private done(index: number): void {
    this.sources[index] = undefined;
    this.captured[index] = undefined;
    if (--this.waiting === 0) this.onDone();
  }

  /**
   * The entries of key group `index` as plain data of their own. Never encodes: this may run
   * inside an encoder's call (a getter read while the snapshot itself is encoded), and the
   * CBOR encoder is not re-entrant.
   */
  private entries(index: number): readonly KeyedStateEntry[] {
    const source = this.sources[index];
    if (source === undefined) return decode(this.bytes(index)) as KeyedStateEntry[];
    const captured = this.captured[index];
    let rest: KeyedStateEntry[];
    try {
      rest = structuredClone(this.canonical(source, captured));
    } catch (error) {
      throw new StateSnapshotError(this.name, error);
    }
    const early: KeyedStateEntry[] = [];
    for (const keys of captured?.values() ?? []) for (const bytes of keys.values()) if (bytes !== ABSENT) early.push(decode(bytes) as KeyedStateEntry);
    return [...early, ...rest];
  }

  /** The entries of `source` not captured since the snapshot, in canonical form (not copied). */
  private canonical(source: NamespaceMap<unknown>, captured: Map<KeyId, Map<KeyId, Captured>> | undefined): KeyedStateEntry[] {
    const entries: KeyedStateEntry[] = [];
    for (const [namespaceId, keys] of source) {
      const namespace = decodeKeyId(namespaceId);
      const skip = captured?.get(namespaceId);
      for (const [keyId, stored] of keys) {
        if (skip?.has(keyId) === true) continue;
        const value = this.cleanup === undefined ? stored : this.cleanup(stored);
        if (value === undefined) continue;
        entries.push([decodeKeyId(keyId), namespace, canonicalValue(this.kind, value)]);
      }
    }
    return entries;
  }

  private bytes(index: number): Uint8Array {
    this.encodeGroup(index);
    const encoded = this.encoded[index];
    if (encoded instanceof Error) throw encoded;
    return encoded!;
  }
}

/**
 * One CBOR array of the separately encoded items `early` followed by the items of `rest`:
 * a definite-length header, then the items' bytes as they are.
 */
function joinArrays(early: readonly Uint8Array[], rest: readonly unknown[]): Uint8Array {
  const tail = encode(rest);
  const skip = arrayHeaderLength(tail, rest.length);
  const header = cborHead(4, early.length + rest.length);
  let size = header.length + tail.length - skip;
  for (const item of early) size += item.length;
  const out = new Uint8Array(size);
  out.set(header, 0);
  let at = header.length;
  for (const item of early) {
    out.set(item, at);
    at += item.length;
  }
  out.set(tail.subarray(skip), at);
  return out;
}

/** The length of the definite-length header of an encoded array of `n` items. */
function arrayHeaderLength(bytes: Uint8Array, n: number): number {
  const first = bytes[0]!;
  const length = first <= 0x97 ? 1 : first === 0x98 ? 2 : first === 0x99 ? 3 : first === 0x9a ? 5 : 0;
  if (first < 0x80 || length === 0 || decodeLength(bytes, length) !== n) throw new Error(`not a definite-length CBOR array of ${n} items`);
  return length;
}

function decodeLength(bytes: Uint8Array, headerLength: number): number {
  if (headerLength === 1) return bytes[0]! - 0x80;
  let n = 0;
  for (let i = 1; i < headerLength; i++) n = n * 256 + bytes[i]!;
  return n;
}
