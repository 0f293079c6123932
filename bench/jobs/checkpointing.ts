/**
 * The checkpointing benchmark job, run as a process of its own so its slots are real worker
 * threads: a sequence source -> (key, 1) pairs over 10,000 keys -> keyBy -> a running sum in
 * keyed state (reduce) -> a counting sink, at parallelism P, with or without
 * `enableCheckpointing(intervalMs)` EXACTLY_ONCE.
 *
 *   node --import tsx bench/jobs/checkpointing.ts RECORDS INTERVAL_MS CHECKPOINT_DIR [PARALLELISM] [KEYS] [CONFIG_JSON]
 *
 * INTERVAL_MS 0: no checkpoints (the baseline). KEYS: how many keys (default 10,000).
 * CONFIG_JSON: more configuration entries, e.g. `{"state.backend.type":"rocksdb"}` (default
 * `{}`: heap state). Prints one JSON line per sink subtask
 * (`{"ckptSlot":true, ...}`) with its count, first/last record times, the source's start, the
 * process CPU, the checkpoints the source-side map function heard complete (CheckpointListener),
 * each with the time it heard of it, how many the reduce function heard, and the process's peak
 * RSS so far (`maxRssKb`, process.resourceUsage().maxRSS). Run it with
 * RUNNEL_LOG_LEVEL=info to also get the coordinator's "Completed checkpoint N ... (B bytes, M ms)" lines, which the scenario parses.
 */
import { writeSync } from 'node:fs';
import { Configuration } from '../../src/config/index.js';
import { StreamExecutionEnvironment, type CheckpointListener } from '../../src/index.js';
import { DiscardSink } from './discard-sink.js';

const records = Number(process.argv[2] ?? 1_000_000);
const intervalMs = Number(process.argv[3] ?? 0);
const dir = process.argv[4] ?? '';
const parallelism = Number(process.argv[5] ?? 2);
const KEYS = Number(process.argv[6] ?? 10_000);
const extraConfig = JSON.parse(process.argv[7] ?? '{}') as Record<string, string>;

type Pair = [number, number];

/** Per worker thread: when this thread's first source record was made, and the CPU then. */
let sourceStart: bigint | undefined;
let cpuAtStart: NodeJS.CpuUsage | undefined;
/** Per worker thread: the checkpoints the reduce functions of this thread heard complete. */
const completed: Array<{ id: number; ns: string }> = [];
let reduceHeard = 0;

/** Makes the (key, 1) pairs; hears of completed checkpoints (the source task's chain). */
class ToPair implements CheckpointListener {
  map(n: number): Pair {
    if (sourceStart === undefined) {
      sourceStart = process.hrtime.bigint();
      cpuAtStart = process.cpuUsage();
    }
    return [n % KEYS, 1];
  }
  notifyCheckpointComplete(checkpointId: number): void {
    completed.push({ id: checkpointId, ns: String(process.hrtime.bigint()) });
  }
}

/**
 * The running sum. Also a CheckpointListener, to check that a reduce function hears of
 * completed checkpoints as a map function does (`reduceHeard` in the report).
 */
class RunningSum implements CheckpointListener {
  reduce(a: Pair, b: Pair): Pair {
    return [a[0], a[1] + b[1]];
  }
  notifyCheckpointComplete(): void {
    reduceHeard++;
  }
}

const configuration = Configuration.fromRecord({ ...(dir === '' ? {} : { 'execution.checkpointing.dir': dir }), ...extraConfig });
const env = StreamExecutionEnvironment.getExecutionEnvironment(configuration);
env.setParallelism(parallelism);
if (intervalMs > 0) env.enableCheckpointing(intervalMs, 'EXACTLY_ONCE');

env
  .fromSequence(0, records - 1)
  .map(new ToPair())
  .keyBy((p) => p[0])
  .reduce(new RunningSum())
  .sinkTo(
    new DiscardSink<Pair>((t) => {
      // Written synchronously to the process's stdout: the slot's thread ends right after.
      writeSync(
        1,
        `${JSON.stringify({
          ckptSlot: true,
          count: t.count,
          firstNs: String(t.firstNs),
          lastNs: String(t.lastNs),
          sourceStartNs: sourceStart === undefined ? null : String(sourceStart),
          cpuAtStart: cpuAtStart ?? null,
          cpuAtEnd: process.cpuUsage(),
          completed,
          reduceHeard,
          maxRssKb: process.resourceUsage().maxRSS,
        })}\n`,
      );
    }),
    'discard',
  )
  .name('discard');

await env.execute(intervalMs > 0 ? 'checkpointing benchmark' : 'checkpointing benchmark (no checkpoints)');
