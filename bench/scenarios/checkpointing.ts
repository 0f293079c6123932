/**
 * `checkpointing` (issue 6): the cost of aligned checkpoints on a keyed aggregation. The same
 * job (bench/jobs/checkpointing.ts: sequence -> (key, 1) over 10,000 keys -> keyBy -> running
 * sum in keyed state -> counting sink, parallelism 2 on the mini-cluster's thread slots, a
 * process of its own) runs without checkpoints (the baseline) and with
 * `enableCheckpointing(1000)` EXACTLY_ONCE, over the same records; rounds alternate between the
 * two and each reports its median round. Timed from the first source record to the last sink
 * record, as keyed-shuffle is. Target: ratio >= 0.90.
 *
 * Extra: how many checkpoints completed during the timed run and their durations (trigger to
 * `_metadata` written, from the coordinator's "Completed checkpoint N ... (B bytes, M ms)" log
 * line; the job runs with RUNNEL_LOG_LEVEL=info in both cases), the bytes of one, and whether
 * the functions heard of them (CheckpointListener: the source-side map's count is
 * `checkpointsInTimedPart`; `reduceFunctionHeard` is the reduce function's, summed over subtasks).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { elapsedSeconds, medianBy, spreadPct, type Measurement, type Scenario } from '../harness.js';

const JOB = fileURLToPath(new URL('../jobs/checkpointing.ts', import.meta.url));
const INTERVAL_MS = 1000;
const PARALLELISM = 2;

/**
 * What a job's sink subtask prints (`{"ckptSlot":true, ...}`); a job may add fields of its own
 * (e.g. the window job's `summed`), which the caller reads from `CheckpointRun.reports`.
 */
export interface SlotReport {
  [field: string]: unknown;
  count: number;
  firstNs: string;
  lastNs: string;
  sourceStartNs: string | null;
  cpuAtStart: NodeJS.CpuUsage | null;
  cpuAtEnd: NodeJS.CpuUsage;
  completed: Array<{ id: number; ns: string }>;
  reduceHeard: number;
  maxRssKb: number;
}

interface CompletedCheckpoint {
  id: number;
  bytes: number;
  ms: number;
}

export interface CheckpointRun extends Measurement {
  /** Checkpoints the coordinator completed over the whole job. */
  completed: CompletedCheckpoint[];
  /** Of those, the ones the tasks heard complete within the timed part (first source record to last sink record). */
  completedInWindow: number;
  failed: number;
  /** How many completed checkpoints the reduce functions heard of (CheckpointListener), summed over subtasks. */
  reduceHeard: number;
  /** Seconds from starting the process to its exit. */
  processSeconds: number;
  /** The job process's peak RSS (process.resourceUsage().maxRSS at its sinks' end), in bytes. */
  maxRssBytes: number;
  /** The sink subtasks' reports, as printed. */
  reports: SlotReport[];
}

export interface CheckpointJobOptions {
  /** Keys of the running sum (default 10,000). */
  keys?: number;
  /**
   * More configuration of the job, e.g. `{ 'state.backend.type': 'rocksdb' }`. With RocksDB and
   * no `state.backend.rocksdb.localdir`, its files go to the run's temporary folder (removed after).
   */
  config?: Record<string, string>;
  /**
   * The job script (default bench/jobs/checkpointing.ts). It takes the same arguments, RECORDS
   * INTERVAL_MS CHECKPOINT_DIR PARALLELISM KEYS CONFIG_JSON, then `args`, and prints the same
   * slot reports.
   */
  job?: string;
  args?: string[];
  /** Records the sinks must count in all (default `records`: one output per input record). */
  sinkRecords?: number;
}

const COMPLETED = /Completed checkpoint (\d+) for job \S+ \((\d+) bytes, (\d+) ms\)/;
const FAILED = /Checkpoint -?\d+ of job \S+ failed/;

/** Runs the job once in a process of its own; intervalMs 0: without checkpoints. */
/** Records per second of a measurement. */
export const rate = (m: Measurement): number => m.records / m.seconds;

/** A run as the harness reports it: records, seconds and CPU only. */
export function measured(m: Measurement): Measurement {
  return { records: m.records, seconds: m.seconds, cpuSeconds: m.cpuSeconds };
}

/** The median duration of a run's completed checkpoints, in ms (0 when none completed). */
export function checkpointMsMedian(run: CheckpointRun): number {
  const sorted = run.completed.map((c) => c.ms).sort((a, b) => a - b);
  return sorted.length > 0 ? sorted[Math.floor((sorted.length - 1) / 2)]! : 0;
}

