/**
 * Keyed state through the DataStream API: every kind of state, per key, across parallel
 * instances, checked against plain grouping code.
 */
import t from 'tap';
import {
  AggregatingStateDescriptor,
  JobExecutionException,
  KeyedProcessFunction,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  RichFlatMapFunction,
  RichMapFunction,
  ValueStateDescriptor,
  type AggregatingState,
  type Collector,
  type KeyedContext,
  type ListState,
  type MapState,
  type ReducingState,
  type ValueState,
} from '../../src/index.js';
import { env } from '../helpers/jobs.js';

interface Reading {
  readonly sensor: string;
  readonly value: number;
}

interface Summary {
  readonly key: string;
  readonly subtask: number;
  readonly count: number;
  readonly values: number[];
  readonly histogram: Record<string, number>;
  readonly sum: number;
  readonly mean: number;
  readonly owners: string[];
}

const SENSORS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta'];
const reading = (i: number): Reading => ({ sensor: SENSORS[(i * 7 + (i >> 3)) % SENSORS.length]!, value: (i * 37) % 101 });

/** Every kind of keyed state, updated per record; each record emits the key's state so far. */
class EveryState extends KeyedProcessFunction<string, Reading, Summary> {
  private count!: ValueState<number>;
  private owner!: ValueState<string>;
  private values!: ListState<number>;
  private histogram!: MapState<string, number>;
  private sum!: ReducingState<number>;
  private mean!: AggregatingState<number, number>;

  override open(): void {
    const ctx = this.getRuntimeContext();
    this.count = ctx.getState(new ValueStateDescriptor('count', 0));
    this.owner = ctx.getState(new ValueStateDescriptor<string>('owner'));
    this.values = ctx.getListState(new ListStateDescriptor<number>('values'));
    this.histogram = ctx.getMapState(new MapStateDescriptor<string, number>('histogram'));
    this.sum = ctx.getReducingState(new ReducingStateDescriptor<number>('sum', (a, b) => a + b));
    this.mean = ctx.getAggregatingState(
      new AggregatingStateDescriptor<number, { n: number; total: number }, number>('mean', {
        createAccumulator: () => ({ n: 0, total: 0 }),
        add: (v, acc) => ({ n: acc.n + 1, total: acc.total + v }),
        getResult: (acc) => acc.total / acc.n,
        merge: (a, b) => ({ n: a.n + b.n, total: a.total + b.total }),
      }),
    );
  }

  processElement(r: Reading, ctx: KeyedContext<string>, out: Collector<Summary>): void {
    // The owner is written once per key: another key's value here would show up in `owners`.
    const owners = this.owner.value() === undefined ? [] : [this.owner.value()!];
    if (this.owner.value() === undefined) this.owner.update(ctx.getCurrentKey());
    this.count.update(this.count.value()! + 1);
    this.values.add(r.value);
    const bucket = r.value % 2 === 0 ? 'even' : 'odd';
    this.histogram.put(bucket, (this.histogram.get(bucket) ?? 0) + 1);
    this.sum.add(r.value);
    this.mean.add(r.value);
    out.collect({
      key: ctx.getCurrentKey(),
      subtask: this.getRuntimeContext().getIndexOfThisSubtask(),
      count: this.count.value()!,
      values: [...this.values.get()],
      histogram: Object.fromEntries([...this.histogram.entries()].sort()),
      sum: this.sum.get()!,
      mean: this.mean.get()!,
      owners,
    });
  }
}

