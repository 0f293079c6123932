import t from 'tap';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { KeyedProcessFunction, WatermarkStrategy, type Collector, type KeyedContext, type KeyedOnTimerContext } from '../../src/index.js';
import { env } from '../helpers/jobs.js';

t.test('in BATCH mode a stage starts only after the stage feeding it has finished', async (t) => {
  const seen: Array<{ stage: number; at: number }> = [];
  const e = env(2);
  e.setRuntimeMode('BATCH');
  const out = await e
    .fromSequence(1, 20_000)
    .map((n) => {
      seen.push({ stage: 1, at: performance.now() });
      return n;
    })
    .keyBy((n) => n % 13)
    .map((n) => {
      seen.push({ stage: 2, at: performance.now() });
      return n;
    })
    .executeAndCollect();
  t.equal(out.length, 20_000);
  const lastOfStage1 = Math.max(...seen.filter((s) => s.stage === 1).map((s) => s.at));
  const firstOfStage2 = Math.min(...seen.filter((s) => s.stage === 2).map((s) => s.at));
  t.ok(firstOfStage2 > lastOfStage1, 'every record of stage 1 was processed before stage 2 saw any');
  t.same(readdirSync(tmpdir()).filter((f) => f.startsWith('runnel-exchange-')), [], 'the exchange files are removed with the job');
});

t.test('in BATCH mode keyed aggregations emit one final result per key', async (t) => {
  const e = env(2);
  e.setRuntimeMode('AUTOMATIC');
  const out = await e
    .fromSequence(1, 10_000)
    .map((n) => [n % 7, n] as [number, number])
    .keyBy((p) => p[0])
    .sum(1)
    .executeAndCollect();
  const expected = new Map<number, number>();
  for (let n = 1; n <= 10_000; n++) expected.set(n % 7, (expected.get(n % 7) ?? 0) + n);
  t.same(new Map(out), expected, 'AUTOMATIC with only bounded sources runs as BATCH');
});

/** Registers a processing-time timer an hour ahead and an event-time timer past the input. */
function timers(fired: string[]) {
  return new (class extends KeyedProcessFunction<number, number, string> {
    processElement(n: number, ctx: KeyedContext<number>): void {
      if (n < 3) {
        ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() + 3_600_000);
        ctx.timerService().registerEventTimeTimer(1_000_000);
      }
    }
    override onTimer(_ts: number, ctx: KeyedOnTimerContext<number>, out: Collector<string>): void {
      fired.push(ctx.timeDomain());
      out.collect(`${ctx.getCurrentKey()} ${ctx.timeDomain()}`);
    }
  })();
}

t.test('in BATCH mode every timer fires at the end of input; in STREAMING processing-time timers wait for their time', async (t) => {
  const batchFired: string[] = [];
  const b = env(1);
  b.setRuntimeMode('BATCH');
  const batch = await b
    .fromCollection([1, 2, 3, 4])
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((n) => n))
    .keyBy((n) => n)
    .process(timers(batchFired))
    .executeAndCollect();
  t.same(batch.sort(), ['1 EVENT_TIME', '1 PROCESSING_TIME', '2 EVENT_TIME', '2 PROCESSING_TIME']);

  const streamingFired: string[] = [];
  const s = env(1);
  const streaming = await s
    .fromCollection([1, 2, 3, 4])
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((n) => n))
    .keyBy((n) => n)
    .process(timers(streamingFired))
    .executeAndCollect();
  t.same(streaming.sort(), ['1 EVENT_TIME', '2 EVENT_TIME'], 'the end of input passes event-time timers only');
});
