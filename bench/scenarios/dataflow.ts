/**
 * Dataflow benchmarks of the task runtime (issue 3), each against a baseline in the same run:
 *
 * - pipeline-chained: source -> map -> filter -> sink chained in one task, against the same
 *   functions applied in a plain loop over the same numbers;
 * - keyed-aggregation: map -> keyBy -> reduce -> sink, against the same functions over a Map
 *   in a plain loop;
 * - keyed-shuffle: a keyed exchange between two slots' worker threads (a job process of its
 *   own), against a raw CBOR-encode -> MessagePort transfer -> decode pipe between two threads.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import { Configuration } from '../../src/config/index.js';
import { StreamExecutionEnvironment } from '../../src/index.js';
import { cpuSeconds, elapsedSeconds, medianBy, type Measurement, type Scenario } from '../harness.js';
import { DiscardSink, sinkTimings } from '../jobs/discard-sink.js';

interface Bid {
  auction: number;
  bidder: number;
  price: number;
  channel: string;
}
// Nexmark-like records: the source's numbers become bids, the map converts the price, the
// filter keeps most of them. The same functions run in the baseline's plain loop.
const toBid = (n: number): Bid => ({ auction: n % 1000, bidder: n % 9973, price: (n * 7919) % 100_000, channel: 'web' });
const map = (b: Bid): Bid => ({ auction: b.auction, bidder: b.bidder, price: b.price * 0.908, channel: b.channel });
const filter = (b: Bid): boolean => b.price > 1000;
const toPair = (n: number): [number, number] => [n % 10_000, 1];
const add = (a: [number, number], b: [number, number]): [number, number] => [a[0], a[1] + b[1]];

function inlineEnv(): StreamExecutionEnvironment {
  process.env['RUNNEL_SLOT_MODE'] = 'inline';
  const env = StreamExecutionEnvironment.getExecutionEnvironment(Configuration.empty());
  env.setParallelism(1);
  return env;
}

/**
 * Runs a job on an inline mini-cluster. Throughput is timed from the first record reaching the
 * sink to the end of input there — the records' way through the pipeline; starting and
 * stopping the mini-cluster (a few milliseconds) is not part of it, and is reported apart.
 */
async function measureJob(build: (env: StreamExecutionEnvironment) => void, records: number): Promise<Measurement & { jobSeconds: number }> {
  const env = inlineEnv();
  build(env);
  sinkTimings.length = 0;
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await env.execute('bench');
  const jobSeconds = elapsedSeconds(start);
  const used = cpuSeconds(process.cpuUsage(cpu));
  const counted = sinkTimings.reduce((n, t) => n + t.count, 0);
  if (counted === 0) throw new Error('the benchmark job counted no records');
  const first = sinkTimings.map((t) => t.firstNs).reduce((a, b) => (a < b ? a : b));
  const last = sinkTimings.map((t) => t.lastNs).reduce((a, b) => (a > b ? a : b));
  const seconds = elapsedSeconds(first, last);
  // CPU is measured over the whole job; scale it to the timed part.
  return { records, seconds, cpuSeconds: used * (seconds / jobSeconds), jobSeconds };
}

function measured(m: Measurement): Measurement {
  return { records: m.records, seconds: m.seconds, cpuSeconds: m.cpuSeconds };
}

function measureLoop(body: () => void, records: number): Measurement {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  body();
  return { records, seconds: elapsedSeconds(start), cpuSeconds: cpuSeconds(process.cpuUsage(cpu)) };
}

async function rounds<T extends Measurement>(n: number, measure: () => Promise<T> | T): Promise<T> {
  const results: T[] = [];
  for (let i = 0; i < n; i++) results.push(await measure());
  return medianBy(results, (m) => m.records / m.seconds);
}

export const pipelineChained: Scenario = {
  name: 'pipeline-chained',
  description: 'source -> map -> map -> filter -> sink chained in one task (bid records), vs the same functions in a plain loop',
  async run({ quick }) {
    const records = quick ? 1_000_000 : 5_000_000;
    let sink = 0;
    const loop = () =>
      measureLoop(() => {
        for (let i = 0; i < records; i++) {
          const v = map(toBid(i));
          if (filter(v)) sink++;
        }
      }, records);
    loop();
    const baseline = await rounds(3, loop);
    const job = await rounds(3, () => measureJob((env) => env.fromSequence(0, records - 1).map(toBid).map(map).filter(filter).sinkTo(new DiscardSink<Bid>()), records));
    return { ...measured(job), baseline: { name: 'plain loop', ...baseline }, extra: { jobSeconds: job.jobSeconds, sinkCount: sink > 0 ? 'ok' : 'none' } };
  },
};

