/**
 * The window operator driven directly, with exact watermarks and a manual processing-time clock:
 * firing, late firings, lateness and cleanup, merging of sessions, triggers and evictors. Each
 * test runs over the heap backend and over RocksDB (timers in RocksDB, few cached, few keys
 * resident, so rows and timers are read back all the time).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tap from 'tap';
import {
  ContinuousEventTimeTrigger,
  CountEvictor,
  CountTrigger,
  EventTimeSessionWindows,
  GlobalWindows,
  ProcessWindowFunction,
  ProcessingTimeSessionWindows,
  PurgingTrigger,
  SlidingEventTimeWindows,
  TimeWindow,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  Trigger,
  TriggerResult,
  ValueStateDescriptor,
  type Collector,
  type ProcessWindowContext,
  type Window,
  type WindowAssigner,
} from '../../src/index.js';
import { EvictingWindowOperator } from '../../src/operators/windowing/evicting-window-operator.js';
import { WindowOperator } from '../../src/operators/windowing/window-operator.js';
import {
  IterableProcessWindowFunction,
  PassThroughWindowFunction,
  type InternalWindowFunction,
  type WindowContentsSpec,
} from '../../src/operators/windowing/window-functions.js';
import { RocksDBKeyedStateBackend } from '../../src/state/index.js';
import type { OperatorSetup } from '../../src/operators/operator.js';
import { OneInputHarness } from '../helpers/operator-harness.js';

type Event = [key: string, n: number];
const byKey = (e: unknown): unknown => (e as Event)[0];
const sum = { reduce: (a: unknown, b: unknown): unknown => [(a as Event)[0], (a as Event)[1] + (b as Event)[1]] };

interface Options {
  readonly assigner: WindowAssigner<unknown, Window>;
  readonly trigger?: Trigger<unknown, Window>;
  readonly allowedLateness?: number;
  readonly lateDataTag?: string;
  readonly contents?: WindowContentsSpec;
  readonly function?: InternalWindowFunction;
}

const folder = mkdtempSync(join(tmpdir(), 'runnel-window-operator-'));
tap.teardown(() => rmSync(folder, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 }));
let databases = 0;
const rocksdb: OperatorSetup['createKeyedStateBackend'] = (keyGroupRange, maxParallelism) =>
  new RocksDBKeyedStateBackend({ keyGroupRange, maxParallelism, directory: join(folder, `db-${databases++}`), residentKeys: 2, timerCacheSize: 1 });
const backends: Array<[string, OperatorSetup['createKeyedStateBackend']]> = [
  ['heap backend', undefined],
  ['rocksdb backend', rocksdb],
];

for (const [backendName, createKeyedStateBackend] of backends) tap.test(backendName, async (t) => {

  async function harnessOf(options: Options, evictor?: CountEvictor): Promise<OneInputHarness> {
    const spec = {
      assigner: options.assigner,
      trigger: options.trigger ?? options.assigner.getDefaultTrigger(),
      allowedLateness: options.allowedLateness ?? 0,
      lateDataTag: options.lateDataTag,
      contents: options.contents ?? { kind: 'reduce', reduce: sum },
      function: options.function ?? new PassThroughWindowFunction(),
    } as const;
    const operator = evictor === undefined ? new WindowOperator(spec) : new EvictingWindowOperator(spec, evictor);
    const harness = new OneInputHarness(operator, byKey, { createKeyedStateBackend });
    t.teardown(() => harness.close());
    await harness.open();
    return harness;
  }

  /** Lists "key:[start,end):values" for every firing. */
  class Describe extends ProcessWindowFunction<Event, string, string, TimeWindow> {
    process(key: string, ctx: ProcessWindowContext<TimeWindow>, elements: Iterable<Event>, out: Collector<string>): void {
      const w = ctx.window();
      out.collect(`${key}:[${w.getStart()},${w.getEnd()}):${[...elements].map((e) => e[1]).join(',')}`);
    }
  }

  const values = (h: OneInputHarness): unknown[] => h.takeOutput().map((e) => e.value);

  t.test('TimeWindow maths match Flink: start = t - ((t - offset) mod size), also for negative timestamps', async (t) => {
    t.equal(TimeWindow.getWindowStartWithOffset(1999, 0, 1000), 1000);
    t.equal(TimeWindow.getWindowStartWithOffset(2000, 0, 1000), 2000);
    t.equal(TimeWindow.getWindowStartWithOffset(1999, 300, 1000), 1300);
    t.equal(TimeWindow.getWindowStartWithOffset(1299, 300, 1000), 300);
    t.equal(TimeWindow.getWindowStartWithOffset(-1, 0, 1000), -1000);
    t.equal(TimeWindow.getWindowStartWithOffset(-1000, 0, 1000), -1000);
    t.equal(TimeWindow.getWindowStartWithOffset(5, -300, 1000), -300);
    const w = new TimeWindow(1000, 2000);
    t.equal(w.maxTimestamp(), 1999);
    const slides = SlidingEventTimeWindows.of(3000, 1000).assignWindows(null, 4500, { getCurrentProcessingTime: () => 0 });
    t.same(
      slides.map((x) => [x.getStart(), x.getEnd()]),
      [
        [4000, 7000],
        [3000, 6000],
        [2000, 5000],
      ],
    );
    t.throws(() => TumblingEventTimeWindows.of(1000, 1000), /abs\(offset\) < size/);
    t.throws(() => SlidingEventTimeWindows.of(1000, 500, 600), /abs\(offset\) < slide/);
  });

  t.test('consecutive records of the same tumbling window get the same window object', async (t) => {
    const assigner = TumblingEventTimeWindows.of(1000);
    const ctx = { getCurrentProcessingTime: () => 0 };
    const a = assigner.assignWindows(null, 1200, ctx);
    const b = assigner.assignWindows(null, 1999, ctx);
    t.equal(a, b, 'the same array');
    t.not(assigner.assignWindows(null, 2000, ctx)[0], a[0], 'a new window for the next period');
  });

  t.test('a record without a timestamp fails an event-time assigner with a pointer to assignTimestampsAndWatermarks', async (t) => {
    const h = await harnessOf({ assigner: TumblingEventTimeWindows.of(1000) });
    t.throws(() => h.processElement(['a', 1]), /Record has no timestamp.*assignTimestampsAndWatermarks/);
  });

  t.test('a tumbling event-time window fires once the watermark passes its end, with its max timestamp', async (t) => {
    const h = await harnessOf({ assigner: TumblingEventTimeWindows.of(1000) });
    h.processElement(['a', 1], 100);
    h.processElement(['a', 2], 999);
    h.processElement(['b', 5], 500);
    h.processElement(['a', 4], 1000);
    h.processWatermark(998);
    t.same(h.takeOutput(), [], 'nothing before the watermark reaches 999');
    h.processWatermark(999);
    const fired = h.takeOutput().sort((x, y) => String(x.value).localeCompare(String(y.value)));
    t.same(fired, [
      { value: ['a', 3], timestamp: 999 },
      { value: ['b', 5], timestamp: 999 },
    ]);
    h.processWatermark(Number.POSITIVE_INFINITY);
    t.same(values(h), [['a', 4]]);
    t.same(h.watermarks, [998, 999, Number.POSITIVE_INFINITY], 'watermarks are forwarded after the windows they fire');
    const backend = (h.operator as WindowOperator).getKeyedStateBackend();
    t.equal(backend.numKeyValueStateEntries(), 0, 'every window was cleaned up');
  });

  t.test('allowed lateness gives late firings with the updated contents, then late records go to the side output', async (t) => {
    const h = await harnessOf({ assigner: TumblingEventTimeWindows.of(1000), allowedLateness: 500, lateDataTag: 'late' });
    h.processElement(['a', 1], 100);
    h.processWatermark(1200);
    t.same(h.takeOutput(), [{ value: ['a', 1], timestamp: 999 }], 'the on-time firing');
    h.processElement(['a', 10], 300);
    t.same(h.takeOutput(), [{ value: ['a', 11], timestamp: 999 }], 'a late firing with the late element added');
    h.processElement(['a', 100], 999);
    t.same(values(h), [['a', 111]], 'another late firing');
    h.processWatermark(1499);
    t.equal((h.operator as WindowOperator).getKeyedStateBackend().numKeyValueStateEntries(), 0, 'the window is cleaned up at maxTimestamp + lateness');
    h.processElement(['a', 1000], 400);
    t.same(h.takeOutput(), [], 'no firing for a window past its lateness');
    t.same(h.side('late'), [{ value: ['a', 1000], timestamp: 400 }], 'the element went to the late side output');
    h.processElement(['a', 7], 1600);
    h.processWatermark(Number.POSITIVE_INFINITY);
    t.same(values(h), [['a', 7]], 'later windows are unaffected');
  });

  t.test('without a late-data tag late records are dropped and counted', async (t) => {
    const h = await harnessOf({ assigner: TumblingEventTimeWindows.of(1000) });
    h.processWatermark(5000);
    h.processElement(['a', 1], 100);
    h.processElement(['a', 1], 4999);
    h.processElement(['a', 1], 5001);
    t.equal((h.operator as WindowOperator).numLateRecordsDropped, 2);
    h.processWatermark(Number.POSITIVE_INFINITY);
    t.same(values(h), [['a', 1]]);
  });

  t.test('sliding windows put a record in size/slide windows, each firing on its own', async (t) => {
    const h = await harnessOf({ assigner: SlidingEventTimeWindows.of(3000, 1000), contents: { kind: 'list' }, function: new IterableProcessWindowFunction(new Describe()) });
    h.processElement(['a', 1], 2500);
    h.processElement(['a', 2], 3100);
    h.processWatermark(Number.POSITIVE_INFINITY);
    t.same(values(h), ['a:[0,3000):1', 'a:[1000,4000):1,2', 'a:[2000,5000):1,2', 'a:[3000,6000):2']);
  });

  t.test('session windows merge as records bridge them, keeping one state window and no stray firings', async (t) => {
    const h = await harnessOf({ assigner: EventTimeSessionWindows.withGap(100), contents: { kind: 'list' }, function: new IterableProcessWindowFunction(new Describe()) });
    h.processElement(['a', 1], 0);
    h.processElement(['a', 2], 250);
    h.processElement(['a', 3], 50);
    t.same(h.takeOutput(), []);
    h.processElement(['a', 4], 150);
    h.processElement(['b', 9], 120);
    h.processWatermark(348);
    t.same(values(h), ['b:[120,220):9'], 'the merged session [0,350) is not complete before 349');
    h.processWatermark(349);
    t.same(values(h), ['a:[0,350):1,3,2,4'], 'the bridged sessions merged, contents in the order of their state windows');
    h.processElement(['a', 5], 400);
    h.processWatermark(Number.POSITIVE_INFINITY);
    t.same(values(h), ['a:[400,500):5'], 'a new session after the gap');
    t.equal((h.operator as WindowOperator).getKeyedStateBackend().numKeyValueStateEntries(), 0, 'contents, trigger state and the merging window set are cleaned up');
  });

  t.test('merged sessions with a CountTrigger add up their counts', async (t) => {
    const h = await harnessOf({ assigner: EventTimeSessionWindows.withGap(100), trigger: CountTrigger.of(3) as Trigger<unknown, Window> });
    h.processElement(['a', 1], 0);
    h.processElement(['a', 10], 180);
    t.same(h.takeOutput(), [], 'two sessions of one element each');
    h.processElement(['a', 100], 90);
    t.same(values(h), [['a', 111]], 'the bridge merged them; the merged count reached three');
  });

  t.test('a merging assigner refuses a trigger that cannot merge', async (t) => {
    class FireAlways extends Trigger<unknown, Window> {
      onElement(): TriggerResult {
        return TriggerResult.FIRE;
      }
      onEventTime(): TriggerResult {
        return TriggerResult.CONTINUE;
      }
      onProcessingTime(): TriggerResult {
        return TriggerResult.CONTINUE;
      }
      clear(): void {}
    }
    await t.rejects(harnessOf({ assigner: EventTimeSessionWindows.withGap(10), trigger: new FireAlways() }), /merging window assigner cannot be used with a trigger/);
  });

  t.test('a ContinuousEventTimeTrigger fires early every interval and at the end of the window', async (t) => {
    const h = await harnessOf({ assigner: TumblingEventTimeWindows.of(1000), trigger: ContinuousEventTimeTrigger.of(300) as Trigger<unknown, Window> });
    h.processElement(['a', 1], 10);
    h.processWatermark(299);
    t.same(values(h), [], 'the first early firing is at 300, aligned to the interval');
    h.processWatermark(300);
    t.same(values(h), [['a', 1]]);
    h.processElement(['a', 2], 400);
    h.processWatermark(600);
    t.same(values(h), [['a', 3]]);
    h.processWatermark(999);
    t.same(values(h), [
      ['a', 3],
      ['a', 3],
    ], 'the next interval firing (900) and the window end (999)');
  });

  t.test('processing-time tumbling windows fire as the clock passes their end', async (t) => {
    const h = await harnessOf({ assigner: TumblingProcessingTimeWindows.of(1000) });
    h.setProcessingTime(100);
    h.processElement(['a', 1]);
    h.setProcessingTime(900);
    h.processElement(['a', 2]);
    h.setProcessingTime(1100);
    t.same(h.takeOutput(), [{ value: ['a', 3], timestamp: 999 }]);
    h.processElement(['a', 4]);
    h.setProcessingTime(1998);
    t.same(h.takeOutput(), []);
    h.setProcessingTime(1999);
    t.same(values(h), [['a', 4]]);
    t.equal((h.operator as WindowOperator).getKeyedStateBackend().numKeyValueStateEntries(), 0);
  });

  t.test('processing-time sessions merge while records keep arriving within the gap', async (t) => {
    const h = await harnessOf({ assigner: ProcessingTimeSessionWindows.withGap(100) });
    for (const now of [0, 80, 160, 240]) {
      h.setProcessingTime(now);
      h.processElement(['a', 1]);
    }
    t.same(h.takeOutput(), []);
    h.setProcessingTime(339);
    t.same(h.takeOutput(), [{ value: ['a', 4], timestamp: 339 }]);
  });

  t.test('GlobalWindows never fire by default; a purging count trigger makes count windows', async (t) => {
    const never = await harnessOf({ assigner: GlobalWindows.create() });
    for (let i = 0; i < 10; i++) never.processElement(['a', i]);
    never.processWatermark(Number.POSITIVE_INFINITY);
    t.same(never.takeOutput(), []);

    const counting = await harnessOf({ assigner: GlobalWindows.create(), trigger: PurgingTrigger.of(CountTrigger.of(3)) as Trigger<unknown, Window> });
    for (let i = 1; i <= 7; i++) counting.processElement(['a', i]);
    t.same(values(counting), [
      ['a', 6],
      ['a', 15],
    ]);
  });

  t.test('a count evictor with a count trigger makes sliding count windows', async (t) => {
    const h = await harnessOf({ assigner: GlobalWindows.create(), trigger: CountTrigger.of(2) as Trigger<unknown, Window> }, CountEvictor.of(3));
    for (let i = 1; i <= 7; i++) h.processElement(['a', i]);
    t.same(values(h), [
      ['a', 1 + 2],
      ['a', 2 + 3 + 4],
      ['a', 4 + 5 + 6],
    ]);
  });

  t.test('window state lives per window until clear(), and late firings can see it', async (t) => {
    const clears: string[] = [];
    class CountFirings extends ProcessWindowFunction<Event, string, string, TimeWindow> {
      process(key: string, ctx: ProcessWindowContext<TimeWindow>, elements: Iterable<Event>, out: Collector<string>): void {
        const firings = ctx.windowState().getState(new ValueStateDescriptor<number>('firings', 0));
        firings.update(firings.value()! + 1);
        out.collect(`${key}@${ctx.window().getStart()}#${firings.value()}:${[...elements].length}`);
      }
      override clear(ctx: ProcessWindowContext<TimeWindow>): void {
        clears.push(`${ctx.window().getStart()}`);
        ctx.windowState().getState(new ValueStateDescriptor<number>('firings', 0)).clear();
      }
    }
    const h = await harnessOf({
      assigner: TumblingEventTimeWindows.of(1000),
      allowedLateness: 1000,
      contents: { kind: 'list' },
      function: new IterableProcessWindowFunction(new CountFirings()),
    });
    h.processElement(['a', 1], 10);
    h.processElement(['a', 1], 1010);
    h.processWatermark(1000);
    h.processElement(['a', 1], 20);
    t.same(values(h), ['a@0#1:1', 'a@0#2:2'], 'the second firing of window 0 counts two firings');
    h.processWatermark(Number.POSITIVE_INFINITY);
    t.same(values(h), ['a@1000#1:1']);
    t.same(clears.sort(), ['0', '1000']);
    t.equal((h.operator as WindowOperator).getKeyedStateBackend().numKeyValueStateEntries(), 0, 'clear() removed the window state');
  });
});
