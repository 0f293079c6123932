/** Stateless one-input operators: map, flatMap, filter, and process on a non-keyed stream. */
import { asFilter, asFlatMap, asMap, type FilterFunction, type FlatMapFunction, type MapFunction, type ProcessContext, type ProcessFunction, type TimerService } from '../api/functions.js';
import { closeFunctions, OneInputOperator, openFunctions, runtimeContextOf, TimestampedCollector } from './base.js';
import type { OperatorSetup } from './operator.js';

export class StreamMap extends OneInputOperator {
  private readonly fn: (value: unknown) => unknown;
  constructor(private readonly user: MapFunction<unknown, unknown>) {
    super();
    this.fn = asMap(user);
  }
  override async open(setup: OperatorSetup): Promise<void> {
    super.open(setup);
    await openFunctions([this.user], runtimeContextOf(setup, undefined));
  }
  processElement(value: unknown, timestamp: number | undefined): void {
    this.output.collect(this.fn(value), timestamp);
  }
  override close(): Promise<void> {
    return closeFunctions([this.user]);
  }
}

export class StreamFlatMap extends OneInputOperator {
  private readonly fn: (value: unknown, out: TimestampedCollector) => void;
  private collector!: TimestampedCollector;
  constructor(private readonly user: FlatMapFunction<unknown, unknown>) {
    super();
    this.fn = asFlatMap(user);
  }
  override async open(setup: OperatorSetup): Promise<void> {
    super.open(setup);
    this.collector = new TimestampedCollector(setup.output);
    await openFunctions([this.user], runtimeContextOf(setup, undefined));
  }
  processElement(value: unknown, timestamp: number | undefined): void {
    this.collector.timestamp = timestamp;
    this.fn(value, this.collector);
  }
  override close(): Promise<void> {
    return closeFunctions([this.user]);
  }
}

export class StreamFilter extends OneInputOperator {
  private readonly fn: (value: unknown) => boolean;
  constructor(private readonly user: FilterFunction<unknown>) {
    super();
    this.fn = asFilter(user);
  }
  override async open(setup: OperatorSetup): Promise<void> {
    super.open(setup);
    await openFunctions([this.user], runtimeContextOf(setup, undefined));
  }
  processElement(value: unknown, timestamp: number | undefined): void {
    if (this.fn(value)) this.output.collect(value, timestamp);
  }
  override close(): Promise<void> {
    return closeFunctions([this.user]);
  }
}

/** Timers need a key: on a non-keyed stream the timer service only tells the time. */
export function nonKeyedTimerService(setup: OperatorSetup, watermark: () => number): TimerService {
  const refuse = (): never => {
    throw new Error('Setting timers is only supported on a keyed stream: use keyBy(...) before process(...).');
  };
  return {
    currentProcessingTime: () => setup.processingTime.now(),
    currentWatermark: watermark,
    registerProcessingTimeTimer: refuse,
    registerEventTimeTimer: refuse,
    deleteProcessingTimeTimer: refuse,
    deleteEventTimeTimer: refuse,
  };
}

export class ProcessOperator extends OneInputOperator {
  private collector!: TimestampedCollector;
  private ctx!: ProcessContext;
  private watermark = Number.NEGATIVE_INFINITY;

  constructor(private readonly fn: ProcessFunction<unknown, unknown>) {
    super();
  }
  override async open(setup: OperatorSetup): Promise<void> {
    super.open(setup);
    const collector = (this.collector = new TimestampedCollector(setup.output));
    const timers = nonKeyedTimerService(setup, () => this.watermark);
    const output = setup.output;
    this.ctx = {
      timestamp: () => collector.timestamp,
      timerService: () => timers,
      output: (tag, value) => output.collectSide(tag.id, value, collector.timestamp),
    };
    await openFunctions([this.fn], runtimeContextOf(setup, undefined));
  }
  processElement(value: unknown, timestamp: number | undefined): void {
    this.collector.timestamp = timestamp;
    this.fn.processElement(value, this.ctx, this.collector);
  }
  override processWatermark(watermark: number): void {
    this.watermark = watermark;
    this.output.emitWatermark(watermark);
  }
  override close(): Promise<void> {
    return closeFunctions([this.fn]);
  }
}
