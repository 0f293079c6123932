/**
 * Storage of one keyed state on the heap, partitioned by key group so snapshots and rescaling
 * work one key group at a time: for each key group the backend owns, a Map from namespace id to
 * a Map from key id to the stored value (created on first write; emptied maps are dropped, so
 * iteration and snapshots only ever see live entries).
 */
import { NoCurrentKeyError } from './errors.js';
import { VOID_NAMESPACE, type KeyContext } from './key-context.js';
import type { KeyId } from './key-identity.js';
import type { StateKind } from './state.js';

export type KeyMap<V> = Map<KeyId, V>;
export type NamespaceMap<V> = Map<KeyId, KeyMap<V>>;

export class StateTable<V> {
  /** Indexed by `keyGroup - startKeyGroup`. */
  readonly groups: (NamespaceMap<V> | undefined)[];
  /**
   * The void namespace's key map of each key group, the same Map objects as in `groups`:
   * most keyed state has no namespace, and this saves it one Map lookup per access.
   */
  private readonly voidKeys: (KeyMap<V> | undefined)[];

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
    if (ctx.namespaceId === VOID_NAMESPACE) return this.voidKeys[index]?.get(ctx.keyId);
    const namespaces = this.groups[index];
    if (namespaces === undefined) return undefined;
    const keys = namespaces.get(ctx.namespaceId);
    return keys === undefined ? undefined : keys.get(ctx.keyId);
  }

  put(value: V): void {
    this.keyMapForWrite().set(this.ctx.keyId, value);
  }

  /** The Map holding the current namespace's keys, created if missing; for read-modify-write. */
  keyMapForWrite(): KeyMap<V> {
    const ctx = this.ctx;
    const index = ctx.keyGroupIndex;
    if (index < 0) throw new NoCurrentKeyError(`State '${this.name}'`);
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
    return this.groups[keyGroupIndex]?.get(namespaceId)?.get(keyId);
  }

  putAt(keyGroupIndex: number, namespaceId: KeyId, keyId: KeyId, value: V): void {
    this.keysFor(keyGroupIndex, namespaceId).set(keyId, value);
  }

  removeAt(keyGroupIndex: number, namespaceId: KeyId, keyId: KeyId): void {
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

  clearAll(): void {
    this.groups.fill(undefined);
    this.voidKeys.fill(undefined);
  }
}
