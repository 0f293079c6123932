/**
 * Count windows (tumbling and sliding), GlobalWindows with a custom trigger, and windowAll.
 */
import t from 'tap';
import {
  CountTrigger,
  GlobalWindows,
  ProcessAllWindowFunction,
  ProcessWindowFunction,
  Trigger,
  TriggerResult,
  TumblingEventTimeWindows,
  ValueStateDescriptor,
  type Collector,
  type GlobalWindow,
  type ProcessWindowContext,
  type TriggerContext,
} from '../../src/index.js';
import { env } from '../helpers/jobs.js';
import { allEvents, byVariant, eventStream, expectedLines, firedMidStream, groupBySpans, tumblingSpans, VARIANTS, windowAllVariants, windowEnv } from '../helpers/windows.js';

/** Lists a window's elements in arrival order: "key:a,b,c". */
class ListElements extends ProcessWindowFunction<number, string, number, GlobalWindow> {
  process(key: number, _ctx: ProcessWindowContext<GlobalWindow>, elements: Iterable<number>, out: Collector<string>): void {
    out.collect(`${key}:${[...elements].join(',')}`);
  }
}

/** Per key, the numbers 0..n-1 with key n % k, in order (one source subtask keeps the order). */
function perKey(n: number, k: number): Map<number, number[]> {
  const keys = new Map<number, number[]>();
  for (let i = 0; i < n; i++) keys.set(i % k, [...(keys.get(i % k) ?? []), i]);
  return keys;
}

for (const p of [1, 3]) {
  t.test(`countWindow(size) at parallelism ${p} emits every key's elements in consecutive groups of size, leaving out an incomplete last group`, async (t) => {
    const numbers = Array.from({ length: 103 }, (_, i) => i);
    const out = await env(p)
      .fromCollection(numbers)
      .keyBy((n) => n % 4)
      .countWindow(5)
      .process(new ListElements())
      .executeAndCollect();
    const expected: string[] = [];
    for (const [key, list] of perKey(103, 4)) {
      for (let i = 0; i + 5 <= list.length; i += 5) expected.push(`${key}:${list.slice(i, i + 5).join(',')}`);
    }
    t.same(out.sort(), expected.sort());
  });

  t.test(`countWindow(size, slide) at parallelism ${p} emits a key's last size elements every slide elements`, async (t) => {
    const out = await env(p)
      .fromCollection(Array.from({ length: 60 }, (_, i) => i))
      .keyBy((n) => n % 3)
      .countWindow(4, 3)
      .process(new ListElements())
      .executeAndCollect();
    const expected: string[] = [];
    for (const [key, list] of perKey(60, 3)) {
      for (let seen = 3; seen <= list.length; seen += 3) expected.push(`${key}:${list.slice(Math.max(0, seen - 4), seen).join(',')}`);
    }
    t.same(out.sort(), expected.sort());
  });

  t.test(`countWindow(size) with reduce at parallelism ${p} sums every group`, async (t) => {
    const out = await env(p)
      .fromCollection(Array.from({ length: 1000 }, (_, i) => i + 1))
      .keyBy((n) => n % 7)
      .countWindow(10)
      .reduce((a, b) => a + b)
      .executeAndCollect();
    const expected: number[] = [];
    for (const list of perKey(1001, 7).values()) {
      const numbers = list.filter((n) => n > 0);
      for (let i = 0; i + 10 <= numbers.length; i += 10) expected.push(numbers.slice(i, i + 10).reduce((a, b) => a + b, 0));
    }
    t.same(out.sort((a, b) => a - b), expected.sort((a, b) => a - b));
  });
}

