/**
 * Processing-time windows on a rate-limited generator: their contents depend on timing, so the
 * tests check structure (alignment, one firing per key and window, timestamps, no element twice)
 * rather than exact contents. And windows in BATCH mode, where time is complete at the end.
 */
import t from 'tap';
import {
  ProcessFunction,
  ProcessWindowFunction,
  RuntimeExecutionMode,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  WatermarkStrategy,
  type Collector,
  type ProcessContext,
  type ProcessWindowContext,
  type TimeWindow,
} from '../../src/index.js';
import { env } from '../helpers/jobs.js';
import { allEvents, event, expectedLines, groupBySpans, tumblingSpans, type Ev } from '../helpers/windows.js';

interface Tick {
  readonly key: string;
  readonly i: number;
}

interface Firing {
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly indexes: number[];
  readonly firedAt: number;
}

class Report extends ProcessWindowFunction<Tick, Firing, string, TimeWindow> {
  process(key: string, ctx: ProcessWindowContext<TimeWindow>, elements: Iterable<Tick>, out: Collector<Firing>): void {
    out.collect({
      key,
      start: ctx.window().getStart(),
      end: ctx.window().getEnd(),
      indexes: [...elements].map((e) => e.i),
      firedAt: ctx.currentProcessingTime(),
    });
  }
}

const SIZE = 50;
const COUNT = 600;

t.test('processing-time tumbling windows on a rate-limited generator fire aligned windows once per key as the clock passes their end', async (t) => {
  const stamped: { firing: Firing; timestamp: number | undefined }[] = [];
  const started = Date.now();
  await env(2)
    .fromGenerator((i): Tick => ({ key: `k${i % 3}`, i }), COUNT, 2000)
    .keyBy((e) => e.key)
    .window(TumblingProcessingTimeWindows.of(SIZE))
    .process(new Report())
    .process(
      new (class extends ProcessFunction<Firing, Firing> {
        processElement(firing: Firing, ctx: ProcessContext, out: Collector<Firing>): void {
          stamped.push({ firing, timestamp: ctx.timestamp() });
          out.collect(firing);
        }
      })(),
    )
    .executeAndCollect();
  const firings = stamped.map((s) => s.firing);
  t.ok(firings.length >= 3, `${firings.length} windows fired while the input ran`);
  t.ok(
    firings.every((f) => f.end - f.start === SIZE && f.start % SIZE === 0 && f.start >= started - SIZE),
    'windows are aligned to the epoch, of the window size, and of this run',
  );
  t.ok(
    stamped.every((s) => s.timestamp === s.firing.end - 1),
    "results carry the window's max timestamp",
  );
  t.ok(
    firings.every((f) => f.firedAt >= f.end - 1),
    'no window fires before processing time reaches its end',
  );
  t.equal(new Set(firings.map((f) => `${f.key}|${f.start}`)).size, firings.length, 'each key and window fires once');
  const indexes = firings.flatMap((f) => f.indexes);
  t.equal(new Set(indexes).size, indexes.length, 'no element is in two windows');
  t.ok(firings.every((f) => f.indexes.every((i) => `k${i % 3}` === f.key)), 'a window holds its key only');
  t.ok(indexes.length > 0 && indexes.length <= COUNT, `${indexes.length} of ${COUNT} elements in fired windows (windows still open at the end of input do not fire, as in Flink)`);
});

t.test('in BATCH mode event-time windows give the same results as grouping, and processing-time windows all fire at the end of input', async (t) => {
  const e = env(3);
  e.setRuntimeMode(RuntimeExecutionMode.BATCH);
  const eventTime = await e
    .fromGenerator(event, 1000)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Ev>(50).withTimestampAssigner((ev) => ev.ts))
    .keyBy((ev) => ev.key)
    .window(TumblingEventTimeWindows.of(100))
    .aggregate(
      {
        createAccumulator: () => ({ key: '', n: 0, sum: 0 }),
        add: (ev: Ev, acc: { key: string; n: number; sum: number }) => ({ key: ev.key, n: acc.n + 1, sum: acc.sum + ev.v }),
        getResult: (acc) => `${acc.key}|n=${acc.n},sum=${acc.sum}`,
        merge: (a, b) => ({ key: a.key, n: a.n + b.n, sum: a.sum + b.sum }),
      },
    )
    .executeAndCollect();
  const expected = expectedLines(groupBySpans(allEvents(), (ts) => tumblingSpans(ts, 100))).aggregate.map((line) => line.replace(/@\d+$/, ''));
  t.same(eventTime.sort(), expected.sort());

  const b = env(2);
  b.setRuntimeMode(RuntimeExecutionMode.BATCH);
  const processingTime = await b
    .fromSequence(1, 500)
    .keyBy((n) => n % 4)
    .window(TumblingProcessingTimeWindows.of(60_000))
    .reduce((x, y) => x + y)
    .executeAndCollect();
  t.equal(
    processingTime.reduce((x, y) => x + y, 0),
    125_250,
    'every element was in a window that fired',
  );
});
