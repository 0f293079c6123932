/**
 * What happens when a job fails. With no `restart-strategy.type`, consumers follow Flink:
 * exponential-delay when checkpointing is on, none otherwise.
 */
import { CheckpointingOptions } from './checkpointing-options.js';
import type { Configuration } from './configuration.js';
import { option } from './options.js';
import { durationType, enumType, floatType, integerType } from './types.js';

/** Java's Integer.MAX_VALUE, Flink's default for "practically never". */
const INT_MAX = 2_147_483_647;

export const RestartStrategyOptions = {
  RESTART_STRATEGY: option({
    key: 'restart-strategy.type',
    type: enumType(['none', 'fixed-delay', 'exponential-delay', 'failure-rate'], {
      off: 'none',
      disable: 'none',
      fixeddelay: 'fixed-delay',
      exponentialdelay: 'exponential-delay',
      failurerate: 'failure-rate',
    }),
    description: 'How failed jobs restart; when unset, exponential-delay with checkpointing and none without.',
  }),
  FIXED_DELAY_ATTEMPTS: option({
    key: 'restart-strategy.fixed-delay.attempts',
    type: integerType({ min: 0 }),
    default: 1,
    description: 'Restarts tried by the fixed-delay strategy before the job is declared failed.',
  }),
  FIXED_DELAY_DELAY: option({
    key: 'restart-strategy.fixed-delay.delay',
    type: durationType(),
    default: 1_000,
    description: 'Wait between two restarts of the fixed-delay strategy.',
  }),
  EXPONENTIAL_DELAY_INITIAL_BACKOFF: option({
    key: 'restart-strategy.exponential-delay.initial-backoff',
    type: durationType(),
    default: 1_000,
    description: 'Wait before the first restart of the exponential-delay strategy.',
  }),
  EXPONENTIAL_DELAY_MAX_BACKOFF: option({
    key: 'restart-strategy.exponential-delay.max-backoff',
    type: durationType(),
    default: 60_000,
    description: 'Longest wait between restarts of the exponential-delay strategy.',
  }),
  EXPONENTIAL_DELAY_BACKOFF_MULTIPLIER: option({
    key: 'restart-strategy.exponential-delay.backoff-multiplier',
    type: floatType({ min: 1 }),
    default: 1.5,
    description: 'Factor by which the wait grows after each restart.',
  }),
  EXPONENTIAL_DELAY_RESET_BACKOFF_THRESHOLD: option({
    key: 'restart-strategy.exponential-delay.reset-backoff-threshold',
    type: durationType(),
    default: 3_600_000,
    description: 'After running this long without failure, the wait goes back to the initial backoff.',
  }),
  EXPONENTIAL_DELAY_JITTER_FACTOR: option({
    key: 'restart-strategy.exponential-delay.jitter-factor',
    type: floatType({ min: 0, max: 1 }),
    default: 0.1,
    description: 'Random share added to or taken from each wait so that many jobs do not restart in step.',
  }),
  EXPONENTIAL_DELAY_ATTEMPTS: option({
    key: 'restart-strategy.exponential-delay.attempts-before-reset-backoff',
    type: integerType({ min: 1 }),
    default: INT_MAX,
    description: 'Restarts tried before the job is declared failed, counted since the last backoff reset.',
  }),
  FAILURE_RATE_MAX_FAILURES_PER_INTERVAL: option({
    key: 'restart-strategy.failure-rate.max-failures-per-interval',
    type: integerType({ min: 1 }),
    default: 1,
    description: 'Failures allowed within one interval before the job is declared failed.',
  }),
  FAILURE_RATE_FAILURE_RATE_INTERVAL: option({
    key: 'restart-strategy.failure-rate.failure-rate-interval',
    type: durationType(),
    default: 60_000,
    description: 'Window over which the failure-rate strategy counts failures.',
  }),
  FAILURE_RATE_DELAY: option({
    key: 'restart-strategy.failure-rate.delay',
    type: durationType(),
    default: 1_000,
    description: 'Wait between two restarts of the failure-rate strategy.',
  }),
} as const;

/** A job's restart strategy as plain data: it travels with the JobGraph to the JobMaster. */
export type RestartStrategySpec =
  | { readonly type: 'none' }
  | { readonly type: 'fixed-delay'; readonly attempts: number; readonly delayMs: number }
  | {
      readonly type: 'exponential-delay';
      readonly initialBackoffMs: number;
      readonly maxBackoffMs: number;
      readonly multiplier: number;
      readonly resetBackoffThresholdMs: number;
      readonly jitterFactor: number;
      readonly attemptsBeforeReset: number;
    }
  | { readonly type: 'failure-rate'; readonly maxFailuresPerInterval: number; readonly intervalMs: number; readonly delayMs: number };

/**
 * The restart strategy `config` describes. Unset, it is Flink's default: exponential-delay
 * when checkpointing is on (`execution.checkpointing.interval`), none otherwise.
 */
export function readRestartStrategy(config: Configuration, checkpointing = config.getOptional(CheckpointingOptions.INTERVAL) !== undefined): RestartStrategySpec {
  const O = RestartStrategyOptions;
  const type = config.getOptional(O.RESTART_STRATEGY) ?? (checkpointing ? 'exponential-delay' : 'none');
  switch (type) {
    case 'none':
      return { type };
    case 'fixed-delay':
      return { type, attempts: config.get(O.FIXED_DELAY_ATTEMPTS), delayMs: config.get(O.FIXED_DELAY_DELAY) };
    case 'exponential-delay':
      return {
        type,
        initialBackoffMs: config.get(O.EXPONENTIAL_DELAY_INITIAL_BACKOFF),
        maxBackoffMs: config.get(O.EXPONENTIAL_DELAY_MAX_BACKOFF),
        multiplier: config.get(O.EXPONENTIAL_DELAY_BACKOFF_MULTIPLIER),
        resetBackoffThresholdMs: config.get(O.EXPONENTIAL_DELAY_RESET_BACKOFF_THRESHOLD),
        jitterFactor: config.get(O.EXPONENTIAL_DELAY_JITTER_FACTOR),
        attemptsBeforeReset: config.get(O.EXPONENTIAL_DELAY_ATTEMPTS),
      };
    case 'failure-rate':
      return {
        type,
        maxFailuresPerInterval: config.get(O.FAILURE_RATE_MAX_FAILURES_PER_INTERVAL),
        intervalMs: config.get(O.FAILURE_RATE_FAILURE_RATE_INTERVAL),
        delayMs: config.get(O.FAILURE_RATE_DELAY),
      };
  }
}
