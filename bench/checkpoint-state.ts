/**
 * One-off measurement (issue 6): how long a checkpoint of about 100 MB of heap keyed state takes.
 * A job on the mini-cluster's thread slots (this file is the job module) sends RECORDS records
 * over KEYS keys (default 6 x 1,000,000) through keyBy into a KeyedProcessFunction that keeps
 * one value of about VALUE_BYTES (default 100) per key in ValueState, with checkpoints every
 * INTERVAL ms; every checkpoint taken once all keys hold a value covers the full state. Prints,
 * per checkpoint and task, what the task's acknowledgement carries (syncMs, asyncMs, bytes), how
 * long perform() held the task's thread (the synchronous part and whatever of the
 * "asynchronous" part runs before its first await), the longest pause between two records at
 * the stateful task, trigger-to-notify time, and the worker's heap; then a summary, and how
 * long writing the same number of bytes durably takes on its own (writeStateFile), and the
 * process's peak RSS (every thread of the job runs in this process: the slot worker, the RocksDB
 * worker; process.resourceUsage().maxRSS, taken before that write) and its RSS at each checkpoint.
 *
 *   node --import tsx bench/checkpoint-state.ts [--keys 1000000] [--value-bytes 100]
 *       [--records 6000000] [--interval 2500] [--value object|string]
 *       [--backend hashmap|rocksdb] [--incremental] [--resident-keys N] [--dir DIR]
 *
 * `--backend` sets `state.backend.type` (default hashmap); `--incremental` sets
 * `state.backend.incremental: true`; `--resident-keys` sets `state.backend.rocksdb.resident-keys`
 * (unset: its default, 100,000). RocksDB's working files go to DIR/rocksdb (DIR: the checkpoint
 * folder, a temporary one removed at the end unless `--dir` names one).
 *
 * `--value object` (default): `{ id, name, tags }` objects; `--value string`: one string per
 * key. (Snapshots copy nothing: entries are encoded by the writer, or on first access after the
 * snapshot — src/state/state-table.ts.)
 *
 * The numbers are taken by wrapping TaskCheckpoints.prototype.perform at this module's top level,
 * which runs in the slot worker too (it imports the job module up to execute()).
 */
import { appendFileSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isMainThread } from 'node:worker_threads';
import { getHeapStatistics } from 'node:v8';
import { TaskCheckpoints, type CheckpointingTask } from '../src/actors/task/task-checkpoints.js';
import type { FromWorker } from '../src/actors/task/deployment.js';
import { writeStateFile } from '../src/actors/task/state-files.js';
import type { BarrierInfo } from '../src/net/channels/index.js';
import { Configuration } from '../src/config/index.js';
import { KeyedProcessFunction, StreamExecutionEnvironment, ValueStateDescriptor, type CheckpointListener, type KeyedContext, type ValueState } from '../src/index.js';
import { DiscardSink } from './jobs/discard-sink.js';

const { values } = parseArgs({
  options: {
    keys: { type: 'string', default: '1000000' },
    'value-bytes': { type: 'string', default: '100' },
    records: { type: 'string' },
    interval: { type: 'string', default: '2500' },
    value: { type: 'string', default: 'object' },
    dir: { type: 'string', default: '' },
    backend: { type: 'string', default: 'hashmap' },
    incremental: { type: 'boolean', default: false },
    'resident-keys': { type: 'string' },
  },
  allowPositionals: true,
});
const KEYS = Number(values.keys);
const VALUE_BYTES = Number(values['value-bytes']);
const RECORDS = Number(values.records ?? 6 * KEYS);
const INTERVAL = Number(values.interval);
const OBJECT_VALUES = values.value !== 'string';
const BACKEND = values.backend;
if (BACKEND !== 'hashmap' && BACKEND !== 'rocksdb') throw new Error(`--backend: hashmap or rocksdb, not '${BACKEND}'`);
const INCREMENTAL = values.incremental;
const RESIDENT_KEYS = values['resident-keys'];
const rssMb = (): number => Math.round(process.memoryUsage.rss() / 2 ** 20);