for (const p of [1, 3]) {
  t.test(`a KeyedProcessFunction keeps value, list, map, reducing and aggregating state per key at parallelism ${p}`, async (t) => {
    const n = 700;
    const input = Array.from({ length: n }, (_, i) => reading(i));
    const out = await env(p)
      .fromSequence(0, n - 1)
      .map(reading)
      .keyBy((r) => r.sensor)
      .process(new EveryState())
      .executeAndCollect();

    // What the state must hold, from plain grouping code.
    const groups = new Map<string, number[]>();
    for (const r of input) groups.set(r.sensor, [...(groups.get(r.sensor) ?? []), r.value]);

    t.equal(out.length, n, 'one summary per record');
    const finals = new Map<string, Summary>();
    for (const s of out) if ((finals.get(s.key)?.count ?? 0) < s.count) finals.set(s.key, s);
    t.same([...finals.keys()].sort(), [...groups.keys()].sort(), 'a final summary for every key');
    for (const [key, values] of groups) {
      const s = finals.get(key)!;
      const sorted = [...values].sort((a, b) => a - b);
      const total = values.reduce((a, b) => a + b, 0);
      const even = values.filter((v) => v % 2 === 0).length;
      t.equal(s.count, values.length, `${key}: ValueState counted from its default`);
      t.same([...s.values].sort((a, b) => a - b), sorted, `${key}: ListState holds exactly its values`);
      t.same(s.histogram, Object.fromEntries(Object.entries({ even, odd: values.length - even }).filter(([, c]) => c > 0)), `${key}: MapState`);
      t.equal(s.sum, total, `${key}: ReducingState`);
      t.ok(Math.abs(s.mean - total / values.length) < 1e-9, `${key}: AggregatingState`);
    }
    for (const [key, values] of groups) {
      const counts = out.filter((s) => s.key === key).map((s) => s.count).sort((a, b) => a - b);
      t.same(counts, Array.from({ length: values.length }, (_, i) => i + 1), `${key} counts 1..${values.length} without gap or repeat`);
    }
    t.ok(out.every((s) => s.owners.every((o) => o === s.key)), "no key ever reads another key's value");
    const subtasksOf = new Map<string, Set<number>>();
    for (const s of out) subtasksOf.set(s.key, (subtasksOf.get(s.key) ?? new Set()).add(s.subtask));
    t.ok([...subtasksOf.values()].every((s) => s.size === 1), 'each key lives on one subtask');
    t.ok(out.every((s) => s.subtask >= 0 && s.subtask < p), 'summaries come from the parallel instances');
    if (p > 1) t.ok(new Set(out.map((s) => s.subtask)).size > 1, 'keys are spread over more than one subtask');
  });

  t.test(`keyBy().flatMap() with a RichFlatMapFunction keeps ValueState per key, as Flink's CountWindowAverage at parallelism ${p}`, async (t) => {
    // Flink's documentation example: emit the average of every two values of a key.
    class CountWindowAverage extends RichFlatMapFunction<[number, number], [number, number]> {
      private sum!: ValueState<[number, number]>;
      override open(): void {
        this.sum = this.getRuntimeContext().getState(new ValueStateDescriptor<[number, number]>('average', [0, 0]));
      }
      flatMap(input: [number, number], out: Collector<[number, number]>): void {
        const current = this.sum.value()!;
        const next: [number, number] = [current[0] + 1, current[1] + input[1]];
        if (next[0] >= 2) {
          out.collect([input[0], next[1] / next[0]]);
          this.sum.clear();
        } else {
          this.sum.update(next);
        }
      }
    }
    const input: Array<[number, number]> = [];
    for (let i = 0; i < 200; i++) input.push([i % 9, i]);
    const out = await env(p)
      .fromCollection(input)
      .keyBy((x) => x[0])
      .flatMap(new CountWindowAverage())
      .executeAndCollect();
    const expected: Array<[number, number]> = [];
    const pending = new Map<number, number>();
    for (const [k, v] of input) {
      const first = pending.get(k);
      if (first === undefined) pending.set(k, v);
      else {
        expected.push([k, (first + v) / 2]);
        pending.delete(k);
      }
    }
    const order = (a: [number, number], b: [number, number]): number => a[0] - b[0] || a[1] - b[1];
    t.same(out.sort(order), expected.sort(order));
  });
}

t.test('keyBy().map() with a RichMapFunction reads and writes the state of the record key', async (t) => {
  class RunningCount extends RichMapFunction<string, string> {
    private seen!: ValueState<number>;
    override open(): void {
      this.seen = this.getRuntimeContext().getState(new ValueStateDescriptor('seen', 0));
    }
    map(word: string): string {
      const n = this.seen.value()! + 1;
      this.seen.update(n);
      return `${word}#${n}`;
    }
  }
  const words = ['to', 'be', 'or', 'not', 'to', 'be', 'to'];
  const out = await env(2).fromCollection(words).keyBy((w) => w).map(new RunningCount()).executeAndCollect();
  t.same(out.sort(), ['be#1', 'be#2', 'not#1', 'or#1', 'to#1', 'to#2', 'to#3']);
});

