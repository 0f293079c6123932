/**
 * Checkpoints, savepoints and the state backend that they snapshot. Older `state.*` keys
 * are still read as fallbacks, as Flink does since it moved them under
 * `execution.checkpointing.*`.
 */
import { option } from './options.js';
import { booleanType, durationType, enumType, integerType, pathType } from './types.js';

export const CheckpointingOptions = {
  INTERVAL: option({
    key: 'execution.checkpointing.interval',
    type: durationType(),
    description: 'Time between the starts of two checkpoints; checkpointing is off when unset.',
  }),
  MODE: option({
    key: 'execution.checkpointing.mode',
    type: enumType(['EXACTLY_ONCE', 'AT_LEAST_ONCE']),
    default: 'EXACTLY_ONCE',
    description: 'Whether barriers are aligned (exactly once) or not waited for (at least once).',
  }),
  CHECKPOINTS_DIRECTORY: option({
    key: 'execution.checkpointing.dir',
    type: pathType(),
    fallbackKeys: ['state.checkpoints.dir'],
    description: 'Directory where checkpoint data and metadata are written.',
  }),
  SAVEPOINT_DIRECTORY: option({
    key: 'execution.checkpointing.savepoint-dir',
    type: pathType(),
    fallbackKeys: ['state.savepoints.dir'],
    description: 'Default directory for savepoints triggered without a target directory.',
  }),
  MAX_RETAINED_CHECKPOINTS: option({
    key: 'execution.checkpointing.num-retained',
    type: integerType({ min: 1 }),
    default: 1,
    fallbackKeys: ['state.checkpoints.num-retained'],
    description: 'Number of completed checkpoints kept; older ones are deleted.',
  }),
  TIMEOUT: option({
    key: 'execution.checkpointing.timeout',
    type: durationType(),
    default: 600_000,
    description: 'A checkpoint not completed within this time is aborted.',
  }),
  MIN_PAUSE: option({
    key: 'execution.checkpointing.min-pause',
    type: durationType(),
    default: 0,
    description: 'Least time between the end of one checkpoint and the start of the next.',
  }),
  MAX_CONCURRENT_CHECKPOINTS: option({
    key: 'execution.checkpointing.max-concurrent-checkpoints',
    type: integerType({ min: 1 }),
    default: 1,
    description: 'How many checkpoints may be in progress at once.',
  }),
  TOLERABLE_FAILED_CHECKPOINTS: option({
    key: 'execution.checkpointing.tolerable-failed-checkpoints',
    type: integerType({ min: 0 }),
    default: 0,
    description: 'Consecutive checkpoint failures accepted before the job is failed.',
  }),
} as const;

export const StateBackendOptions = {
  STATE_BACKEND: option({
    key: 'state.backend.type',
    type: enumType(['hashmap', 'rocksdb']),
    default: 'hashmap',
    fallbackKeys: ['state.backend'],
    description: 'Where keyed state lives: in memory (hashmap) or in embedded RocksDB on local disk.',
  }),
  ROCKSDB_LOCAL_DIRECTORIES: option({
    key: 'state.backend.rocksdb.localdir',
    type: pathType(),
    description: "Local directory for RocksDB's working files; a folder under the temp directory when unset.",
  }),
  INCREMENTAL: option({
    key: 'state.backend.incremental',
    type: booleanType(),
    default: false,
    description: 'Checkpoint only what changed since the last checkpoint, where the backend supports it.',
  }),
  ROCKSDB_RESIDENT_KEYS: option({
    key: 'state.backend.rocksdb.resident-keys',
    type: integerType({ min: 1 }),
    default: 100_000,
    description: "Keys per task whose state the RocksDB backend keeps decoded in memory; the least recently used are written back and dropped beyond it.",
  }),
  ROCKSDB_TIMER_SERVICE_FACTORY: option({
    key: 'state.backend.rocksdb.timer-service.factory',
    type: enumType(['ROCKSDB', 'HEAP']),
    default: 'ROCKSDB',
    description: 'Where the RocksDB backend keeps timers: in RocksDB, with the earliest of each key group in memory (ROCKSDB), or all on the heap (HEAP).',
  }),
} as const;