/** Fires and purges a key's window once the sum of its elements reaches the limit; the sum is trigger state. */
class SumReaches extends Trigger<number, GlobalWindow> {
  private readonly sumState = new ValueStateDescriptor<number>('running-sum', 0);
  constructor(private readonly limit: number) {
    super();
  }
  onElement(element: number, _ts: number | undefined, _w: GlobalWindow, ctx: TriggerContext): TriggerResult {
    const sum = ctx.getPartitionedState(this.sumState);
    const next = sum.value()! + element;
    if (next >= this.limit) {
      sum.clear();
      return TriggerResult.FIRE_AND_PURGE;
    }
    sum.update(next);
    return TriggerResult.CONTINUE;
  }
  onEventTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }
  onProcessingTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }
  clear(_w: GlobalWindow, ctx: TriggerContext): void {
    ctx.getPartitionedState(this.sumState).clear();
  }
}

t.test('GlobalWindows with a custom trigger fire whenever the trigger says, with the trigger\'s state per key', async (t) => {
  const values = Array.from({ length: 200 }, (_, i) => (i * 13) % 17);
  const out = await env(2)
    .fromCollection(values)
    .keyBy((n) => n % 2)
    .window(GlobalWindows.create())
    .trigger(new SumReaches(50))
    .process(new ListElements())
    .executeAndCollect();
  const expected: string[] = [];
  for (const key of [0, 1]) {
    let group: number[] = [];
    let sum = 0;
    for (const v of values.filter((n) => n % 2 === key)) {
      group.push(v);
      sum += v;
      if (sum >= 50) {
        expected.push(`${key}:${group.join(',')}`);
        group = [];
        sum = 0;
      }
    }
  }
  t.same(out.sort(), expected.sort());
});

t.test('GlobalWindows without a trigger never fire; createWithEndOfStreamTrigger fires once at the end of input', async (t) => {
  const never = await env(2).fromSequence(1, 100).keyBy((n) => n % 3).window(GlobalWindows.create()).reduce((a, b) => a + b).executeAndCollect();
  t.same(never, []);
  const atEnd = await env(2)
    .fromSequence(1, 100)
    .keyBy((n) => n % 3)
    .window(GlobalWindows.createWithEndOfStreamTrigger())
    .reduce((a, b) => a + b)
    .executeAndCollect();
  const expected = [0, 1, 2].map((k) => Array.from({ length: 100 }, (_, i) => i + 1).filter((n) => n % 3 === k).reduce((a, b) => a + b, 0));
  t.same(atEnd.sort(), expected.sort());
});

for (const p of [1, 3]) {
  t.test(`windowAll at parallelism ${p} evaluates each window over every key in one subtask, for reduce, aggregate, process and incremental + process`, async (t) => {
    const watermarks: number[] = [];
    const out = await windowAllVariants(eventStream(windowEnv(p)), TumblingEventTimeWindows.of(200), watermarks).executeAndCollect();
    const expected = expectedLines(groupBySpans(allEvents(), (ts) => tumblingSpans(ts, 200), () => '*'));
    const actual = byVariant(out);
    for (const variant of VARIANTS) t.same(actual[variant], expected[variant], `${variant}: one result per window`);
    t.ok(firedMidStream(watermarks), 'periodic watermarks fired windows before the end of input');
  });
}

t.test('windowAll runs with parallelism 1 and refuses another', async (t) => {
  class Count extends ProcessAllWindowFunction<number, number, GlobalWindow> {
    process(ctx: ProcessWindowContext<GlobalWindow>, elements: Iterable<number>, out: Collector<number>): void {
      out.collect([...elements].length);
    }
  }
  const windowed = env(3).fromSequence(1, 1000).windowAll(GlobalWindows.create()).trigger(CountTrigger.of(100)).process(new Count());
  t.equal(windowed.getParallelism(), 1);
  t.throws(() => windowed.setParallelism(2), /not parallel/);
  const out = await windowed.executeAndCollect();
  t.same(out, Array.from({ length: 10 }, (_, i) => 100 * (i + 1)), 'a firing every 100 elements; without purging each sees all elements so far');
});

t.test('countWindowAll(size) counts the whole stream', async (t) => {
  const out = await env(3)
    .fromSequence(1, 1000)
    .countWindowAll(250)
    .reduce((a, b) => a + b)
    .executeAndCollect();
  t.equal(out.length, 4);
  t.equal(out.reduce((a, b) => a + b, 0), 500_500, 'every element in exactly one window');
});
