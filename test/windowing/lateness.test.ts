/**
 * Late data in a running job: elements for windows that already fired. Within the allowed
 * lateness they join the window and fire it again (a late firing, with the updated result);
 * beyond it they go to the late-data side output. The source holds its late elements back until
 * a window result proves the watermark has passed, so nothing depends on timing.
 */
import t from 'tap';
import { OutputTag, ProcessWindowFunction, TumblingEventTimeWindows, WatermarkStrategy, type Collector, type ProcessWindowContext, type TimeWindow } from '../../src/index.js';
import { Gate, PhasedSource } from '../helpers/phased-source.js';
import { windowEnv } from '../helpers/windows.js';

interface Ev {
  readonly key: string;
  readonly ts: number;
  readonly v: number;
}

const onTime: Ev[] = [
  { key: 'a', ts: 100, v: 1 },
  { key: 'a', ts: 200, v: 2 },
  { key: 'b', ts: 5000, v: 4 },
  { key: 'a', ts: 7500, v: 8 },
  { key: 'b', ts: 7600, v: 16 },
  // Moves the watermark to 9999: windows up to [9000, 10000) fire.
  { key: 'a', ts: 10_000, v: 32 },
];
const late: Ev[] = [
  // Window [7000, 8000) fired at 7999; with 3000 ms of lateness it is kept until 10999.
  { key: 'a', ts: 7700, v: 64 },
  // Window [0, 1000) is past even 999 + 3000.
  { key: 'a', ts: 300, v: 128 },
  // Window [5000, 6000) is past 5999 + 3000.
  { key: 'b', ts: 5500, v: 256 },
];

class Describe extends ProcessWindowFunction<Ev, string, string, TimeWindow> {
  process(key: string, ctx: ProcessWindowContext<TimeWindow>, elements: Iterable<Ev>, out: Collector<string>): void {
    for (const r of elements) out.collect(`${key}|${ctx.window().getStart()}|${r.v}`);
  }
}

for (const p of [1, 2]) {
  for (const lateness of [0, 3000]) {
    const name =
      lateness === 0
        ? `without allowed lateness at parallelism ${p}, elements for windows that already fired reach the late-data side output`
        : `with ${lateness} ms of allowed lateness at parallelism ${p}, a late element fires its window again with the updated result and elements beyond the lateness reach the side output`;
    t.test(name, async (t) => {
      const gate = new Gate();
      const lateTag = new OutputTag<Ev>('late');
      const e = windowEnv(p);
      const results = e
        .fromSource(new PhasedSource<Ev>([onTime, late], [gate]), undefined, 'Phased')
        .setParallelism(1)
        .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Ev>(0).withTimestampAssigner((ev) => ev.ts))
        .setParallelism(1)
        .keyBy((ev) => ev.key)
        .window(TumblingEventTimeWindows.of(1000))
        .allowedLateness(lateness)
        .sideOutputLateData(lateTag)
        .reduce((a, b) => ({ key: a.key, ts: Math.max(a.ts, b.ts), v: a.v + b.v }), new Describe());
      const main = results.map((line) => {
        // The first firing of window [7000, 8000) of key a: the watermark has passed it.
        if (line === 'a|7000|8') gate.open();
        return `main ${line}`;
      });
      const side = results.getSideOutput(lateTag).map((ev) => `late ${ev.key}@${ev.ts}:${ev.v}`);
      const out = (await main.union(side).executeAndCollect()).sort();

      const expected = ['main a|0|3', 'main b|5000|4', 'main a|7000|8', 'main b|7000|16', 'main a|10000|32', 'late a@300:128', 'late b@5500:256'];
      if (lateness > 0) expected.push('main a|7000|72');
      else expected.push('late a@7700:64');
      t.same(out, expected.sort());
    });
  }
}
