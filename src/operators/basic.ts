/**
 * One-input operators without timers: map, flatMap and filter (with keyed state for rich
 * functions after keyBy), and process on a non-keyed stream.
 */
import { asFilter, asFlatMap, asMap, richOf, type FilterFunction, type FlatMapFunction, type MapFunction, type ProcessContext, type ProcessFunction, type TimerService } from '../api/functions.js';
import { closeFunctions, notifyFunctions, OneInputOperator, openFunctions, runtimeContextOf, TimestampedCollector } from './base.js';
import { KeyedSupport } from './keyed-support.js';
import type { OperatorSetup, OperatorSnapshot, RestoredOperatorState } from './operator.js';

/**
 * A map, flatMap or filter right after keyBy is keyed, as in Flink: a rich function there may
 * use keyed state, so the record's key is made current before each call. Plain functions have
 * no state and skip this.
 */
class KeyedScope {
  private constructor(
    readonly support: KeyedSupport,
    private readonly key: (value: unknown) => unknown,
  ) {}
  static of(setup: OperatorSetup, user: unknown): KeyedScope | undefined {
    const key = setup.keySelectors[0];
    if (key === undefined || richOf(user) === undefined) return undefined;
    return new KeyedScope(new KeyedSupport(setup, () => {}), key);
  }
  enter(value: unknown): void {
    this.support.backend.setCurrentKey(this.key(value));
  }
}

/**
 * A stateless step of a fused run: a plain (not rich) map or filter function. Plain functions
 * are never keyed-scoped (KeyedScope.of needs a rich function), so calling them directly in a
 * row is what processElement would do.
 */
export interface FusableStep {
  readonly kind: 'map' | 'filter';
  readonly fn: (value: unknown) => unknown;
}

/** map, flatMap and filter: one user function, opened with the operator and keyed after keyBy. */
abstract class UserFunctionOperator extends OneInputOperator {
  protected scope: KeyedScope | undefined;
  constructor(protected readonly user: unknown) {
    super();
  }
  override async open(setup: OperatorSetup): Promise<void> {
    super.open(setup);
    this.scope = KeyedScope.of(setup, this.user);
    await openFunctions([this.user], runtimeContextOf(setup, this.scope?.support.backend));
  }
  /** Keyed state of a rich function after keyBy; nothing otherwise. */
  snapshotState(): OperatorSnapshot | undefined {
    return this.scope?.support.snapshot();
  }

  initializeState(restored: RestoredOperatorState): void {
    this.scope?.support.restore(restored);
  }

  notifyCheckpointComplete(checkpointId: number): Promise<void> {
    return notifyFunctions([this.user], checkpointId);
  }

  override close(): Promise<void> {
    this.scope?.support.dispose();
    return closeFunctions([this.user]);
  }
}

export class StreamMap extends UserFunctionOperator {
  private readonly fn: (value: unknown) => unknown;
  constructor(user: MapFunction<unknown, unknown>) {
    super(user);
    this.fn = asMap(user);
  }
  processElement(value: unknown, timestamp: number | undefined): void {
    this.scope?.enter(value);
    this.output.collect(this.fn(value), timestamp);
  }
  /** The plain function, when this map can be fused with its chained neighbours (see chain.ts). */
  fusable(): FusableStep | undefined {
    return typeof this.user === 'function' ? { kind: 'map', fn: this.fn } : undefined;
  }
}

export class StreamFlatMap extends UserFunctionOperator {
  private readonly fn: (value: unknown, out: TimestampedCollector) => void;
  private collector!: TimestampedCollector;
  constructor(user: FlatMapFunction<unknown, unknown>) {
    super(user);
    this.fn = asFlatMap(user);
  }
  override async open(setup: OperatorSetup): Promise<void> {
    this.collector = new TimestampedCollector(setup.output);
    await super.open(setup);
  }
  processElement(value: unknown, timestamp: number | undefined): void {
    this.scope?.enter(value);
    this.collector.timestamp = timestamp;
    this.fn(value, this.collector);
  }
}

export class StreamFilter extends UserFunctionOperator {
  private readonly fn: (value: unknown) => boolean;
  constructor(user: FilterFunction<unknown>) {
    super(user);
    this.fn = asFilter(user);
  }
  processElement(value: unknown, timestamp: number | undefined): void {
    this.scope?.enter(value);
    if (this.fn(value)) this.output.collect(value, timestamp);
  }
  /** The plain predicate, when this filter can be fused with its chained neighbours (see chain.ts). */
  fusable(): FusableStep | undefined {
    return typeof this.user === 'function' ? { kind: 'filter', fn: this.fn } : undefined;
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
  notifyCheckpointComplete(checkpointId: number): Promise<void> {
    return notifyFunctions([this.fn], checkpointId);
  }
  override close(): Promise<void> {
    return closeFunctions([this.fn]);
  }
}
