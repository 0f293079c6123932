/**
 * The current key and namespace of a keyed backend, shared by its state objects and timer
 * services. `setKey` is the one place per record where the key's hash, key group and identity are
 * computed; every state access after it is an array index and Map lookups on cached fields.
 */
import { KeyGroupOutOfRangeError } from './errors.js';
import { computeKeyGroupForKeyHash, hashKey, type KeyGroupRange } from './key-groups.js';
import { describeKey, keyIdentity, type KeyId } from './key-identity.js';
import { systemTtlTimeProvider, type TtlTimeProvider } from './ttl/ttl-value.js';

/** The namespace of state that is not scoped to a window (Flink's `VoidNamespace`). */
export const VOID_NAMESPACE = null;
export type VoidNamespace = typeof VOID_NAMESPACE;

export class KeyContext {
  /** The key as given to `setKey`. */
  key: unknown = undefined;
  keyId: KeyId = undefined;
  keyGroup = -1;
  /** `keyGroup - startKeyGroup`: the slot in per-key-group arrays; -1 while no key is set. */
  keyGroupIndex = -1;
  namespace: unknown = VOID_NAMESPACE;
  namespaceId: KeyId = VOID_NAMESPACE;

  readonly startKeyGroup: number;
  readonly numberOfKeyGroups: number;

  constructor(
    readonly keyGroupRange: KeyGroupRange,
    readonly maxParallelism: number,
    /** The clock of state time-to-live (processing time); tests inject their own. */
    readonly ttlTimeProvider: TtlTimeProvider = systemTtlTimeProvider,
  ) {
    this.startKeyGroup = keyGroupRange.startKeyGroup;
    this.numberOfKeyGroups = keyGroupRange.size;
  }

  setKey(key: unknown): void {
    const keyGroup = computeKeyGroupForKeyHash(hashKey(key), this.maxParallelism);
    const index = keyGroup - this.startKeyGroup;
    if (index < 0 || index >= this.numberOfKeyGroups) {
      throw new KeyGroupOutOfRangeError(describeKey(key), keyGroup, this.startKeyGroup, this.keyGroupRange.endKeyGroup, this.maxParallelism);
    }
    this.keyId = keyIdentity(key, 'key');
    this.key = key;
    this.keyGroup = keyGroup;
    this.keyGroupIndex = index;
  }

  /** Sets a key whose identity and key group are already known (timers, key iteration). */
  setResolvedKey(key: unknown, keyId: KeyId, keyGroupIndex: number): void {
    this.key = key;
    this.keyId = keyId;
    this.keyGroupIndex = keyGroupIndex;
    this.keyGroup = keyGroupIndex < 0 ? -1 : keyGroupIndex + this.startKeyGroup;
  }

  setNamespace(namespace: unknown): void {
    // Windows set the same namespace several times per record: primitives need no new identity.
    if (namespace === this.namespace && typeof namespace !== 'object') return;
    this.namespaceId = keyIdentity(namespace, 'namespace');
    this.namespace = namespace;
  }

  setResolvedNamespace(namespace: unknown, namespaceId: KeyId): void {
    this.namespace = namespace;
    this.namespaceId = namespaceId;
  }

  /** Forgets the current key (after a restore or dispose); the namespace goes back to void. */
  reset(): void {
    this.setResolvedKey(undefined, undefined, -1);
    this.setResolvedNamespace(VOID_NAMESPACE, VOID_NAMESPACE);
  }
}
