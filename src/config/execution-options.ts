/**
 * How jobs run by default: parallelism, runtime mode, watermarks and output buffering.
 * Jobs override these through the DataStream API; these are the cluster-wide defaults.
 */
import { option } from './options.js';
import { durationType, enumType, integerType } from './types.js';

/** Key groups cap: 2^15, as in Flink, so key-group ids fit in 15 bits. */
export const UPPER_BOUND_MAX_PARALLELISM = 32_768;

export const CoreOptions = {
  DEFAULT_PARALLELISM: option({
    key: 'parallelism.default',
    type: integerType({ min: 1 }),
    default: 1,
    description: 'Parallelism of operators and jobs that do not set their own.',
  }),
} as const;

export const PipelineOptions = {
  MAX_PARALLELISM: option({
    key: 'pipeline.max-parallelism',
    type: integerType({ min: 1, max: UPPER_BOUND_MAX_PARALLELISM }),
    default: 128,
    description: 'Number of key groups, and so the highest parallelism a keyed job can be rescaled to.',
  }),
  AUTO_WATERMARK_INTERVAL: option({
    key: 'pipeline.auto-watermark-interval',
    type: durationType(),
    default: 200,
    description: 'How often periodic watermark generators emit a watermark; 0 turns periodic watermarks off.',
  }),
} as const;

export const ExecutionOptions = {
  RUNTIME_MODE: option({
    key: 'execution.runtime-mode',
    type: enumType(['STREAMING', 'BATCH', 'AUTOMATIC']),
    default: 'STREAMING',
    description: 'Run jobs as unbounded streams, as batch jobs, or pick batch when every source is bounded.',
  }),
  BUFFER_TIMEOUT: option({
    key: 'execution.buffer-timeout.interval',
    type: durationType(),
    default: 100,
    description: 'Longest time a partly filled output buffer waits before it is flushed downstream.',
  }),
} as const;