interface Item {
  id: number;
  name: string;
  tags: string[];
}
type Value = Item | string;
const PAD = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(Math.ceil(VALUE_BYTES / 36) + 1);

/** A value of about VALUE_BYTES bytes encoded (CBOR), for key `n`, version `v`. */
function valueFor(n: number, v: number): Value {
  if (!OBJECT_VALUES) return `${n}:${v}:${PAD.slice(0, Math.max(0, VALUE_BYTES - 16))}`;
  // { id, name, tags: [2] }: ~4+8 + 5+1+(VALUE_BYTES-40) + 5+1+2*(1+8) bytes ≈ VALUE_BYTES.
  return { id: n, name: PAD.slice(v % 8, v % 8 + Math.max(0, VALUE_BYTES - 40)), tags: [`t${v % 1000}`.padEnd(8, '-'), `k${n % 1000}`.padEnd(8, '-')] };
}

// ---- measurements in the slot worker's thread ------------------------------------------------

let keysInState = 0;
let recordsSeen = 0;
let lastRecordNs = 0n;
let maxGapNs = 0n;
const notified = new Map<number, number>();

/** The lines of the slot worker, also kept in a file for the main thread's summary. */
const LINES = join(tmpdir(), `runnel-bench-state-${process.pid}.jsonl`);
function out(line: object): void {
  const text = `${JSON.stringify(line)}\n`;
  writeSync(1, text);
  appendFileSync(LINES, text);
}

const wrapped = new WeakSet<object>();
const originalPerform = TaskCheckpoints.prototype.perform;
TaskCheckpoints.prototype.perform = function perform(this: TaskCheckpoints, barrier: BarrierInfo, alignmentMs: number): boolean {
  const task = (this as unknown as { task: CheckpointingTask }).task;
  if (!wrapped.has(task)) {
    wrapped.add(task);
    const report = task.report.bind(task);
    task.report = (message: FromWorker): void => {
      if (message.type === 'acknowledgeCheckpoint') {
        out({
          ack: true,
          checkpointId: message.checkpointId,
          vertex: task.deployment.vertexId.slice(0, 8),
          subtask: task.deployment.subtaskIndex,
          bytes: message.bytes,
          syncMs: message.syncMs,
          asyncMs: message.asyncMs,
          alignmentMs: message.alignmentMs,
        });
      }
      report(message);
    };
  }
  const gapBefore = maxGapNs;
  maxGapNs = 0n;
  const t0 = process.hrtime.bigint();
  const paused = originalPerform.call(this, barrier, alignmentMs);
  const performMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const heap = getHeapStatistics();
  out({
    perform: true,
    checkpointId: barrier.checkpointId,
    vertex: task.deployment.vertexId.slice(0, 8),
    // The stateful task is the one with inputs (keyBy -> process -> sink), not the source's.
    stateful: task.deployment.inputs.length > 0,
    performMs,
    keysInState,
    records: recordsSeen,
    maxGapMsBefore: Number(gapBefore) / 1e6,
    heapUsedMb: Math.round(heap.used_heap_size / 2 ** 20),
    rssMb: rssMb(),
    triggeredAt: barrier.timestamp,
  });
  return paused;
};

class KeepLatest extends KeyedProcessFunction<number, number, number> implements CheckpointListener {
  private state!: ValueState<Value>;
  override open(): void {
    this.state = this.getRuntimeContext().getState(new ValueStateDescriptor<Value>('latest'));
  }
  processElement(n: number, _ctx: KeyedContext<number>, collector: { collect(v: number): void }): void {
    const now = process.hrtime.bigint();
    if (lastRecordNs !== 0n && now - lastRecordNs > maxGapNs) maxGapNs = now - lastRecordNs;
    lastRecordNs = now;
    recordsSeen++;
    const key = n % KEYS;
    if (this.state.value() === undefined) keysInState++;
    this.state.update(valueFor(key, Math.floor(n / KEYS)));
    if (n % 1024 === 0) collector.collect(n);
  }
  notifyCheckpointComplete(checkpointId: number): void {
    if (!notified.has(checkpointId)) {
      notified.set(checkpointId, Date.now());
      out({ notified: true, checkpointId, at: Date.now(), keysInState, maxGapMsSince: Number(maxGapNs) / 1e6 });
    }
  }
}

