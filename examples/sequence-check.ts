/**
 * The exactly-once verifier.
 *
 *   npx tsx examples/sequence-check.ts --keys K --events-per-key N [--rate R] --output DIR
 *                                      [--parallelism P] [--checkpoint-interval MS]
 *
 * A checkpointed source emits, for every key 0..K-1, the sequence numbers 1..N (R events per
 * second in total; unthrottled without --rate). After `keyBy(key)`, keyed state holds the last
 * number seen per key and fails the job if a number arrives out of order, with a gap, or twice,
 * and, at the end of the input, if a key did not reach N. The exactly-once file sink writes the
 * lines `key,seq` to DIR. Whatever happens to the cluster on the way, DIR's committed files (names
 * not starting with `.` or `_`) end up holding each of the K×N lines exactly once.
 *
 * Both checks hold across failures because the source's position and the last numbers are in
 * the checkpoints: a restore rewinds the source to the position that matches the restored state,
 * and the sink publishes only what the completed checkpoints cover.
 */
import {
  type Collector,
  FileSink,
  KeyedProcessFunction,
  type KeyedContext,
  type KeyedOnTimerContext,
  KeyedSequenceSource,
  type KeyedSequenceEvent,
  ParameterTool,
  StreamExecutionEnvironment,
  type ValueState,
  ValueStateDescriptor,
} from 'runnel';

const USAGE = 'usage: sequence-check.ts --keys K --events-per-key N [--rate R] --output DIR [--parallelism P] [--checkpoint-interval MS]';

/** What a job fails with when the stream it verifies is not exactly once. */
class SequenceViolation extends Error {
  override readonly name = 'SequenceViolation';
  constructor(
    readonly key: number,
    readonly expected: number,
    /** The seq that arrived; undefined: the input ended first. */
    readonly got: number | undefined,
  ) {
    const what = got === undefined ? 'the input ended' : got === expected - 1 ? `got ${got}, a repeat` : got < expected ? `got ${got}, out of order` : `got ${got}, a gap`;
    super(`key ${key}: expected seq ${expected}, ${what}`);
  }
}

class SequenceChecker extends KeyedProcessFunction<number, KeyedSequenceEvent, string> {
  private last!: ValueState<number>;

  constructor(private readonly eventsPerKey: number) {
    super();
  }

  override open(): void {
    this.last = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('last-seq'));
  }

  processElement(event: KeyedSequenceEvent, ctx: KeyedContext<number>, out: Collector<string>): void {
    const last = this.last.value() ?? 0;
    if (event.seq !== last + 1) throw new SequenceViolation(event.key, last + 1, event.seq);
    // The end of the input (the final watermark) fires it: every key must have reached N then.
    if (last === 0) ctx.timerService().registerEventTimeTimer(Number.MAX_SAFE_INTEGER);
    this.last.update(event.seq);
    out.collect(`${event.key},${event.seq}`);
  }

  override onTimer(_timestamp: number, ctx: KeyedOnTimerContext<number>): void {
    const last = this.last.value() ?? 0;
    if (last !== this.eventsPerKey) throw new SequenceViolation(ctx.getCurrentKey(), last + 1, undefined);
  }
}

interface Arguments {
  readonly keys: number;
  readonly eventsPerKey: number;
  readonly rate: number | undefined;
  readonly output: string;
  readonly parallelism: number | undefined;
  readonly checkpointIntervalMs: number;
}

function positiveInteger(params: ParameterTool, key: string, fallback?: number): number {
  if (!params.has(key) && fallback === undefined) throw new Error(`--${key} is required`);
  const value = params.getInt(key, fallback);
  if (value <= 0) throw new Error(`--${key} must be a positive integer, got ${value}`);
  return value;
}

function parseArguments(args: readonly string[]): Arguments {
  const params = ParameterTool.fromArgs(args);
  const keys = positiveInteger(params, 'keys');
  const eventsPerKey = positiveInteger(params, 'events-per-key');
  let rate: number | undefined;
  if (params.has('rate')) {
    rate = params.getNumber('rate');
    if (!(rate > 0 && Number.isFinite(rate))) throw new Error(`--rate must be a positive number of events per second, got ${params.get('rate') ?? ''}`);
  }
  const output = params.get('output');
  if (output === undefined || output === '') throw new Error('--output DIR is required');
  return {
    keys,
    eventsPerKey,
    rate,
    output,
    parallelism: params.has('parallelism') ? positiveInteger(params, 'parallelism') : undefined,
    checkpointIntervalMs: positiveInteger(params, 'checkpoint-interval', 1000),
  };
}

let args: Arguments;
try {
  args = parseArguments(process.argv.slice(2));
} catch (error) {
  console.error(`sequence-check: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  process.exit(2);
}

// A violation is deterministic: a restore brings the same state and the same events back, so a
// job restarted forever (the default with checkpoints, exponential-delay) would never report it.
// Unless the configuration says otherwise, restart on failures (a killed TaskManager) but give up
// after 10 failures within a minute.
const configured = StreamExecutionEnvironment.getExecutionEnvironment().configuration;
const env = StreamExecutionEnvironment.getExecutionEnvironment(
  configured.getRaw('restart-strategy.type') !== undefined
    ? configured
    : configured.withAll(
        {
          'restart-strategy.type': 'failure-rate',
          'restart-strategy.failure-rate.max-failures-per-interval': 10,
          'restart-strategy.failure-rate.failure-rate-interval': '1 min',
          'restart-strategy.failure-rate.delay': '1 s',
        },
        'sequence-check.ts',
      ),
);
if (args.parallelism !== undefined) env.setParallelism(args.parallelism);
env.enableCheckpointing(args.checkpointIntervalMs);

env
  .fromSource(new KeyedSequenceSource(args.keys, args.eventsPerKey, { ratePerSecond: args.rate }), undefined, 'keyed sequences')
  .uid('keyed-sequences')
  .keyBy((event) => event.key)
  .process(new SequenceChecker(args.eventsPerKey))
  .uid('sequence-checker')
  .name('sequence checker')
  .sinkTo(FileSink.forRowFormat<string>(args.output).build(), 'file-sink')
  .uid('file-sink')
  .name('file-sink');

await env.execute('Sequence check');
