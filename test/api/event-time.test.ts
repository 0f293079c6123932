import t, { type Test } from 'tap';
import { createServer, type Socket } from 'node:net';
import { KeyedProcessFunction, WatermarkStrategy, type Collector, type KeyedContext, type KeyedOnTimerContext } from '../../src/index.js';
import { eventually } from '../helpers/process.js';
import { env } from '../helpers/jobs.js';

interface Event {
  key: string;
  ts: number;
}

type Firing = { key: string; timer: number; watermark: number };

/**
 * Registers a timer 10 ms after each event; records what the watermark was when it fired.
 * Each subtask gets its own copy of a function object (as Flink ships each a deserialized
 * copy), so the record goes to an array the class closes over, visible to the test because
 * the slots run inline in its thread.
 */
function timerPerEvent(fired: Firing[]) {
  return new (class extends KeyedProcessFunction<string, Event, string> {
    processElement(e: Event, ctx: KeyedContext<string>): void {
      ctx.timerService().registerEventTimeTimer(e.ts + 10);
    }
    override onTimer(timestamp: number, ctx: KeyedOnTimerContext<string>, out: Collector<string>): void {
      fired.push({ key: ctx.getCurrentKey(), timer: timestamp, watermark: ctx.timerService().currentWatermark() });
      out.collect(`${ctx.getCurrentKey()}@${timestamp}`);
    }
  })();
}

t.test('an event-time timer fires exactly once, when the watermark passes it', async (t) => {
  const fired: Firing[] = [];
  const e = env(2);
  const events = 400;
  const out = await e
    .fromGenerator((i): Event => ({ key: `k${i % 4}`, ts: 1_000 + i * 5 }), events, 500)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Event>(20).withTimestampAssigner((ev) => ev.ts))
    .keyBy((ev) => ev.key)
    .process(timerPerEvent(fired))
    .executeAndCollect();
  t.equal(out.length, events, 'one firing per distinct timer');
  t.equal(new Set(out).size, events, 'no timer fired twice');
  for (const f of fired) if (f.watermark < f.timer) t.fail(`timer ${f.timer} fired at watermark ${f.watermark}`);
  t.ok(fired.some((f) => Number.isFinite(f.watermark)), 'periodic watermarks fired timers before the end of input');
  const firstFiniteIndex = fired.findIndex((f) => Number.isFinite(f.watermark));
  t.ok(firstFiniteIndex >= 0 && firstFiniteIndex < events - 1, 'timers fired as the stream went on');
});

async function silentServer(t: Test) {
  const sockets: Socket[] = [];
  const server = createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    connected: () => sockets.length > 0,
    end: () => {
      for (const s of sockets) s.end();
    },
  };
}

for (const withIdleness of [true, false]) {
  t.test(
    withIdleness
      ? 'an idle input stops holding the watermark back once its idleness timeout passes'
      : 'without an idleness timeout a silent input holds the watermark back until it ends',
    async (t) => {
      const fired: Firing[] = [];
      const server = await silentServer(t);
      const e = env(1);
      const events = 50;
      let processed = 0;
      const active = e
        // Slow enough that periodic watermarks advance while it runs.
        .fromGenerator((i): Event => ({ key: `k${i % 2}`, ts: 10_000 + i * 100 }), events, 50)
        .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Event>().withTimestampAssigner((ev) => ev.ts))
        .map((ev) => {
          processed++;
          return ev;
        });
      let strategy = WatermarkStrategy.forMonotonousTimestamps<Event>();
      if (withIdleness) strategy = strategy.withIdleness(100);
      const silent = e
        .socketTextStream('127.0.0.1', server.port)
        .map((line): Event => ({ key: line, ts: 0 }))
        .assignTimestampsAndWatermarks(strategy);
      const job = active.union(silent).keyBy((ev) => ev.key).process(timerPerEvent(fired)).executeAndCollect();
      if (withIdleness) {
        await eventually(() => (fired.length > 0 ? true : undefined), 10_000, 'a timer firing while the silent input is open');
        t.ok(Number.isFinite(fired[0]!.watermark), 'fired by the active input\'s watermark, not by the end of input');
      } else {
        await eventually(() => (processed === events && server.connected() ? true : undefined), 10_000, 'the active input processed');
      }
      server.end();
      const out = await job;
      t.equal(out.length, events);
      if (!withIdleness) t.ok(fired.every((f) => f.watermark === Number.POSITIVE_INFINITY), 'every timer fired only at the end of input');
    },
  );
}
