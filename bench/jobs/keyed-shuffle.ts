/**
 * The keyed-shuffle benchmark job, run as a process of its own so its two slots are real
 * worker threads: a sequence source at parallelism 2 keyed into a counting sink at
 * parallelism 2, so every record crosses a hash partitioner and about half cross from one
 * slot's thread to the other's. Prints one JSON line per slot worker with its sink's timing
 * and the process CPU, which the scenario reads.
 */
import { isMainThread } from 'node:worker_threads';
import { StreamExecutionEnvironment } from '../../src/index.js';
import { DiscardSink, sinkTimings } from './discard-sink.js';

const records = Number(process.argv[2] ?? 1_000_000);
const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(2);

let sourceStart: bigint | undefined;
let cpuAtStart: NodeJS.CpuUsage | undefined;
env
  .fromSequence(0, records - 1)
  .map((n) => {
    if (sourceStart === undefined) {
      sourceStart = process.hrtime.bigint();
      cpuAtStart = process.cpuUsage();
    }
    // About 76 bytes encoded, like the raw pipe's records.
    return { key: n % 1000, value: n, name: 'sensor-reading', unit: 'celsius' };
  })
  .keyBy((r) => r.key)
  .sinkTo(new DiscardSink(), 'discard')
  .name('discard');

if (!isMainThread) {
  process.once('beforeExit', () => {});
  const report = setInterval(() => {
    const t = sinkTimings[0];
    if (t !== undefined && t.lastNs > 0n) {
      clearInterval(report);
      console.log(
        JSON.stringify({
          slot: true,
          count: t.count,
          firstNs: String(t.firstNs),
          lastNs: String(t.lastNs),
          sourceStartNs: sourceStart === undefined ? null : String(sourceStart),
          cpuAtStart: cpuAtStart ?? null,
          cpuAtEnd: process.cpuUsage(),
        }),
      );
    }
  }, 5);
  report.unref();
}

await env.execute('keyed shuffle benchmark');