export async function runCheckpointJob(records: number, intervalMs: number, parallelism = PARALLELISM, options: CheckpointJobOptions = {}): Promise<CheckpointRun> {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-bench-ckpt-'));
  const config = { ...options.config };
  if (config['state.backend.type'] === 'rocksdb' && config['state.backend.rocksdb.localdir'] === undefined) config['state.backend.rocksdb.localdir'] = join(dir, 'rocksdb');
  const args = [String(records), String(intervalMs), dir, String(parallelism), String(options.keys ?? 10_000), JSON.stringify(config), ...(options.args ?? [])];
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, ['--import', 'tsx', options.job ?? JOB, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, RUNNEL_LOG_LEVEL: 'info' },
  });
  const reports: SlotReport[] = [];
  const completed: CompletedCheckpoint[] = [];
  let failed = 0;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.startsWith('{"ckptSlot":true')) {
      reports.push(JSON.parse(line) as SlotReport);
      return;
    }
    const c = COMPLETED.exec(line);
    if (c !== null) completed.push({ id: Number(c[1]), bytes: Number(c[2]), ms: Number(c[3]) });
    else if (FAILED.test(line)) failed++;
  });
  try {
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    if (code !== 0 || reports.length !== parallelism) throw new Error(`the checkpointing job exited with ${code} and ${reports.length} slot reports`);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  const processSeconds = elapsedSeconds(started);
  const total = reports.reduce((n, r) => n + r.count, 0);
  const expected = options.sinkRecords ?? records;
  if (total !== expected) throw new Error(`the checkpointing job delivered ${total} of ${expected} records`);
  const starts = reports.flatMap((r) => (r.sourceStartNs === null ? [] : [BigInt(r.sourceStartNs)]));
  const start = starts.reduce((a, b) => (a < b ? a : b));
  const end = reports.map((r) => BigInt(r.lastNs)).reduce((a, b) => (a > b ? a : b));
  const cpuStart = reports.flatMap((r) => (r.cpuAtStart === null ? [] : [r.cpuAtStart])).reduce((a, b) => (a.user + a.system < b.user + b.system ? a : b));
  const cpuEnd = reports.map((r) => r.cpuAtEnd).reduce((a, b) => (a.user + a.system > b.user + b.system ? a : b));
  const heard = new Set(reports.flatMap((r) => r.completed.filter((c) => BigInt(c.ns) >= start && BigInt(c.ns) <= end).map((c) => c.id)));
  return {
    records,
    seconds: elapsedSeconds(start, end),
    cpuSeconds: (cpuEnd.user + cpuEnd.system - cpuStart.user - cpuStart.system) / 1e6,
    completed,
    completedInWindow: heard.size,
    failed,
    reduceHeard: reports.reduce((n, r) => n + r.reduceHeard, 0),
    processSeconds,
    maxRssBytes: Math.max(...reports.map((r) => r.maxRssKb ?? 0)) * 1024,
    reports,
  };
}

export const checkpointing: Scenario = {
  name: 'checkpointing',
  description: `keyBy -> running sum over 10,000 keys on 2 thread slots with enableCheckpointing(${INTERVAL_MS}) EXACTLY_ONCE, vs the same job without checkpoints`,
  async run({ quick }) {
    const records = quick ? 20_000_000 : 60_000_000;
    const rounds = quick ? 1 : 3;
    await runCheckpointJob(2_000_000, 0); // warm-up: file caches, tsx's transform cache
    const baseline: CheckpointRun[] = [];
    const withCheckpoints: CheckpointRun[] = [];
    for (let i = 0; i < rounds; i++) {
      baseline.push(await runCheckpointJob(records, 0));
      withCheckpoints.push(await runCheckpointJob(records, INTERVAL_MS));
    }
    const job = medianBy(withCheckpoints, rate);
    const base = medianBy(baseline, rate);
    const durations = job.completed.map((c) => c.ms);
    const sorted = [...durations].sort((a, b) => a - b);
    return {
      ...measured(job),
      baseline: { name: 'no checkpoints', ...measured(base) },
      extra: {
        intervalMs: INTERVAL_MS,
        checkpointsCompleted: job.completed.length,
        checkpointsInTimedPart: job.completedInWindow,
        checkpointsFailed: job.failed,
        checkpointMsMedian: sorted.length > 0 ? sorted[Math.floor((sorted.length - 1) / 2)]! : 0,
        checkpointMsMax: sorted.length > 0 ? sorted[sorted.length - 1]! : 0,
        checkpointMs: durations.join(','),
        checkpointBytes: job.completed.at(-1)?.bytes ?? 0,
        reduceFunctionHeard: job.reduceHeard,
        roundsPerSecond: withCheckpoints.map((r) => Math.round(rate(r))).join(','),
        baselineRoundsPerSecond: baseline.map((r) => Math.round(rate(r))).join(','),
        roundsSpreadPct: spreadPct(withCheckpoints.map(rate)),
        baselineSpreadPct: spreadPct(baseline.map(rate)),
      },
    };
  },
};
