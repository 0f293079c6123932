/**
 * The keyed-shuffle benchmark job, run as a process of its own so its two slots are real
 * worker threads: a sequence source at parallelism 2 keyed into a counting sink at
 * parallelism 2, so every record crosses a hash partitioner and about half cross from one
 * slot's thread to the other's. Prints one JSON line per slot worker with its sink's timing
 * and the process CPU, which the scenario reads.
 */
import { writeSync } from 'node:fs';
import { StreamExecutionEnvironment } from '../../src/index.js';
import { DiscardSink } from './discard-sink.js';

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
  .sinkTo(
    new DiscardSink((t) => {
      // Written synchronously to the process's stdout: the slot's thread ends right after.
      writeSync(
        1,
        `${JSON.stringify({
          slot: true,
          count: t.count,
          firstNs: String(t.firstNs),
          lastNs: String(t.lastNs),
          sourceStartNs: sourceStart === undefined ? null : String(sourceStart),
          cpuAtStart: cpuAtStart ?? null,
          cpuAtEnd: process.cpuUsage(),
        })}\n`,
      );
    }),
    'discard',
  )
  .name('discard');

await env.execute('keyed shuffle benchmark');
