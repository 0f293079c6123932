/**
 * `window-timers-rocksdb`: the cost of keeping timers in RocksDB rows
 * (`state.backend.rocksdb.timer-service.factory: ROCKSDB`, the default of the RocksDB backend:
 * each key group's earliest 128 timers per time domain in memory, the rest as rows) rather than
 * all on the heap (`HEAP`, the baseline). Both run bench/jobs/window-timers.ts with RocksDB keyed
 * state: sequence -> (key, 1, n) with event time n, monotonous timestamps (a watermark every
 * 200 ms) -> keyBy over 200,000 keys (n mod keys; quick 50,000) -> tumbling event-time windows of
 * as many milliseconds as keys -> reduce (sum) -> counting sink, parallelism 2 on the
 * mini-cluster's thread slots, a process of its own, `enableCheckpointing(1000)` EXACTLY_ONCE,
 * identical but for the timer factory, over the same records. A window of as many records as
 * keys holds each key once: every record registers a timer (the trigger's at the window's end;
 * the cleanup timer, at the same time with no allowed lateness, collapses into it), so each task
 * holds a timer per key of its own while a window is open (100,000 per task; quick 25,000), and
 * every window fires that many at once. Rounds alternate between the two factories and each
 * reports its median round; timed from the first source record to the last window result.
 *
 * A run fails unless its sinks saw one result per (key, window) and the results sum up to the
 * records read.
 *
 * Extra: keys, window size, windows, both rates, both processes' peak RSS, the timers each task
 * fired at once for one window (the smallest over tasks of the largest over windows: timers that
 * were all registered at the same time), when the first window fired, the checkpoints completed
 * and their durations and bytes, for both.
 */
import { fileURLToPath } from 'node:url';
import { medianBy, spreadPct, type Scenario, type ScenarioResult } from '../harness.js';
import { checkpointMsMedian, measured, rate, runCheckpointJob, type CheckpointRun } from './checkpointing.js';

const JOB = fileURLToPath(new URL('../jobs/window-timers.ts', import.meta.url));
const INTERVAL_MS = 1000;
const PARALLELISM = 2;

interface Sizes {
  keys: number;
  /** Tumbling window size in event-time milliseconds = records per window (event time n). */
  windowMs: number;
  records: number;
  rounds: number;
}

type TimerFactory = 'ROCKSDB' | 'HEAP';

interface WindowRun extends CheckpointRun {
  /** The fewest, over tasks, of the most results one task emitted for one window. */
  timersAtOncePerTask: number;
  windows: number;
  /** Seconds from the first source record to the first window result. */
  firstResultSeconds: number;
}

/** Window results of the sequence 0..records-1 keyed by n mod keys: the distinct keys of each window. */
export function expectedResults(records: number, keys: number, windowMs: number): number {
  let results = 0;
  for (let start = 0; start < records; start += windowMs) results += Math.min(Math.min(windowMs, records - start), keys);
  return results;
}

function reportNumber(report: Record<string, unknown>, field: string): number {
  const value = report[field];
  if (typeof value !== 'number') throw new Error(`the window-timers job's slot report has no number '${field}'`);
  return value;
}

function reportBigInt(report: Record<string, unknown>, field: string): bigint {
  const value = report[field];
  if (typeof value !== 'string') throw new Error(`the window-timers job's slot report has no '${field}'`);
  return BigInt(value);
}

async function runWindowJob({ keys, windowMs, records }: Sizes, factory: TimerFactory): Promise<WindowRun> {
  const config = { 'state.backend.type': 'rocksdb', 'state.backend.rocksdb.timer-service.factory': factory };
  const run = await runCheckpointJob(records, INTERVAL_MS, PARALLELISM, {
    job: JOB,
    keys,
    config,
    args: [String(windowMs)],
    sinkRecords: expectedResults(records, keys, windowMs),
  });
  const summed = run.reports.reduce((n, r) => n + reportNumber(r, 'summed'), 0);
  if (summed !== records) throw new Error(`the window-timers job's window results (${factory} timers) sum up to ${summed} of ${records} records`);
  const sourceStart = run.reports.flatMap((r) => (r.sourceStartNs === null ? [] : [BigInt(r.sourceStartNs)])).reduce((a, b) => (a < b ? a : b));
  const firstResult = run.reports.map((r) => reportBigInt(r, 'firstResultNs')).reduce((a, b) => (a < b ? a : b));
  return {
    ...run,
    timersAtOncePerTask: Math.min(...run.reports.map((r) => reportNumber(r, 'maxPerWindow'))),
    windows: Math.max(...run.reports.map((r) => reportNumber(r, 'windows'))),
    firstResultSeconds: Number(firstResult - sourceStart) / 1e9,
  };
}

