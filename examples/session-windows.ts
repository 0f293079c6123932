/**
 * Session windows in event time, as Flink's SessionWindowing example: clicks per user,
 * grouped into sessions that end after a gap of 3 ms without a click.
 *
 *   npx tsx examples/session-windows.ts [--gap-ms 3] [--parallelism N]
 *
 * Prints one line per session: `user,start,end,clicks`.
 */
import { EventTimeSessionWindows, ParameterTool, ProcessWindowFunction, StreamExecutionEnvironment, WatermarkStrategy, type Collector } from 'runnel';
import type { ProcessWindowContext, TimeWindow } from 'runnel';

type Click = [user: string, timestamp: number, count: number];

const CLICKS: Click[] = [
  ['a', 1, 1],
  ['b', 1, 1],
  ['b', 3, 1],
  ['b', 5, 1],
  ['c', 6, 1],
  // 'a' clicks again 9 ms after its first session started: a second session.
  ['a', 10, 1],
  ['c', 11, 1],
];

class SessionSummary extends ProcessWindowFunction<Click, string, string, TimeWindow> {
  process(user: string, context: ProcessWindowContext<TimeWindow>, clicks: Iterable<Click>, out: Collector<string>): void {
    let total = 0;
    for (const c of clicks) total += c[2];
    out.collect(`${user},${context.window().getStart()},${context.window().getEnd()},${total}`);
  }
}

const params = ParameterTool.fromArgs(process.argv.slice(2));
const env = StreamExecutionEnvironment.getExecutionEnvironment();
if (params.has('parallelism')) env.setParallelism(params.getInt('parallelism'));

env
  .fromCollection(CLICKS)
  .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Click>().withTimestampAssigner((click) => click[1]))
  .keyBy((click) => click[0])
  .window(EventTimeSessionWindows.withGap(params.getInt('gap-ms', 3)))
  .process(new SessionSummary())
  .print();

await env.execute('Session Windowing');
