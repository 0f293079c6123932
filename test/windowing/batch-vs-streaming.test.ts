import t from 'tap';
import { EventTimeSessionWindows, RuntimeExecutionMode, SlidingEventTimeWindows, TumblingEventTimeWindows, WatermarkStrategy } from '../../src/index.js';
import type { WindowAssigner } from '../../src/index.js';
import { env } from '../helpers/jobs.js';

interface Reading {
  sensor: string;
  ts: number;
  value: number;
}

// Out of order within 40 ms, with gaps long enough to end sessions now and then.
const READINGS: Reading[] = Array.from({ length: 2000 }, (_, i) => ({
  sensor: `s${i % 5}`,
  ts: i * 7 + ((i * 37) % 41) + (i % 97 === 0 ? 500 : 0) + Math.floor(i / 97) * 500,
  value: (i * 13) % 100,
}));

async function windowSums(mode: 'STREAMING' | 'BATCH', assigner: WindowAssigner<unknown, never>, parallelism: number): Promise<string[]> {
  const e = env(parallelism);
  e.setRuntimeMode(mode === 'BATCH' ? RuntimeExecutionMode.BATCH : RuntimeExecutionMode.STREAMING);
  const out = await e
    .fromCollection(READINGS)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Reading>(40).withTimestampAssigner((r) => r.ts))
    .keyBy((r) => r.sensor)
    .window(assigner)
    .reduce((a, b) => ({ sensor: a.sensor, ts: Math.max(a.ts, b.ts), value: a.value + b.value }))
    .executeAndCollect();
  return out.map((r) => `${r.sensor}:${r.value}`).sort();
}

const assigners: Array<[string, () => WindowAssigner<unknown, never>]> = [
  ['tumbling', () => TumblingEventTimeWindows.of(100) as unknown as WindowAssigner<unknown, never>],
  ['sliding', () => SlidingEventTimeWindows.of(200, 50) as unknown as WindowAssigner<unknown, never>],
  ['session', () => EventTimeSessionWindows.withGap(60) as unknown as WindowAssigner<unknown, never>],
];

for (const [name, assigner] of assigners) {
  t.test(`BATCH mode gives the same final ${name} window results as STREAMING over the same bounded input`, async (t) => {
    const streaming = await windowSums('STREAMING', assigner(), 2);
    const batch = await windowSums('BATCH', assigner(), 2);
    t.ok(streaming.length > 10, `${streaming.length} windows`);
    t.same(batch, streaming);
  });
}
