/**
 * The window-timers benchmark job, run as a process of its own so its slots are real worker
 * threads: a sequence source -> (key, 1, n) records, event time n (monotonous per split, a
 * watermark every `pipeline.auto-watermark-interval`) -> keyBy over KEYS keys (n mod KEYS) ->
 * tumbling event-time windows of WINDOW_MS with a reduce (sum of the 1s) -> a counting sink, at
 * parallelism P, with `enableCheckpointing(intervalMs)` EXACTLY_ONCE when INTERVAL_MS > 0.
 * Every (key, window) registers a timer at the window's end, so with a window of at least KEYS
 * records each task holds a timer for each of its keys while a window is open.
 *
 *   node --import tsx bench/jobs/window-timers.ts RECORDS INTERVAL_MS CHECKPOINT_DIR [PARALLELISM] [KEYS] [CONFIG_JSON] [WINDOW_MS]
 *
 * Arguments as bench/jobs/checkpointing.ts's (CONFIG_JSON e.g.
 * `{"state.backend.type":"rocksdb","state.backend.rocksdb.timer-service.factory":"HEAP"}`), then
 * WINDOW_MS (default 400,000). Prints one JSON line per sink subtask (`{"ckptSlot":true, ...}`) with
 * the fields bench/scenarios/checkpointing.ts reads, plus `summed` (the records its window
 * results add up to), `windows` (how many windows it emitted results of), `maxPerWindow` (the
 * most results it emitted for one window: timers of that task that were due at once) and
 * `firstResultNs` (when its first window fired).
 */
import { writeSync } from 'node:fs';
import { Configuration } from '../../src/config/index.js';
import { StreamExecutionEnvironment, TumblingEventTimeWindows, WatermarkStrategy, type CheckpointListener, type Sink, type SinkWriter } from '../../src/index.js';

const records = Number(process.argv[2] ?? 1_000_000);
const intervalMs = Number(process.argv[3] ?? 0);
const dir = process.argv[4] ?? '';
const parallelism = Number(process.argv[5] ?? 2);
const KEYS = Number(process.argv[6] ?? 200_000);
const extraConfig = JSON.parse(process.argv[7] ?? '{}') as Record<string, string>;
const WINDOW_MS = Number(process.argv[8] ?? 400_000);

/** [key, records summed, event time of the window's first record]. */
type Counted = [number, number, number];

/** Per worker thread: when this thread's first source record was made, and the CPU then. */
let sourceStart: bigint | undefined;
let cpuAtStart: NodeJS.CpuUsage | undefined;
/** Per worker thread: the checkpoints the source-side map functions of this thread heard complete. */
const completed: Array<{ id: number; ns: string }> = [];

class ToCounted implements CheckpointListener {
  map(n: number): Counted {
    if (sourceStart === undefined) {
      sourceStart = process.hrtime.bigint();
      cpuAtStart = process.cpuUsage();
    }
    return [n % KEYS, 1, n];
  }
  notifyCheckpointComplete(checkpointId: number): void {
    completed.push({ id: checkpointId, ns: String(process.hrtime.bigint()) });
  }
}

const sum = (a: Counted, b: Counted): Counted => [a[0], a[1] + b[1], a[2]];

/** Counts window results, the records they sum up and the results per window; reports at the end of input. */
class WindowResultSink implements Sink<Counted> {
  createWriter(): SinkWriter<Counted> {
    let count = 0;
    let summed = 0;
    let firstResultNs = 0n;
    let lastNs = 0n;
    const perWindow = new Map<number, number>();
    return {
      write: (r) => {
        if (count++ === 0) firstResultNs = process.hrtime.bigint();
        summed += r[1];
        const window = Math.floor(r[2] / WINDOW_MS);
        perWindow.set(window, (perWindow.get(window) ?? 0) + 1);
      },
      flush: (endOfInput) => {
        lastNs = process.hrtime.bigint();
        if (!endOfInput) return;
        // Written synchronously to the process's stdout: the slot's thread ends right after.
        writeSync(
          1,
          `${JSON.stringify({
            ckptSlot: true,
            count,
            firstNs: String(firstResultNs),
            lastNs: String(lastNs),
            sourceStartNs: sourceStart === undefined ? null : String(sourceStart),
            cpuAtStart: cpuAtStart ?? null,
            cpuAtEnd: process.cpuUsage(),
            completed,
            reduceHeard: 0,
            maxRssKb: process.resourceUsage().maxRSS,
            summed,
            windows: perWindow.size,
            maxPerWindow: Math.max(0, ...perWindow.values()),
            firstResultNs: String(firstResultNs),
          })}\n`,
        );
      },
      close: () => {},
    };
  }
}

const configuration = Configuration.fromRecord({ ...(dir === '' ? {} : { 'execution.checkpointing.dir': dir }), ...extraConfig });
const env = StreamExecutionEnvironment.getExecutionEnvironment(configuration);
env.setParallelism(parallelism);
if (intervalMs > 0) env.enableCheckpointing(intervalMs, 'EXACTLY_ONCE');

env
  .fromSequence(0, records - 1)
  .map(new ToCounted())
  .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Counted>().withTimestampAssigner((r) => r[2]))
  .keyBy((r) => r[0])
  .window(TumblingEventTimeWindows.of(WINDOW_MS))
  .reduce(sum)
  .sinkTo(new WindowResultSink(), 'window results')
  .name('window results');

await env.execute('window timers benchmark');
