/**
 * Event-time window tests: a deterministic stream of out-of-order events, the pipelines that
 * window it with every kind of window function, and the expected results computed independently
 * by plain grouping code over the same events.
 */
import { Configuration } from '../../src/config/index.js';
import {
  ProcessAllWindowFunction,
  ProcessFunction,
  ProcessWindowFunction,
  StreamExecutionEnvironment,
  WatermarkStrategy,
  type AggregateFunction,
  type Collector,
  type DataStream,
  type ProcessContext,
  type ProcessWindowContext,
  type TimeWindow,
  type WindowAssigner,
} from '../../src/index.js';

/**
 * An environment with frequent periodic watermarks, so windows fire while the input runs; slots
 * inline in the test's thread.
 */
export function windowEnv(parallelism: number): StreamExecutionEnvironment {
  process.env['RUNNEL_SLOT_MODE'] = 'inline';
  const e = StreamExecutionEnvironment.getExecutionEnvironment(Configuration.fromRecord({ 'pipeline.auto-watermark-interval': '10 ms' }));
  e.setParallelism(parallelism);
  return e;
}

export interface Ev {
  readonly key: string;
  readonly ts: number;
  readonly v: number;
}

/** How far out of order the events may be (and the watermark strategy's bound). */
export const BOUND = 50;

/**
 * Event `i`: five keys; timestamps rise about 8 ms per event with under 50 ms of disorder, in
 * bursts of 50 events separated by 300 ms of silence. Timestamps are even, so with an odd session
 * gap no event ever lands exactly on a session's end.
 */
export function event(i: number): Ev {
  return { key: `k${i % 5}`, ts: 2 * (500 + i * 4 + Math.floor(i / 50) * 150 - ((i * i * 31 + i * 17) % 25)), v: (i * 7) % 11 };
}

export const EVENTS = 1000;

export function allEvents(count = EVENTS): Ev[] {
  return Array.from({ length: count }, (_, i) => event(i));
}

/** The source of the tests: the events, throttled so that periodic watermarks fire windows on the way. */
export function eventStream(e: StreamExecutionEnvironment, count = EVENTS, ratePerSecond = 5000): DataStream<Ev> {
  return e
    .fromGenerator(event, count, ratePerSecond)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Ev>(BOUND).withTimestampAssigner((ev) => ev.ts));
}

// ---- reference: windows computed by plain grouping ------------------------------------------

export type Span = readonly [start: number, end: number];

export function tumblingSpans(ts: number, size: number, offset = 0): Span[] {
  const start = Math.floor((ts - offset) / size) * size + offset;
  return [[start, start + size]];
}

export function slidingSpans(ts: number, size: number, slide: number): Span[] {
  const spans: Span[] = [];
  for (let start = Math.floor(ts / slide) * slide; start + size > ts; start -= slide) spans.push([start, start + size]);
  return spans;
}

/** A window's events, found by grouping. */
export interface Group {
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly events: Ev[];
}

/** Groups events per key into the spans `spansOf` gives each timestamp. */
export function groupBySpans(events: readonly Ev[], spansOf: (ts: number) => Span[], keyOf: (e: Ev) => string = (e) => e.key): Group[] {
  const groups = new Map<string, Group>();
  for (const e of events) {
    for (const [start, end] of spansOf(e.ts)) {
      const id = `${keyOf(e)}|${start}`;
      let g = groups.get(id);
      if (g === undefined) groups.set(id, (g = { key: keyOf(e), start, end, events: [] }));
      g.events.push(e);
    }
  }
  return [...groups.values()];
}

/** Sessions per key: events sorted by time, a new session whenever the next starts after the current end. */
export function groupSessions(events: readonly Ev[], gap: number, keyOf: (e: Ev) => string = (e) => e.key): Group[] {
  const byKey = new Map<string, Ev[]>();
  for (const e of events) {
    const list = byKey.get(keyOf(e)) ?? [];
    list.push(e);
    byKey.set(keyOf(e), list);
  }
  const groups: Group[] = [];
  for (const [key, list] of byKey) {
    list.sort((a, b) => a.ts - b.ts);
    let current: { start: number; end: number; events: Ev[] } | undefined;
    for (const e of list) {
      if (current !== undefined && e.ts <= current.end) {
        current.end = Math.max(current.end, e.ts + gap);
        current.events.push(e);
      } else {
        if (current !== undefined) groups.push({ key, ...current });
        current = { start: e.ts, end: e.ts + gap, events: [e] };
      }
    }
    if (current !== undefined) groups.push({ key, ...current });
  }
  return groups;
}

