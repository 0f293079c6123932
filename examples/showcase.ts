/**
 * Runnel's showcase (`npm start`): per-sensor statistics kept in keyed state.
 *
 * A generator emits 200,000 readings of 16 sensors (50,000 a second); a keyed process function
 * keeps each sensor's count, sum, minimum and maximum in a ValueState, reports readings far
 * above the sensor's running mean to a side output, and emits the sensor's summary when the
 * input ends (an event-time timer that the end of input fires). The job checkpoints every
 * 500 ms — keyed state, timers and the generator's position — and prints each completed
 * checkpoint (a CheckpointListener). Runs on the embedded mini-cluster.
 */
import {
  type CheckpointListener,
  type Collector,
  KeyedProcessFunction,
  type KeyedContext,
  type KeyedOnTimerContext,
  OutputTag,
  ParameterTool,
  StreamExecutionEnvironment,
  type ValueState,
  ValueStateDescriptor,
} from 'runnel';

interface Reading {
  sensor: string;
  value: number;
}
interface Stats {
  count: number;
  sum: number;
  min: number;
  max: number;
}

const alerts = new OutputTag<string>('alerts');

class SensorStatistics extends KeyedProcessFunction<string, Reading, string> implements CheckpointListener {
  private stats!: ValueState<Stats>;

  override open(): void {
    this.stats = this.getRuntimeContext().getState(new ValueStateDescriptor<Stats>('stats'));
  }

  processElement(reading: Reading, ctx: KeyedContext<string>, _out: Collector<string>): void {
    const s = this.stats.value();
    if (s === undefined) {
      this.stats.update({ count: 1, sum: reading.value, min: reading.value, max: reading.value });
      // Fires when the input ends: the final watermark passes every timer.
      ctx.timerService().registerEventTimeTimer(Number.MAX_SAFE_INTEGER);
      return;
    }
    const mean = s.sum / s.count;
    if (s.count > 100 && reading.value > mean * 1.9) ctx.output(alerts, `${ctx.getCurrentKey()}: ${reading.value.toFixed(1)} is far above its mean ${mean.toFixed(1)}`);
    this.stats.update({ count: s.count + 1, sum: s.sum + reading.value, min: Math.min(s.min, reading.value), max: Math.max(s.max, reading.value) });
  }

  /** Called once the checkpoint's state is durable everywhere; subtask 0 tells the user. */
  notifyCheckpointComplete(checkpointId: number): void {
    if (this.getRuntimeContext().getIndexOfThisSubtask() === 0) console.log(`checkpoint ${checkpointId} completed`);
  }

  override onTimer(_timestamp: number, ctx: KeyedOnTimerContext<string>, out: Collector<string>): void {
    const s = this.stats.value()!;
    out.collect(`${ctx.getCurrentKey()}  count=${s.count}  mean=${(s.sum / s.count).toFixed(2)}  min=${s.min.toFixed(2)}  max=${s.max.toFixed(2)}`);
  }
}

const params = ParameterTool.fromArgs(process.argv.slice(2));
const env = StreamExecutionEnvironment.getExecutionEnvironment();
env.setParallelism(params.getInt('parallelism', 2));
const readings = params.getInt('readings', 200_000);
env.enableCheckpointing(params.getInt('checkpoint-interval', 500));

// Deterministic pseudo-random readings: sensor i has a base level of 10 * (i + 1).
const reading = (i: number): Reading => {
  const sensor = i % 16;
  const noise = Math.sin(i * 12.9898) * 43758.5453;
  const jitter = noise - Math.floor(noise);
  const spike = i % 9973 === 0 ? 3 : 1;
  return { sensor: `sensor-${String(sensor).padStart(2, '0')}`, value: 10 * (sensor + 1) * (0.8 + 0.4 * jitter) * spike };
};

const summaries = env
  .fromGenerator(reading, readings, params.getInt('rate', 50_000))
  .name('sensor readings')
  .keyBy((r) => r.sensor)
  .process(new SensorStatistics())
  .uid('sensor-statistics')
  .name('sensor statistics');

summaries.getSideOutput(alerts).print('alert');
const started = Date.now();
const results = await summaries.executeAndCollect('Runnel showcase: sensor statistics');
console.log(`\nSummaries of ${readings} readings, computed in keyed state across ${env.getParallelism()} parallel subtasks:`);
for (const line of results.sort()) console.log(`  ${line}`);
console.log(`\nDone in ${Date.now() - started} ms.`);