// ---- the job -----------------------------------------------------------------------------------

// The same in the slot worker (a thread of this process) as in the main thread.
const dir = values.dir !== '' ? values.dir : join(tmpdir(), `runnel-bench-state-${process.pid}`);
const env = StreamExecutionEnvironment.getExecutionEnvironment(
  Configuration.fromRecord({
    'execution.checkpointing.dir': dir,
    'state.backend.type': BACKEND,
    'state.backend.incremental': String(INCREMENTAL),
    ...(BACKEND === 'rocksdb' ? { 'state.backend.rocksdb.localdir': join(dir, 'rocksdb') } : {}),
    ...(RESIDENT_KEYS !== undefined ? { 'state.backend.rocksdb.resident-keys': RESIDENT_KEYS } : {}),
  }),
);
env.setParallelism(1);
env.enableCheckpointing(INTERVAL, 'EXACTLY_ONCE');
env
  .fromSequence(0, RECORDS - 1)
  .keyBy((n) => n % KEYS)
  .process(new KeepLatest())
  .sinkTo(new DiscardSink<number>(), 'discard');

const started = Date.now();
const what = (): string =>
  `${RECORDS} records over ${KEYS} keys, ${OBJECT_VALUES ? 'object' : 'string'} values of ~${VALUE_BYTES} bytes; ` +
  `state.backend.type ${BACKEND}${BACKEND === 'rocksdb' ? `, resident-keys ${RESIDENT_KEYS ?? 'default'}` : ''}, incremental ${INCREMENTAL}`;
if (isMainThread) {
  // Stopped before the end (Ctrl-C, `timeout`): the summary of the checkpoints so far, the peak
  // RSS so far, and the temporary files removed.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
      console.log(`\n${signal} after ${((Date.now() - started) / 1000).toFixed(1)} s, job not done (${what()}); so far:`);
      summarize(peakRssMb);
      if (values.dir === '') rmSync(dir, { recursive: true, force: true });
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}
await env.execute('checkpoint state benchmark');
const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
console.log(`job done in ${((Date.now() - started) / 1000).toFixed(1)} s (${what()})`);
summarize(peakRssMb);

// The same number of bytes written durably on their own (temporary file, fsync, rename).
const probe = await mkdtemp(join(tmpdir(), 'runnel-bench-write-'));
const bytes = new Uint8Array(KEYS * (VALUE_BYTES + 20)).fill(7);
const w0 = process.hrtime.bigint();
await writeStateFile(probe, 'probe', bytes);
console.log(`writeStateFile of ${bytes.byteLength} bytes alone: ${(Number(process.hrtime.bigint() - w0) / 1e6).toFixed(0)} ms`);
await rm(probe, { recursive: true, force: true });
if (values.dir === '') await rm(dir, { recursive: true, force: true });

// ---- the summary (main thread) ---------------------------------------------------------------