export const keyedAggregation: Scenario = {
  name: 'keyed-aggregation',
  description: 'map -> keyBy -> reduce -> sink (10,000 keys), vs the same functions over a Map in a plain loop',
  async run({ quick }) {
    const records = quick ? 1_000_000 : 3_000_000;
    const loop = () =>
      measureLoop(() => {
        const state = new Map<number, [number, number]>();
        let emitted = 0;
        for (let i = 0; i < records; i++) {
          const pair = toPair(i);
          const current = state.get(pair[0]);
          const next = current === undefined ? pair : add(current, pair);
          state.set(pair[0], next);
          emitted++;
        }
        if (emitted !== records) throw new Error('lost records');
      }, records);
    loop();
    const baseline = await rounds(3, loop);
    const job = await rounds(3, () =>
      measureJob((env) => env.fromSequence(0, records - 1).map(toPair).keyBy((p) => p[0]).reduce(add).sinkTo(new DiscardSink<[number, number]>()), records),
    );
    return { ...measured(job), baseline: { name: 'plain loop', ...baseline }, extra: { jobSeconds: job.jobSeconds } };
  },
};

const SHUFFLE_JOB = fileURLToPath(new URL('../jobs/keyed-shuffle.ts', import.meta.url));
const RAW_WORKER = new URL('./raw-threads.worker.mjs', import.meta.url);

interface SlotReport {
  count: number;
  firstNs: string;
  lastNs: string;
  sourceStartNs: string | null;
  cpuAtStart: NodeJS.CpuUsage | null;
  cpuAtEnd: NodeJS.CpuUsage;
}

