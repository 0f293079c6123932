/**
 * The BATCH aggregation benchmark job: N records keyed into 10,000 keys and summed in BATCH
 * mode, where the exchange between the stages goes through files. Prints its time, CPU and
 * the process's peak resident memory, which the scenario reads.
 */
import { RuntimeExecutionMode, StreamExecutionEnvironment } from '../../src/index.js';
import { DiscardSink } from './discard-sink.js';

const records = Number(process.argv[2] ?? 10_000_000);
const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(2);
env.setRuntimeMode(RuntimeExecutionMode.BATCH);
env
  .fromSequence(0, records - 1)
  .map((n): [number, number] => [n % 10_000, 1])
  .keyBy((p) => p[0])
  .sum(1)
  .sinkTo(new DiscardSink<[number, number]>(), 'discard');

const cpu = process.cpuUsage();
const start = process.hrtime.bigint();
await env.execute('batch aggregation benchmark');
const end = process.hrtime.bigint();
const used = process.cpuUsage(cpu);
console.log(
  JSON.stringify({ batchResult: true, records, ns: String(end - start), cpuSeconds: (used.user + used.system) / 1e6, maxRssBytes: process.resourceUsage().maxRSS * 1024 }),
);
