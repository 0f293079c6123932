/**
 * The windowing API's contract: what it refuses when the job is built, how a job without
 * timestamps fails, and how window operators appear in the plan.
 */
import t from 'tap';
import {
  CountEvictor,
  EventTimeSessionWindows,
  GlobalWindows,
  JobExecutionException,
  NeverTrigger,
  RichReduceFunction,
  SlidingEventTimeWindows,
  TimeWindow,
  Trigger,
  TriggerResult,
  TumblingEventTimeWindows,
  type Window,
} from '../../src/index.js';
import { env } from '../helpers/jobs.js';

class Sum extends RichReduceFunction<number> {
  reduce(a: number, b: number): number {
    return a + b;
  }
}

class NotMerging extends Trigger<unknown, Window> {
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

t.test('the windowing API refuses definitions that cannot work, when the job is built', async (t) => {
  const keyed = env(1)
    .fromSequence(1, 10)
    .keyBy((n) => n % 2);
  t.throws(() => keyed.window(TumblingEventTimeWindows.of(0)), /positive size/);
  t.throws(() => keyed.window(TumblingEventTimeWindows.of(1000, -1000)), /abs\(offset\) < size/);
  t.throws(() => keyed.window(SlidingEventTimeWindows.of(1000, 0)), /positive slide/);
  t.throws(() => keyed.window(EventTimeSessionWindows.withGap(-5)), /positive gap/);
  t.throws(() => keyed.window(TumblingEventTimeWindows.of(1000)).allowedLateness(-1), /lateness must be >= 0/);
  t.throws(() => keyed.window(EventTimeSessionWindows.withGap(10)).trigger(new NotMerging()), /merging window assigner cannot be used with a trigger that does not support merging/);
  t.throws(() => keyed.window(EventTimeSessionWindows.withGap(10)).evictor(CountEvictor.of(3)), /Cannot use a merging WindowAssigner with an Evictor/);
  t.throws(() => keyed.window(TumblingEventTimeWindows.of(1000)).reduce(new Sum()), /can not be a RichFunction/);
  t.throws(() => keyed.countWindow(0), /positive count/);
});

t.test('an event-time window over records without timestamps fails the job, naming assignTimestampsAndWatermarks', async (t) => {
  const job = env(2)
    .fromSequence(1, 10)
    .keyBy((n) => n % 2)
    .window(TumblingEventTimeWindows.of(1000))
    .reduce((a, b) => a + b)
    .executeAndCollect();
  const error = await job.then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(error, JobExecutionException);
  t.match(String((error as Error).message), /Record has no timestamp.*assignTimestampsAndWatermarks/);
});

t.test('a window operator is one keyed operator named after its assigner, trigger and function', async (t) => {
  const stream = env(2)
    .fromSequence(1, 10)
    .keyBy((n) => n % 2)
    .window(TumblingEventTimeWindows.of(1000))
    .reduce((a, b) => a + b);
  t.equal(stream.transformation.name, 'Window(TumblingEventTimeWindows(1000), EventTimeTrigger, reduce)');
  t.equal(stream.transformation.kind === 'one-input' && stream.transformation.keySelector !== undefined, true, 'keyed by the stream\'s key');
  const counted = env(2)
    .fromSequence(1, 10)
    .keyBy((n) => n % 2)
    .countWindow(5, 2)
    .reduce((a, b) => a + b);
  t.equal(counted.transformation.name, 'Window(GlobalWindows(), CountTrigger, CountEvictor(5), reduce)');
});

t.test('windows and triggers print as Flink prints them', async (t) => {
  t.equal(String(new TimeWindow(0, 1000)), 'TimeWindow{start=0, end=1000}');
  t.equal(String(GlobalWindows.create()), 'GlobalWindows()');
  t.equal(String(new NeverTrigger()), 'NeverTrigger()');
  t.equal(TriggerResult.FIRE_AND_PURGE.isFire() && TriggerResult.FIRE_AND_PURGE.isPurge(), true);
  t.equal(TriggerResult.PURGE.isFire(), false);
});
