/**
 * Process functions: side outputs, processing-time and event-time timers, and the refusal of
 * timers on a stream that is not keyed.
 */
import t from 'tap';
import {
  JobExecutionException,
  KeyedProcessFunction,
  OutputTag,
  ProcessFunction,
  ValueStateDescriptor,
  type Collector,
  type KeyedContext,
  type KeyedOnTimerContext,
  type ProcessContext,
  type ValueState,
} from '../../src/index.js';
import { env } from '../helpers/jobs.js';

const failureOf = (job: Promise<unknown>): Promise<unknown> => job.then(() => undefined, (e: unknown) => e);

for (const p of [1, 3]) {
  t.test(`a ProcessFunction splits a stream into its main output and two side outputs at parallelism ${p}`, async (t) => {
    const odd = new OutputTag<number>('odd');
    const big = new OutputTag<string>('big');
    class Split extends ProcessFunction<number, number> {
      processElement(n: number, ctx: ProcessContext, out: Collector<number>): void {
        if (n % 2 === 1) ctx.output(odd, n);
        else out.collect(n);
        if (n > 990) ctx.output(big, `big ${n}`);
      }
    }
    const e = env(p);
    const split = e.fromSequence(1, 1000).process(new Split());
    // A fresh OutputTag with the same name selects the same side output, as in Flink.
    const odds = split.getSideOutput(new OutputTag<number>('odd')).map((n) => `odd ${n}`);
    const bigs = split.getSideOutput(big);
    const out = await split.map((n) => `even ${n}`).union(odds, bigs).executeAndCollect();

    const expected: string[] = [];
    for (let n = 1; n <= 1000; n++) {
      expected.push(n % 2 === 1 ? `odd ${n}` : `even ${n}`);
      if (n > 990) expected.push(`big ${n}`);
    }
    t.same(out.sort(), expected.sort());
  });

  t.test(`a KeyedProcessFunction emits to a side output with its key at parallelism ${p}`, async (t) => {
    const rejected = new OutputTag<[number, number]>('rejected');
    class Limit extends KeyedProcessFunction<number, number, number> {
      private count!: ValueState<number>;
      override open(): void {
        this.count = this.getRuntimeContext().getState(new ValueStateDescriptor('count', 0));
      }
      processElement(n: number, ctx: KeyedContext<number>, out: Collector<number>): void {
        const seen = this.count.value()! + 1;
        this.count.update(seen);
        if (seen <= 3) out.collect(n);
        else ctx.output(rejected, [ctx.getCurrentKey(), n]);
      }
    }
    const limited = env(p)
      .fromSequence(0, 99)
      .keyBy((n) => n % 10)
      .process(new Limit());
    interface Routed {
      readonly side: boolean;
      readonly key: number;
      readonly n: number;
    }
    const out = await limited
      .map((n): Routed => ({ side: false, key: n % 10, n }))
      .union(limited.getSideOutput(rejected).map(([key, n]): Routed => ({ side: true, key, n })))
      .executeAndCollect();
    t.equal(out.length, 100, 'every record once, on one of the outputs');
    for (let key = 0; key < 10; key++) {
      t.equal(out.filter((r) => r.key === key && !r.side).length, 3, `key ${key}: three on the main output`);
      t.equal(out.filter((r) => r.key === key && r.side).length, 7, `key ${key}: the rest on the side output`);
    }
    t.ok(out.every((r) => r.n % 10 === r.key), 'the side output carries the current key');
  });

  t.test(`processing-time timers fire once per key, with the key and state of that key, at parallelism ${p}`, async (t) => {
    interface Fired {
      readonly key: string;
      readonly timestamp: number;
      readonly due: number;
      readonly domain: string;
      readonly firedAt: number;
      readonly owner: string | undefined;
      readonly seenBefore: number;
    }
    class Remind extends KeyedProcessFunction<string, number, Fired> {
      private due!: ValueState<number>;
      private owner!: ValueState<string>;
      private seen!: ValueState<number>;
      private fired!: ValueState<boolean>;
      override open(): void {
        const ctx = this.getRuntimeContext();
        this.fired = ctx.getState(new ValueStateDescriptor('fired', false));
        this.due = ctx.getState(new ValueStateDescriptor<number>('due'));
        this.owner = ctx.getState(new ValueStateDescriptor<string>('owner'));
        this.seen = ctx.getState(new ValueStateDescriptor('seen', 0));
      }
      processElement(_n: number, ctx: KeyedContext<string>, _out: Collector<Fired>): void {
        this.seen.update(this.seen.value()! + 1);
        let due = this.due.value();
        if (due === undefined) {
          due = ctx.timerService().currentProcessingTime() + 20;
          this.due.update(due);
          this.owner.update(ctx.getCurrentKey());
          ctx.timerService().registerProcessingTimeTimer(due);
        }
        // Registering a pending time again for the key is the same timer (Flink deduplicates);
        // once it has fired, registering it again would set a new one.
        if (!this.fired.value()!) ctx.timerService().registerProcessingTimeTimer(due);
      }
      override onTimer(timestamp: number, ctx: KeyedOnTimerContext<string>, out: Collector<Fired>): void {
        this.fired.update(true);
        out.collect({
          key: ctx.getCurrentKey(),
          timestamp,
          due: this.due.value()!,
          domain: ctx.timeDomain(),
          firedAt: ctx.timerService().currentProcessingTime(),
          owner: this.owner.value(),
          seenBefore: this.seen.value()!,
        });
      }
    }
    // 120 records at 300/s: the job runs for about 0.4 s, and every key's first record (and so
    // its timer, due 20 ms later) comes within the first few.
    const keys = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'];
    const fired = await env(p)
      .fromGenerator((i) => i, 120, 300)
      .keyBy((i) => keys[i % keys.length]!)
      .process(new Remind())
      .executeAndCollect();
    t.same(fired.map((f) => f.key).sort(), keys, 'exactly one firing per key');
    for (const f of fired) {
      t.equal(f.timestamp, f.due, `${f.key}: onTimer gets the registered time`);
      t.equal(f.domain, 'PROCESSING_TIME', `${f.key}: in processing time`);
      t.ok(f.firedAt >= f.timestamp, `${f.key}: not before it is due`);
      t.equal(f.owner, f.key, `${f.key}: onTimer sees the state of its own key`);
      t.ok(f.seenBefore >= 1, `${f.key}: after the record that registered it`);
    }
  });

  t.test(`event-time timers at Number.MAX_SAFE_INTEGER fire at the end of input, once per key, at parallelism ${p}`, async (t) => {
    class CountAtEnd extends KeyedProcessFunction<number, number, string> {
      private count!: ValueState<number>;
      override open(): void {
        this.count = this.getRuntimeContext().getState(new ValueStateDescriptor('count', 0));
      }
      processElement(_n: number, ctx: KeyedContext<number>, out: Collector<string>): void {
        this.count.update(this.count.value()! + 1);
        ctx.timerService().registerEventTimeTimer(Number.MAX_SAFE_INTEGER);
        out.collect('element');
      }
      override onTimer(timestamp: number, ctx: KeyedOnTimerContext<number>, out: Collector<string>): void {
        const atMax = timestamp === Number.MAX_SAFE_INTEGER ? 'max' : String(timestamp);
        out.collect(`${ctx.getCurrentKey()}:${this.count.value()}:${ctx.timeDomain()}:${atMax}`);
      }
    }
    const out = await env(p)
      .fromSequence(0, 499)
      .keyBy((n) => n % 7)
      .process(new CountAtEnd())
      .executeAndCollect();
    const finals = out.filter((s) => s !== 'element');
    t.equal(out.length - finals.length, 500, 'every element processed');
    const expected = Array.from({ length: 7 }, (_, k) => `${k}:${Math.ceil((500 - k) / 7)}:EVENT_TIME:max`);
    t.same(finals.sort(), expected.sort(), 'one firing per key with its complete count');
    if (p === 1) t.same(out.slice(-finals.length).sort(), finals.sort(), 'at parallelism 1 the firings come after every element');
  });
}

