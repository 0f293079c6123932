/**
 * State: key groups, state descriptors and interfaces, the heap (`hashmap`) keyed state backend,
 * operator state with its redistribution rules, timers, and the canonical snapshot form that
 * checkpoints and savepoints carry. Everything runs synchronously on a task's thread.
 */
export {
  InvalidKeyGroupRangeError,
  InvalidParallelismError,
  InvalidStateValueError,
  InvalidTimestampError,
  KeyGroupOutOfRangeError,
  NoCurrentKeyError,
  StateDescriptorError,
  StateKindMismatchError,
  StateRestoreError,
  StateSnapshotError,
  StateTtlConfigError,
  UnknownStateError,
  UnsupportedKeyError,
} from './errors.js';
export type { KeyRole } from './errors.js';

export {
  assignKeyToParallelOperator,
  assignToKeyGroup,
  checkKeyGroupRange,
  checkParallelismPreconditions,
  computeDefaultMaxParallelism,
  computeKeyGroupForKeyHash,
  computeKeyGroupRangeForOperatorIndex,
  computeOperatorIndexForKeyGroup,
  hashBigInt,
  hashKey,
  hashNumber,
  hashString,
  KeyGroupRange,
  MAX_KEY_DEPTH,
  murmurHash,
  UPPER_BOUND_MAX_PARALLELISM,
} from './key-groups.js';
export type { KeyGroupRangeData } from './key-groups.js';

export { decodeKeyId, describeKey, keyIdentity } from './key-identity.js';
export type { KeyId } from './key-identity.js';

export {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StateDescriptor,
  ValueStateDescriptor,
} from './descriptors.js';
export type { AggregateFunction, AnyStateDescriptor, StateReduceFunction } from './descriptors.js';

export {
  checkTtlCompatibility,
  CleanupStrategies,
  dropExpired,
  IncrementalCleanupStrategy,
  isExpired,
  RocksdbCompactFilterCleanupStrategy,
  StateTtlConfig,
  StateTtlConfigBuilder,
  systemTtlTimeProvider,
  TtlCompactionFilter,
  ttlCompactionFilterFor,
} from './ttl/index.js';
export type { TtlStateVisibility, TtlTimeCharacteristic, TtlTimeProvider, TtlUpdateType, TtlValue } from './ttl/index.js';

export type {
  AggregatingState,
  AppendingState,
  BroadcastState,
  KeyedStateFunction,
  ListState,
  MapState,
  MergingState,
  ReducingState,
  State,
  StateKind,
  StringKeyedRecord,
  ValueState,
} from './state.js';

export { VOID_NAMESPACE } from './key-context.js';
export type { VoidNamespace } from './key-context.js';
export type { KeyedStateBackend, KeyedStateStore } from './keyed-backend.js';
export { HeapKeyedStateBackend } from './heap-backend.js';
export type { HeapKeyedStateBackendOptions } from './heap-backend.js';
export { RocksDBKeyedStateBackend } from './rocksdb/backend.js';
export type { RocksDBBackendOptions } from './rocksdb/backend.js';

export { InternalTimerService, MIN_WATERMARK } from './timers.js';
export type { TimeDomain, TimerCallback } from './timers.js';

export { OPERATOR_STATE_SNAPSHOT_VERSION, OperatorStateBackend, redistributeOperatorState } from './operator-state.js';
export type { OperatorStateMode, OperatorStateSnapshot, OperatorStateSnapshotState } from './operator-state.js';

export { DeferredKeyedSnapshot, ENCODED_ENTRIES, encodedEntries, INCREMENTAL_HANDLE_FORMAT, isIncrementalHandle, KEYED_STATE_SNAPSHOT_VERSION } from './snapshot.js';
export type {
  EncodedKeyGroupEntries,
  IncrementalKeyedStateHandle,
  IncrementalTarget,
  IncrementalUpload,
  KeyedStateEntry,
  KeyedStateHandle,
  KeyedStateSnapshot,
  KeyedStateSnapshotState,
  KeyGroupEntries,
  KeyGroupTimers,
  StateFileRef,
  TimerEntry,
  TimerServiceSnapshot,
} from './snapshot.js';
