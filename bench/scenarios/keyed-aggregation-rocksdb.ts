/**
 * `keyed-aggregation-rocksdb` and `keyed-aggregation-rocksdb-large`: the cost of keeping keyed
 * state in RocksDB (`state.backend.type: rocksdb`) rather than on the heap (`hashmap`, the
 * baseline). Both run the checkpointing scenario's job (bench/jobs/checkpointing.ts: sequence ->
 * (key, 1) -> keyBy -> running sum in keyed state (reduce) -> counting sink, parallelism 2 on the
 * mini-cluster's thread slots, a process of its own, `enableCheckpointing(1000)` EXACTLY_ONCE),
 * identical but for the backend, over the same records; rounds alternate between the two
 * backends and each reports its median round. Timed from the first source record to the last
 * sink record. Target (issue): ratio >= 0.5.
 *
 * - `keyed-aggregation-rocksdb`: 10,000 keys, well within `state.backend.rocksdb.resident-keys`
 *   (default 100,000 per task): the working set stays decoded on the heap, RocksDB is written at
 *   checkpoints only.
 * - `keyed-aggregation-rocksdb-large`: more keys per task than resident keys (1,000,000 keys,
 *   resident-keys 100,000, 1,500,000 records; quick: 200,000 keys, resident-keys 20,000, 400,000
 *   records), keys in turn (n mod keys), so nearly every record reads its key from RocksDB (or
 *   finds it missing there) and evicts another. One round each (~50 s; quick ~11 s).
 *
 * Extra: keys, resident keys, both rates, both processes' peak RSS, the checkpoints completed
 * and their durations (the coordinator's "Completed checkpoint" log lines) and bytes, for both.
 */
import { medianBy, spreadPct, type Scenario, type ScenarioResult } from '../harness.js';
import { checkpointMsMedian, measured, rate, runCheckpointJob, type CheckpointRun } from './checkpointing.js';

const INTERVAL_MS = 1000;
const PARALLELISM = 2;

interface Sizes {
  keys: number;
  /** `state.backend.rocksdb.resident-keys`; undefined: the default (100,000). */
  residentKeys?: number;
  records: number;
  rounds: number;
}

async function compareBackends({ keys, residentKeys, records, rounds }: Sizes): Promise<ScenarioResult> {
  const rocksdbConfig: Record<string, string> = { 'state.backend.type': 'rocksdb' };
  if (residentKeys !== undefined) rocksdbConfig['state.backend.rocksdb.resident-keys'] = String(residentKeys);
  const run = (config: Record<string, string>, n: number) => runCheckpointJob(n, INTERVAL_MS, PARALLELISM, { keys, config });
  // Warm-up (small, whatever the sizes): file caches, tsx's transform cache, the RocksDB binding.
  await runCheckpointJob(500_000, INTERVAL_MS, PARALLELISM, { config: { 'state.backend.type': 'rocksdb' } });
  const hashmap: CheckpointRun[] = [];
  const rocksdb: CheckpointRun[] = [];
  for (let i = 0; i < rounds; i++) {
    hashmap.push(await run({ 'state.backend.type': 'hashmap' }, records));
    rocksdb.push(await run(rocksdbConfig, records));
  }
  const job = medianBy(rocksdb, rate);
  const base = medianBy(hashmap, rate);
  const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
  return {
    ...measured(job),
    baseline: { name: 'hashmap state', ...measured(base) },
    extra: {
      keys,
      residentKeys: residentKeys ?? 100_000,
      rocksdbPerSecond: rate(job),
      hashmapPerSecond: rate(base),
      peakRssMb: mb(job.maxRssBytes),
      baselinePeakRssMb: mb(base.maxRssBytes),
      intervalMs: INTERVAL_MS,
      checkpointsCompleted: job.completed.length,
      checkpointsFailed: job.failed,
      checkpointMsMedian: checkpointMsMedian(job),
      checkpointMsMax: Math.max(0, ...job.completed.map((c) => c.ms)),
      checkpointBytes: job.completed.at(-1)?.bytes ?? 0,
      baselineCheckpointsCompleted: base.completed.length,
      baselineCheckpointMsMedian: checkpointMsMedian(base),
      baselineCheckpointBytes: base.completed.at(-1)?.bytes ?? 0,
      processSeconds: job.processSeconds,
      baselineProcessSeconds: base.processSeconds,
      roundsPerSecond: rocksdb.map((r) => Math.round(rate(r))).join(','),
      baselineRoundsPerSecond: hashmap.map((r) => Math.round(rate(r))).join(','),
      roundsSpreadPct: spreadPct(rocksdb.map(rate)),
      baselineSpreadPct: spreadPct(hashmap.map(rate)),
    },
  };
}

export const keyedAggregationRocksdb: Scenario = {
  name: 'keyed-aggregation-rocksdb',
  description: `keyBy -> running sum over 10,000 keys (resident) on 2 thread slots with RocksDB keyed state, checkpoints every ${INTERVAL_MS} ms, vs the same job with hashmap state`,
  async run({ quick }) {
    return compareBackends({ keys: 10_000, records: quick ? 10_000_000 : 20_000_000, rounds: quick ? 1 : 3 });
  },
};

export const keyedAggregationRocksdbLarge: Scenario = {
  name: 'keyed-aggregation-rocksdb-large',
  description: `keyBy -> running sum over 1,000,000 keys (quick 200,000), 10 x resident-keys, on 2 thread slots with RocksDB keyed state, checkpoints every ${INTERVAL_MS} ms, vs the same job with hashmap state`,
  async run({ quick }) {
    return compareBackends(quick ? { keys: 200_000, residentKeys: 20_000, records: 400_000, rounds: 1 } : { keys: 1_000_000, residentKeys: 100_000, records: 1_500_000, rounds: 1 });
  },
};