interface Line {
  ack?: boolean;
  perform?: boolean;
  notified?: boolean;
  checkpointId: number;
  vertex?: string;
  stateful?: boolean;
  bytes?: number;
  syncMs?: number;
  asyncMs?: number;
  performMs?: number;
  heapUsedMb?: number;
  rssMb?: number;
  keysInState?: number;
  records?: number;
  triggeredAt?: number;
  at?: number;
  maxGapMsSince?: number;
}
/** Per checkpoint, what the slot worker wrote to LINES; then the checkpoints over every key and the peak RSS. */
function summarize(peakRssMb: number): void {
  let lines: Line[] = [];
  try {
    lines = readFileSync(LINES, 'utf8').trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Line);
  } catch {
    // No checkpoint yet.
  }
  rmSync(LINES, { force: true });
  const ids = [...new Set(lines.map((l) => l.checkpointId))].sort((a, b) => a - b);
  // The stateful task: the one with inputs (else the one whose acknowledgements carry the most bytes).
  const stateful =
    lines.find((l) => l.perform === true && l.stateful === true)?.vertex ?? lines.filter((l) => l.ack === true).sort((a, b) => (b.bytes ?? 0) - (a.bytes ?? 0))[0]?.vertex;
  console.log('\ncheckpoint  records    keys       bytes        syncMs  performMs (thread blocked)  asyncMs  trigger->notify ms  longest record gap ms  heap MB  RSS MB');
  for (const id of ids) {
    const of = lines.filter((l) => l.checkpointId === id);
    const ack = of.find((l) => l.ack === true && l.vertex === stateful);
    const perform = of.find((l) => l.perform === true && l.vertex === stateful);
    const notified = of.find((l) => l.notified === true);
    if (ack === undefined || perform === undefined) {
      console.log(`${String(id).padStart(10)}  (not acknowledged by the stateful task)`);
      continue;
    }
    const e2e = notified?.at !== undefined && perform.triggeredAt !== undefined ? String(notified.at - perform.triggeredAt) : '-';
    console.log(
      `${String(id).padStart(10)}  ${String(perform.records ?? '-').padEnd(9)}  ${String(perform.keysInState).padEnd(9)}  ${String(ack.bytes).padStart(11)}  ${String(ack.syncMs).padStart(6)}  ${(perform.performMs ?? 0).toFixed(0).padStart(26)}  ${String(ack.asyncMs).padStart(7)}  ${e2e.padStart(18)}  ${(notified?.maxGapMsSince ?? 0).toFixed(0).padStart(21)}  ${String(perform.heapUsedMb ?? '-').padStart(7)}  ${String(perform.rssMb ?? '-').padStart(6)}`,
    );
  }

  // Over the checkpoints that covered every key: durations and sizes; and the process's peak RSS.
  const full = ids.flatMap((id) => {
    const of = lines.filter((l) => l.checkpointId === id);
    const ack = of.find((l) => l.ack === true && l.vertex === stateful);
    const perform = of.find((l) => l.perform === true && l.vertex === stateful);
    const notified = of.find((l) => l.notified === true);
    if (ack === undefined || perform === undefined || perform.keysInState !== KEYS) return [];
    return [{ bytes: ack.bytes ?? 0, syncMs: ack.syncMs ?? 0, asyncMs: ack.asyncMs ?? 0, performMs: perform.performMs ?? 0, e2eMs: notified?.at !== undefined && perform.triggeredAt !== undefined ? notified.at - perform.triggeredAt : undefined }];
  });
  const med = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)] ?? 0;
  const stats = (xs: number[]): string => (xs.length === 0 ? '-' : `median ${med(xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}`);
  console.log(`\nstate backend ${BACKEND}${INCREMENTAL ? ' (incremental)' : ''}: ${full.length} checkpoint(s) over all ${KEYS} keys`);
  if (full.length > 0) {
    const e2e = full.flatMap((f) => (f.e2eMs === undefined ? [] : [f.e2eMs]));
    console.log(`  bytes: ${stats(full.map((f) => f.bytes))}; syncMs: ${stats(full.map((f) => f.syncMs))}; performMs: ${stats(full.map((f) => f.performMs))}; asyncMs: ${stats(full.map((f) => f.asyncMs))}; trigger->notify ms: ${stats(e2e)}`);
  }
  console.log(`  peak RSS of this process (job's threads included): ${peakRssMb} MB`);
}
