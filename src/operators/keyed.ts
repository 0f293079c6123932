/** Operators on keyed streams: process with keyed state and timers, and the running reduce. */
import type { Collector, KeyedContext, KeyedOnTimerContext, KeyedProcessFunction, ReduceFunction, TimeDomain } from '../api/functions.js';
import { ValueStateDescriptor, type ValueState } from '../state/index.js';
import { closeFunctions, notifyFunctions, OneInputOperator, openFunctions, runtimeContextOf, TimestampedCollector } from './base.js';
import { KeyedSupport } from './keyed-support.js';
import type { OperatorSetup, OperatorSnapshot, RestoredOperatorState } from './operator.js';

export class KeyedProcessOperator extends OneInputOperator {
  private keyed!: KeyedSupport;
  private key!: (value: unknown) => unknown;
  private collector!: TimestampedCollector;
  private ctx!: KeyedContext<unknown>;
  private timerCtx!: KeyedOnTimerContext<unknown>;
  private domain: TimeDomain = 'EVENT_TIME';

  constructor(private readonly fn: KeyedProcessFunction<unknown, unknown, unknown>) {
    super();
  }

  override async open(setup: OperatorSetup): Promise<void> {
    super.open(setup);
    this.key = setup.keySelectors[0]!;
    const collector = (this.collector = new TimestampedCollector(setup.output));
    const keyed = (this.keyed = new KeyedSupport(setup, (ts, key, _ns, domain) => this.fire(ts, key, domain)));
    const output = setup.output;
    this.ctx = {
      timestamp: () => collector.timestamp,
      timerService: () => keyed.timerService,
      output: (tag, value) => output.collectSide(tag.id, value, collector.timestamp),
      getCurrentKey: () => keyed.backend.getCurrentKey(),
    };
    this.timerCtx = { ...this.ctx, timeDomain: () => this.domain };
    await openFunctions([this.fn], runtimeContextOf(setup, keyed.backend));
  }

  processElement(value: unknown, timestamp: number | undefined): void {
    this.keyed.backend.setCurrentKey(this.key(value));
    this.collector.timestamp = timestamp;
    this.fn.processElement(value, this.ctx, this.collector);
  }

  override processWatermark(watermark: number): void {
    this.keyed.advanceWatermark(watermark);
    this.output.emitWatermark(watermark);
  }

  snapshotState(): OperatorSnapshot {
    return this.keyed.snapshot();
  }

  initializeState(restored: RestoredOperatorState): void {
    this.keyed.restore(restored);
  }

  override finish(): void {
    this.keyed.endOfInput();
  }

  private fire(timestamp: number, key: unknown, domain: TimeDomain): void {
    this.keyed.backend.setCurrentKey(key);
    this.domain = domain;
    this.collector.timestamp = domain === 'EVENT_TIME' ? timestamp : undefined;
    this.fn.onTimer(timestamp, this.timerCtx, this.collector as Collector<unknown>);
  }

  notifyCheckpointComplete(checkpointId: number): Promise<void> {
    return notifyFunctions([this.fn], checkpointId);
  }

  override async close(): Promise<void> {
    this.keyed?.dispose();
    await closeFunctions([this.fn]);
  }
}

/**
 * The running reduce of keyBy().reduce() and the aggregations. In STREAMING mode every record
 * emits its key's new value; in BATCH mode only each key's final value is emitted, at the end.
 */
export class StreamGroupedReduce extends OneInputOperator {
  private keyed!: KeyedSupport;
  private key!: (value: unknown) => unknown;
  private state!: ValueState<unknown>;
  private finalOnly = false;

  constructor(
    private readonly reduce: (a: unknown, b: unknown) => unknown,
    private readonly user: ReduceFunction<unknown> | undefined,
  ) {
    super();
  }

  override async open(setup: OperatorSetup): Promise<void> {
    super.open(setup);
    this.key = setup.keySelectors[0]!;
    this.keyed = new KeyedSupport(setup, () => {});
    this.state = this.keyed.backend.getState(new ValueStateDescriptor<unknown>('_op_state'));
    this.finalOnly = setup.runtimeMode === 'BATCH';
    await openFunctions([this.user], runtimeContextOf(setup, this.keyed.backend));
  }

  processElement(value: unknown, timestamp: number | undefined): void {
    this.keyed.backend.setCurrentKey(this.key(value));
    const current = this.state.value();
    const next = current === undefined ? value : this.reduce(current, value);
    this.state.update(next);
    if (!this.finalOnly) this.output.collect(next, timestamp);
  }

  snapshotState(): OperatorSnapshot {
    return this.keyed.snapshot();
  }

  initializeState(restored: RestoredOperatorState): void {
    this.keyed.restore(restored);
  }

  notifyCheckpointComplete(checkpointId: number): Promise<void> {
    return notifyFunctions([this.user], checkpointId);
  }

  override finish(): void {
    if (!this.finalOnly) return;
    const backend = this.keyed.backend;
    for (const key of backend.keys('_op_state')) {
      backend.setCurrentKey(key);
      this.output.collect(this.state.value(), undefined);
    }
  }

  override async close(): Promise<void> {
    this.keyed?.dispose();
    await closeFunctions([this.user]);
  }
}