const sumOf = (events: readonly Ev[]): number => events.reduce((s, e) => s + e.v, 0);

/** The lines every variant of {@link windowVariants} must produce for `groups`. */
export function expectedLines(groups: readonly Group[]): Record<Variant, string[]> {
  const lines: Record<Variant, string[]> = { reduce: [], aggregate: [], process: [], 'reduce+process': [], 'aggregate+process': [] };
  for (const g of groups) {
    const at = `@${g.end - 1}`;
    const span = `${g.start}-${g.end}`;
    const n = g.events.length;
    const sum = sumOf(g.events);
    lines.reduce.push(`${g.key}|sum=${sum}${at}`);
    lines.aggregate.push(`${g.key}|n=${n},sum=${sum}${at}`);
    lines.process.push(`${g.key}|${span}|n=${n},sum=${sum}${at}`);
    lines['reduce+process'].push(`${g.key}|${span}|sum=${sum}${at}`);
    lines['aggregate+process'].push(`${g.key}|${span}|n=${n},sum=${sum}${at}`);
  }
  for (const list of Object.values(lines)) list.sort();
  return lines;
}

// ---- the pipelines --------------------------------------------------------------------------

export type Variant = 'reduce' | 'aggregate' | 'process' | 'reduce+process' | 'aggregate+process';
export const VARIANTS: readonly Variant[] = ['reduce', 'aggregate', 'process', 'reduce+process', 'aggregate+process'];

interface Acc {
  key: string;
  n: number;
  sum: number;
}

/** Counts and sums a window's events, keeping the key (the result does not know it otherwise). */
export const countAndSum: AggregateFunction<Ev, Acc, Acc> = {
  createAccumulator: () => ({ key: '', n: 0, sum: 0 }),
  add: (e, acc) => ({ key: e.key, n: acc.n + 1, sum: acc.sum + e.v }),
  getResult: (acc) => acc,
  merge: (a, b) => ({ key: a.key || b.key, n: a.n + b.n, sum: a.sum + b.sum }),
};

export const addUp = (a: Ev, b: Ev): Ev => ({ key: a.key, ts: Math.max(a.ts, b.ts), v: a.v + b.v });

/**
 * Appends each result's timestamp, which a window sets to its max timestamp, and notes the
 * watermark downstream of the windows when the result arrived in `watermarks` (an array the
 * class closes over: every subtask's copy writes to it, the slots running in the test's thread).
 */
function withTimestamp(watermarks: number[]): ProcessFunction<string, string> {
  return new (class extends ProcessFunction<string, string> {
    processElement(line: string, ctx: ProcessContext, out: Collector<string>): void {
      watermarks.push(ctx.timerService().currentWatermark());
      out.collect(`${line}@${ctx.timestamp()}`);
    }
  })();
}

/** Whether some results arrived while the watermark was neither the first nor the final one: windows fired mid-stream. */
export function firedMidStream(watermarks: readonly number[]): boolean {
  return watermarks.some((w) => Number.isFinite(w));
}

class DescribeAll extends ProcessWindowFunction<Ev, string, string, TimeWindow> {
  process(key: string, ctx: ProcessWindowContext<TimeWindow>, elements: Iterable<Ev>, out: Collector<string>): void {
    let n = 0;
    let sum = 0;
    for (const e of elements) {
      n++;
      sum += e.v;
    }
    out.collect(`${key}|${ctx.window().getStart()}-${ctx.window().getEnd()}|n=${n},sum=${sum}`);
  }
}

class DescribeReduced extends ProcessWindowFunction<Ev, string, string, TimeWindow> {
  process(key: string, ctx: ProcessWindowContext<TimeWindow>, elements: Iterable<Ev>, out: Collector<string>): void {
    const all = [...elements];
    if (all.length !== 1) throw new Error(`an incremental window hands one value to its process function, got ${all.length}`);
    out.collect(`${key}|${ctx.window().getStart()}-${ctx.window().getEnd()}|sum=${all[0]!.v}`);
  }
}