t.test('a ProcessFunction on a stream that is not keyed cannot register a timer: the job fails naming keyed streams', async (t) => {
  class Eager extends ProcessFunction<number, number> {
    processElement(n: number, ctx: ProcessContext, out: Collector<number>): void {
      ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() + 10);
      out.collect(n);
    }
  }
  const err = await failureOf(env(2).fromSequence(1, 50).process(new Eager()).executeAndCollect());
  t.ok(err instanceof JobExecutionException, 'a JobExecutionException');
  t.match(String((err as Error).cause), /only supported on a keyed stream.*keyBy/);
});

t.test('an onTimer that throws fails the job with its error, and the next job runs', async (t) => {
  class Bad extends KeyedProcessFunction<number, number, number> {
    processElement(n: number, ctx: KeyedContext<number>): void {
      ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() + 5);
      void n;
    }
    override onTimer(timestamp: number): void {
      throw new TypeError(`timer at ${timestamp} broke`);
    }
  }
  // Unbounded: only the failing timer can end this job.
  const err = await failureOf(
    env(2)
      .fromGenerator((i) => i, Infinity, 200)
      .keyBy((i) => i % 3)
      .process(new Bad())
      .executeAndCollect(),
  );
  t.ok(err instanceof JobExecutionException, 'a JobExecutionException');
  const cause = (err as Error).cause as Error;
  t.match(cause.message, /^timer at \d+ broke$/);
  t.match(String(cause.stack), /^TypeError: timer at \d+ broke/, 'the original error type is kept');
  t.match(String(cause.stack), /process\.test\.ts/, "the stack points at the user's onTimer");
  t.same(await env(1).fromElements('still', 'running').executeAndCollect(), ['still', 'running']);
});

t.test('an event-time onTimer that throws at the end of input fails the job', async (t) => {
  class BadAtEnd extends KeyedProcessFunction<number, number, number> {
    processElement(_n: number, ctx: KeyedContext<number>): void {
      ctx.timerService().registerEventTimeTimer(Number.MAX_SAFE_INTEGER);
    }
    override onTimer(): void {
      throw new Error('no end for you');
    }
  }
  const err = await failureOf(env(2).fromSequence(1, 20).keyBy((n) => n % 2).process(new BadAtEnd()).executeAndCollect());
  t.ok(err instanceof JobExecutionException);
  t.match(String((err as Error).cause), /no end for you/);
});