/** Runs the shuffle job in its own process; times from the first source record to the last sink record. */
async function measureShuffleJob(records: number): Promise<Measurement> {
  const child = spawn(process.execPath, ['--import', 'tsx', SHUFFLE_JOB, String(records)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const reports: SlotReport[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.startsWith('{"slot":true')) reports.push(JSON.parse(line) as SlotReport);
  });
  try {
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    if (code !== 0 || reports.length !== 2) throw new Error(`the shuffle job exited with ${code} and ${reports.length} slot reports`);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  const total = reports.reduce((n, r) => n + r.count, 0);
  if (total !== records) throw new Error(`the shuffle job delivered ${total} of ${records} records`);
  const starts = reports.flatMap((r) => (r.sourceStartNs === null ? [] : [BigInt(r.sourceStartNs)]));
  const start = starts.reduce((a, b) => (a < b ? a : b));
  const end = reports.map((r) => BigInt(r.lastNs)).reduce((a, b) => (a > b ? a : b));
  const cpuStart = reports.flatMap((r) => (r.cpuAtStart === null ? [] : [r.cpuAtStart]))[0]!;
  const cpuEnd = reports.map((r) => r.cpuAtEnd).reduce((a, b) => (a.user + a.system > b.user + b.system ? a : b));
  return { records, seconds: elapsedSeconds(start, end), cpuSeconds: (cpuEnd.user + cpuEnd.system - cpuStart.user - cpuStart.system) / 1e6 };
}

async function measureRawThreads(records: number): Promise<Measurement> {
  const { port1, port2 } = new MessageChannel();
  const producer = new Worker(RAW_WORKER, { workerData: { role: 'producer', port: port1, records, batchSize: 512 }, transferList: [port1] });
  const consumer = new Worker(RAW_WORKER, { workerData: { role: 'consumer', port: port2, records, batchSize: 512 }, transferList: [port2] });
  try {
    const done = new Promise<{ endNs: string; cpu: NodeJS.CpuUsage; count: number }>((resolve) => consumer.once('message', resolve));
    const started = new Promise<{ startNs: string; cpu: NodeJS.CpuUsage }>((resolve) => producer.once('message', resolve));
    producer.postMessage('go');
    const s = await started;
    const e = await done;
    if (e.count !== records) throw new Error(`raw pipe delivered ${e.count} of ${records}`);
    return { records, seconds: elapsedSeconds(BigInt(s.startNs), BigInt(e.endNs)), cpuSeconds: (e.cpu.user + e.cpu.system - s.cpu.user - s.cpu.system) / 1e6 };
  } finally {
    await producer.terminate();
    await consumer.terminate();
  }
}

export const keyedShuffle: Scenario = {
  name: 'keyed-shuffle',
  description: 'keyBy between two slot worker threads, vs a raw CBOR encode -> MessagePort -> decode pipe between two threads',
  async run({ quick }) {
    const records = quick ? 1_000_000 : 3_000_000;
    await measureRawThreads(200_000);
    const baseline = await rounds(3, () => measureRawThreads(records));
    const job = await rounds(quick ? 1 : 3, () => measureShuffleJob(records));
    return { ...job, baseline: { name: 'raw thread pipe', ...baseline } };
  },
};

const BATCH_JOB = fileURLToPath(new URL('../jobs/batch-aggregation.ts', import.meta.url));

interface BatchReport {
  records: number;
  ns: string;
  cpuSeconds: number;
  maxRssBytes: number;
}

async function runBatchJob(records: number): Promise<BatchReport> {
  const child = spawn(process.execPath, ['--import', 'tsx', BATCH_JOB, String(records)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let report: BatchReport | undefined;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.startsWith('{"batchResult":true')) report = JSON.parse(line) as BatchReport;
  });
  try {
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    if (code !== 0 || report === undefined) throw new Error(`the batch job exited with ${code}`);
    return report;
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

export const batchAggregation: Scenario = {
  name: 'batch-aggregation',
  description: 'keyBy -> sum over N records in BATCH mode (blocking file exchange, 2 slots), vs the same sum over a Map in a plain loop; reports peak RSS',
  async run({ quick }) {
    const records = quick ? 2_000_000 : 10_000_000;
    const baseline = measureLoop(() => {
      const sums = new Map<number, number>();
      for (let i = 0; i < records; i++) {
        const [k, v] = toPair(i);
        sums.set(k, (sums.get(k) ?? 0) + v);
      }
      if (sums.size !== 10_000) throw new Error('wrong key count');
    }, records);
    const report = await runBatchJob(records);
    return {
      records,
      seconds: Number(BigInt(report.ns)) / 1e9,
      cpuSeconds: report.cpuSeconds,
      baseline: { name: 'plain loop', ...baseline },
      extra: { peakRssMb: Math.round(report.maxRssBytes / (1024 * 1024)) },
    };
  },
};

interface Tick {
  key: number;
  ts: number;
  value: number;
}
// 10 records a millisecond over 1,000 keys: each key has about 10 records per 1 s window.
const tick = (i: number): Tick => ({ key: i % 1000, ts: Math.floor(i / 10), value: i % 100 });
const sumTicks = (a: Tick, b: Tick): Tick => ({ key: a.key, ts: a.ts, value: a.value + b.value });

export const windowTumbling: Scenario = {
  name: 'window-tumbling',
  description: 'event-time tumbling windows (1 s, 1,000 keys, ~10 records per key and window) with reduce, vs the same reduce per (key, window) over a Map in a plain loop',
  async run({ quick }) {
    const records = quick ? 500_000 : 2_000_000;
    const size = 1000;
    const loop = () =>
      measureLoop(() => {
        const windows = new Map<string, Tick>();
        let fired = 0;
        let currentWindow = 0;
        for (let i = 0; i < records; i++) {
          const t = tick(i);
          const start = t.ts - (t.ts % size);
          if (start !== currentWindow) {
            fired += windows.size;
            windows.clear();
            currentWindow = start;
          }
          const id = `${t.key}:${start}`;
          const acc = windows.get(id);
          windows.set(id, acc === undefined ? t : sumTicks(acc, t));
        }
        fired += windows.size;
        if (fired === 0) throw new Error('no windows');
      }, records);
    loop();
    const baseline = await rounds(3, loop);
    const { TumblingEventTimeWindows, WatermarkStrategy } = await import('../../src/index.js');
    const job = await rounds(3, () =>
      measureJob(
        (env) =>
          env
            .fromSequence(0, records - 1)
            .map(tick)
            .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Tick>().withTimestampAssigner((t) => t.ts))
            .keyBy((t) => t.key)
            .window(TumblingEventTimeWindows.of(size))
            .reduce(sumTicks)
            .sinkTo(new DiscardSink<Tick>()),
        records,
      ),
    );
    return { ...measured(job), baseline: { name: 'plain loop', ...baseline }, extra: { jobSeconds: job.jobSeconds } };
  },
};