class DescribeAggregated extends ProcessWindowFunction<Acc, string, string, TimeWindow> {
  process(key: string, ctx: ProcessWindowContext<TimeWindow>, elements: Iterable<Acc>, out: Collector<string>): void {
    for (const acc of elements) out.collect(`${key}|${ctx.window().getStart()}-${ctx.window().getEnd()}|n=${acc.n},sum=${acc.sum}`);
  }
}

/** Windows `events` per key with `assigner`, once per variant; each result line is prefixed by its variant. */
export function windowVariants(events: DataStream<Ev>, assigner: WindowAssigner<Ev, TimeWindow>, watermarks: number[] = []): DataStream<string> {
  const keyed = events.keyBy((e) => e.key);
  const outputs: DataStream<string>[] = [
    keyed
      .window(assigner)
      .reduce(addUp)
      .map((r) => `reduce:${r.key}|sum=${r.v}`),
    keyed
      .window(assigner)
      .aggregate(countAndSum)
      .map((r) => `aggregate:${r.key}|n=${r.n},sum=${r.sum}`),
    keyed
      .window(assigner)
      .process(new DescribeAll())
      .map((line) => `process:${line}`),
    keyed
      .window(assigner)
      .reduce(addUp, new DescribeReduced())
      .map((line) => `reduce+process:${line}`),
    keyed
      .window(assigner)
      .aggregate(countAndSum, new DescribeAggregated())
      .map((line) => `aggregate+process:${line}`),
  ];
  return outputs[0]!.union(...outputs.slice(1)).process(withTimestamp(watermarks));
}

/** The same with windowAll: one window for all keys, the key reported as `*`. */
export function windowAllVariants(events: DataStream<Ev>, assigner: WindowAssigner<Ev, TimeWindow>, watermarks: number[] = []): DataStream<string> {
  class All extends ProcessAllWindowFunction<Ev, string, TimeWindow> {
    process(ctx: ProcessWindowContext<TimeWindow>, elements: Iterable<Ev>, out: Collector<string>): void {
      let n = 0;
      let sum = 0;
      for (const e of elements) {
        n++;
        sum += e.v;
      }
      out.collect(`*|${ctx.window().getStart()}-${ctx.window().getEnd()}|n=${n},sum=${sum}`);
    }
  }
  class AllReduced extends ProcessAllWindowFunction<Ev, string, TimeWindow> {
    process(ctx: ProcessWindowContext<TimeWindow>, elements: Iterable<Ev>, out: Collector<string>): void {
      for (const r of elements) out.collect(`*|${ctx.window().getStart()}-${ctx.window().getEnd()}|sum=${r.v}`);
    }
  }
  class AllAggregated extends ProcessAllWindowFunction<Acc, string, TimeWindow> {
    process(ctx: ProcessWindowContext<TimeWindow>, elements: Iterable<Acc>, out: Collector<string>): void {
      for (const acc of elements) out.collect(`*|${ctx.window().getStart()}-${ctx.window().getEnd()}|n=${acc.n},sum=${acc.sum}`);
    }
  }
  const outputs: DataStream<string>[] = [
    events
      .windowAll(assigner)
      .reduce(addUp)
      .map((r) => `reduce:*|sum=${r.v}`),
    events
      .windowAll(assigner)
      .aggregate(countAndSum)
      .map((r) => `aggregate:*|n=${r.n},sum=${r.sum}`),
    events
      .windowAll(assigner)
      .process(new All())
      .map((line) => `process:${line}`),
    events
      .windowAll(assigner)
      .reduce(addUp, new AllReduced())
      .map((line) => `reduce+process:${line}`),
    events
      .windowAll(assigner)
      .aggregate(countAndSum, new AllAggregated())
      .map((line) => `aggregate+process:${line}`),
  ];
  return outputs[0]!.union(...outputs.slice(1)).process(withTimestamp(watermarks));
}

/** Splits prefixed result lines by variant, each sorted. */
export function byVariant(lines: readonly string[]): Record<Variant, string[]> {
  const out: Record<Variant, string[]> = { reduce: [], aggregate: [], process: [], 'reduce+process': [], 'aggregate+process': [] };
  for (const line of lines) {
    const at = line.indexOf(':');
    const variant = line.slice(0, at) as Variant;
    out[variant].push(line.slice(at + 1));
  }
  for (const list of Object.values(out)) list.sort();
  return out;
}
