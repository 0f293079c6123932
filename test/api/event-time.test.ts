import t, { type Test } from 'tap';
import { createServer, type Socket } from 'node:net';
import { KeyedProcessFunction, WatermarkStrategy, type Collector, type KeyedContext, type KeyedOnTimerContext, type Source, type SourceSplit } from '../../src/index.js';
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

/**
 * A parallel source of two readers: reader 0 emits one event every few milliseconds, reader 1
 * emits nothing (as a partition with no data would) until the test lets it end.
 */
function halfIdleSource(events: number, releaseIdle: Promise<void>): Source<Event, SourceSplit, null> {
  return {
    getBoundedness: () => 'BOUNDED',
    createEnumerator: () => ({ start() {}, handleSplitRequest() {}, addSplitsBack() {}, addReader() {}, snapshotState: () => null, close() {} }),
    restoreEnumerator: () => {
      throw new Error('not restored in this test');
    },
    createReader: (ctx) => {
      let next = 0;
      let released = false;
      void releaseIdle.then(() => (released = true));
      return {
        start() {},
        pollNext(output) {
          if (ctx.indexOfSubtask === 1) return released ? 'END_OF_INPUT' : 'NOTHING_AVAILABLE';
          if (next >= events) return 'END_OF_INPUT';
          output.collect({ key: `k${next % 2}`, ts: 10_000 + next * 100 });
          next++;
          return 'NOTHING_AVAILABLE';
        },
        isAvailable: () => (ctx.indexOfSubtask === 1 ? releaseIdle : new Promise((resolve) => setTimeout(resolve, 20))),
        addSplits() {},
        notifyNoMoreSplits() {},
        snapshotState: () => [],
        close() {},
      };
    },
  };
}

t.test('an idle parallel source instance does not hold the watermark back once idleness is declared', async (t) => {
  const fired: Firing[] = [];
  let release!: () => void;
  const releaseIdle = new Promise<void>((resolve) => (release = resolve));
  const e = env(2);
  const job = e
    .fromSource(halfIdleSource(40, releaseIdle), WatermarkStrategy.forMonotonousTimestamps<Event>().withTimestampAssigner((ev) => ev.ts).withIdleness(100), 'half idle')
    .keyBy((ev) => ev.key)
    .process(timerPerEvent(fired))
    .executeAndCollect();
  await eventually(() => (fired.length > 0 ? true : undefined), 10_000, 'a timer firing while source instance 1 is idle');
  t.ok(Number.isFinite(fired[0]!.watermark), 'fired by instance 0\'s watermark while instance 1 is still running');
  release();
  t.equal((await job).length, 40, 'every timer fired once');
});