async function compareTimerFactories(sizes: Sizes): Promise<ScenarioResult> {
  // Warm-up (small, whatever the sizes): file caches, tsx's transform cache, the RocksDB binding.
  await runWindowJob({ keys: 10_000, windowMs: 10_000, records: 100_000, rounds: 1 }, 'ROCKSDB');
  const heap: WindowRun[] = [];
  const rocksdb: WindowRun[] = [];
  for (let i = 0; i < sizes.rounds; i++) {
    heap.push(await runWindowJob(sizes, 'HEAP'));
    rocksdb.push(await runWindowJob(sizes, 'ROCKSDB'));
  }
  const job = medianBy(rocksdb, rate);
  const base = medianBy(heap, rate);
  const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
  const round2 = (x: number) => Math.round(x * 100) / 100;
  return {
    ...measured(job),
    baseline: { name: 'HEAP timers', ...measured(base) },
    extra: {
      keys: sizes.keys,
      windowMs: sizes.windowMs,
      windows: job.windows,
      timersAtOncePerTask: job.timersAtOncePerTask,
      rocksdbTimersPerSecond: rate(job),
      heapTimersPerSecond: rate(base),
      peakRssMb: mb(job.maxRssBytes),
      baselinePeakRssMb: mb(base.maxRssBytes),
      firstResultSeconds: round2(job.firstResultSeconds),
      baselineFirstResultSeconds: round2(base.firstResultSeconds),
      intervalMs: INTERVAL_MS,
      checkpointsCompleted: job.completed.length,
      checkpointsFailed: job.failed,
      checkpointMsMedian: checkpointMsMedian(job),
      checkpointMsMax: Math.max(0, ...job.completed.map((c) => c.ms)),
      checkpointMs: job.completed.map((c) => c.ms).join(','),
      checkpointBytesMax: Math.max(0, ...job.completed.map((c) => c.bytes)),
      baselineCheckpointsCompleted: base.completed.length,
      baselineCheckpointsFailed: base.failed,
      baselineCheckpointMsMedian: checkpointMsMedian(base),
      baselineCheckpointMsMax: Math.max(0, ...base.completed.map((c) => c.ms)),
      baselineCheckpointMs: base.completed.map((c) => c.ms).join(','),
      baselineCheckpointBytesMax: Math.max(0, ...base.completed.map((c) => c.bytes)),
      processSeconds: job.processSeconds,
      baselineProcessSeconds: base.processSeconds,
      roundsPerSecond: rocksdb.map((r) => Math.round(rate(r))).join(','),
      baselineRoundsPerSecond: heap.map((r) => Math.round(rate(r))).join(','),
      roundsPeakRssMb: rocksdb.map((r) => mb(r.maxRssBytes)).join(','),
      baselineRoundsPeakRssMb: heap.map((r) => mb(r.maxRssBytes)).join(','),
      roundsSpreadPct: spreadPct(rocksdb.map(rate)),
      baselineSpreadPct: spreadPct(heap.map(rate)),
    },
  };
}

export const windowTimersRocksdb: Scenario = {
  name: 'window-timers-rocksdb',
  description: `keyBy -> tumbling event-time windows (reduce) over 200,000 keys (quick 50,000), a timer per key and window, on 2 thread slots with RocksDB state and timer-service.factory ROCKSDB, checkpoints every ${INTERVAL_MS} ms, vs the same job with HEAP timers`,
  async run({ quick }) {
    return compareTimerFactories(quick ? { keys: 50_000, windowMs: 50_000, records: 300_000, rounds: 1 } : { keys: 200_000, windowMs: 200_000, records: 1_000_000, rounds: 3 });
  },
};
