/**
 * Every option Runnel knows, so that configurations can be checked as a whole and a
 * misspelt key can be answered with the key that was probably meant.
 */
import { distance } from 'fastest-levenshtein';
import { CheckpointingOptions, StateBackendOptions } from './checkpointing-options.js';
import {
  BlobServerOptions,
  HeartbeatManagerOptions,
  JobManagerOptions,
  RestOptions,
  RpcOptions,
  TaskManagerOptions,
} from './cluster-options.js';
import { CoreOptions, ExecutionOptions, PipelineOptions } from './execution-options.js';
import { HighAvailabilityOptions } from './high-availability-options.js';
import { LogOptions, MetricOptions, TraceOptions } from './observability-options.js';
import type { ConfigOption } from './options.js';
import { RestartStrategyOptions } from './restart-options.js';

export const KNOWN_OPTIONS: readonly ConfigOption<unknown>[] = Object.freeze(
  [
    JobManagerOptions,
    RestOptions,
    BlobServerOptions,
    TaskManagerOptions,
    HeartbeatManagerOptions,
    RpcOptions,
    CoreOptions,
    PipelineOptions,
    ExecutionOptions,
    CheckpointingOptions,
    StateBackendOptions,
    RestartStrategyOptions,
    HighAvailabilityOptions,
    MetricOptions,
    TraceOptions,
    LogOptions,
  ].flatMap((group): ConfigOption<unknown>[] => Object.values(group)),
);

const byKey = new Map<string, ConfigOption<unknown>>(KNOWN_OPTIONS.map((o) => [o.key, o]));
const byFallbackKey = new Map<string, ConfigOption<unknown>>(
  KNOWN_OPTIONS.flatMap((o) => (o.fallbackKeys ?? []).map((k): [string, ConfigOption<unknown>] => [k, o])),
);

/** The option whose key is `key`, if Runnel knows it. */
export function findOption(key: string): ConfigOption<unknown> | undefined {
  return byKey.get(key);
}

/** The option that still reads `key` as a deprecated fallback, if any. */
export function findOptionByFallbackKey(key: string): ConfigOption<unknown> | undefined {
  return byFallbackKey.get(key);
}

/**
 * The known key nearest to `key` by edit distance, ignoring case, or undefined when none is
 * near enough to be a plausible typo (a quarter of the key's length, at least 2 edits).
 */
export function closestKnownKey(key: string): string | undefined {
  const wanted = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const known of byKey.keys()) {
    const d = distance(wanted, known.toLowerCase());
    if (d < bestDistance || (d === bestDistance && best !== undefined && known < best)) {
      best = known;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 4)) ? best : undefined;
}