t.test('keys equal in content share state, keys of different types do not', async (t) => {
  interface Event {
    readonly key: unknown;
    readonly tag: string;
  }
  class Seen extends KeyedProcessFunction<unknown, Event, string> {
    private tags!: ListState<string>;
    override open(): void {
      this.tags = this.getRuntimeContext().getListState(new ListStateDescriptor<string>('tags'));
    }
    processElement(e: Event, _ctx: KeyedContext<unknown>, out: Collector<string>): void {
      this.tags.add(e.tag);
      out.collect([...this.tags.get()].join(','));
    }
  }
  const events: Event[] = [
    { key: 1, tag: 'a' },
    { key: '1', tag: 'b' },
    { key: ['x', 1], tag: 'c' },
    { key: { b: 2, a: 1 }, tag: 'd' },
    { key: ['x', 1], tag: 'e' },
    { key: { a: 1, b: 2 }, tag: 'f' },
    { key: 1, tag: 'g' },
  ];
  const out = await env(3).fromCollection(events).keyBy((e) => e.key).process(new Seen()).executeAndCollect();
  t.same(out.sort(), ['a', 'a,g', 'b', 'c', 'c,e', 'd', 'd,f'].sort());
});

t.test('clear() drops only the current key and its reads fall back to the default', async (t) => {
  class ResetOnZero extends KeyedProcessFunction<string, [string, number], string> {
    private total!: ValueState<number>;
    override open(): void {
      this.total = this.getRuntimeContext().getState(new ValueStateDescriptor('total', 100));
    }
    processElement([key, n]: [string, number], _ctx: KeyedContext<string>, out: Collector<string>): void {
      if (n === 0) this.total.clear();
      else this.total.update(this.total.value()! + n);
      out.collect(`${key}=${this.total.value()}`);
    }
  }
  const out = await env(1)
    .fromElements<[string, number]>(['a', 1], ['b', 2], ['a', 0], ['b', 3], ['a', 4])
    .keyBy((x) => x[0])
    .process(new ResetOnZero())
    .executeAndCollect();
  t.same(out, ['a=101', 'b=102', 'a=100', 'b=105', 'a=104']);
});

t.test('keyed state on a stream that is not keyed fails the job with a message naming keyBy', async (t) => {
  class NotKeyed extends RichMapFunction<number, number> {
    override open(): void {
      this.getRuntimeContext().getState(new ValueStateDescriptor<number>('x'));
    }
    map(n: number): number {
      return n;
    }
  }
  const err = await env(2).fromSequence(1, 10).map(new NotKeyed()).executeAndCollect().then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof JobExecutionException);
  t.match(String((err as Error).cause), /keyed state.*keyBy/);
});

t.test('open() runs once per parallel instance before any record, close() once after the last', async (t) => {
  const events: string[] = [];
  class Lifecycle extends RichMapFunction<number, number> {
    private records = 0;
    override open(): void {
      events.push(`open ${this.getRuntimeContext().getIndexOfThisSubtask()} after ${this.records}`);
    }
    map(n: number): number {
      this.records++;
      return n;
    }
    override close(): void {
      events.push(`close ${this.getRuntimeContext().getIndexOfThisSubtask()} after ${this.records > 0 ? 'records' : 'none'}`);
    }
  }
  const out = await env(3).fromSequence(1, 3000).rebalance().map(new Lifecycle()).executeAndCollect();
  t.equal(out.length, 3000);
  t.same(events.filter((e) => e.startsWith('open')).sort(), ['open 0 after 0', 'open 1 after 0', 'open 2 after 0']);
  t.same(events.filter((e) => e.startsWith('close')).sort(), ['close 0 after records', 'close 1 after records', 'close 2 after records']);
});
