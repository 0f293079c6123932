/**
 * Two-input operators: connect() with co-map, co-flat-map and co-process functions, and the
 * broadcast state pattern. The watermark of a two-input operator is the smaller of its inputs'.
 */
import type {
  BroadcastContext,
  BroadcastProcessFunction,
  BroadcastReadOnlyContext,
  CoFlatMapFunction,
  CoMapFunction,
  CoProcessFunction,
  KeyedBroadcastContext,
  KeyedBroadcastProcessFunction,
  KeyedCoProcessFunction,
  KeyedContext,
  KeyedOnTimerContext,
  KeyedReadOnlyContext,
  OnTimerContext,
  ProcessContext,
  ReadOnlyBroadcastState,
  TimeDomain,
} from '../api/functions.js';
import { OperatorStateBackend, type MapState, type MapStateDescriptor, type ValueState, type ValueStateDescriptor } from '../state/index.js';
import { closeFunctions, openFunctions, runtimeContextOf, TimestampedCollector } from './base.js';
import { nonKeyedTimerService } from './basic.js';
import { KeyedSupport } from './keyed-support.js';
import type { Input, OperatorSetup, OperatorSnapshot, Output, RestoredOperatorState, StreamOperator } from './operator.js';

abstract class TwoInputOperator implements StreamOperator {
  readonly inputs: readonly Input[];
  protected output!: Output;
  protected collector!: TimestampedCollector;
  private readonly watermarks = [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY];
  private readonly idle = [false, false];
  private combined = Number.NEGATIVE_INFINITY;

  constructor(private readonly functions: readonly unknown[]) {
    const input = (index: 0 | 1): Input => ({
      processElement: (value, timestamp) => {
        this.collector.timestamp = timestamp;
        if (index === 0) this.element1(value);
        else this.element2(value);
      },
      processWatermark: (watermark) => this.watermark(index, watermark),
      processWatermarkStatus: (idle) => this.status(index, idle),
      endInput: () => {},
    });
    this.inputs = [input(0), input(1)];
  }

  async open(setup: OperatorSetup): Promise<void> {
    this.output = setup.output;
    this.collector = new TimestampedCollector(setup.output);
    await this.setUp(setup);
    await openFunctions(this.functions, runtimeContextOf(setup, this.keyedBackend()));
  }

  protected setUp(_setup: OperatorSetup): void | Promise<void> {}
  protected keyedBackend(): KeyedSupport['backend'] | undefined {
    return undefined;
  }
  protected abstract element1(value: unknown): void;
  protected abstract element2(value: unknown): void;
  protected onWatermark(_watermark: number): void {}

  private status(index: 0 | 1, idle: boolean): void {
    const bothBefore = this.idle[0]! && this.idle[1]!;
    this.idle[index] = idle;
    const both = this.idle[0]! && this.idle[1]!;
    if (both !== bothBefore) this.output.emitWatermarkStatus(both);
    this.advance();
  }

  private watermark(index: 0 | 1, watermark: number): void {
    this.watermarks[index] = watermark;
    this.advance();
  }

  /** The smaller watermark of the inputs that are not idle. */
  private advance(): void {
    const [w0, w1] = this.watermarks as [number, number];
    const [i0, i1] = this.idle as [boolean, boolean];
    const min = i0 && !i1 ? w1 : i1 && !i0 ? w0 : Math.min(w0, w1);
    if (min > this.combined) {
      this.combined = min;
      this.onWatermark(min);
      this.output.emitWatermark(min);
    }
  }

  protected currentWatermark(): number {
    return this.combined;
  }

  finish(): void | Promise<void> {}
  async close(): Promise<void> {
    await closeFunctions(this.functions);
  }
}

export class CoStreamMap extends TwoInputOperator {
  constructor(private readonly fn: CoMapFunction<unknown, unknown, unknown>) {
    super([fn]);
  }
  protected element1(value: unknown): void {
    this.output.collect(this.fn.map1(value), this.collector.timestamp);
  }
  protected element2(value: unknown): void {
    this.output.collect(this.fn.map2(value), this.collector.timestamp);
  }
}

export class CoStreamFlatMap extends TwoInputOperator {
  constructor(private readonly fn: CoFlatMapFunction<unknown, unknown, unknown>) {
    super([fn]);
  }
  protected element1(value: unknown): void {
    this.fn.flatMap1(value, this.collector);
  }
  protected element2(value: unknown): void {
    this.fn.flatMap2(value, this.collector);
  }
}

function processContext(collector: TimestampedCollector, output: Output, timerService: ProcessContext['timerService']): ProcessContext {
  return {
    timestamp: () => collector.timestamp,
    timerService,
    output: (tag, value) => output.collectSide(tag.id, value, collector.timestamp),
  };
}

export class CoProcessOperator extends TwoInputOperator {
  private ctx!: ProcessContext;
  constructor(private readonly fn: CoProcessFunction<unknown, unknown, unknown>) {
    super([fn]);
  }
  protected override setUp(setup: OperatorSetup): void {
    const timers = nonKeyedTimerService(setup, () => this.currentWatermark());
    this.ctx = processContext(this.collector, this.output, () => timers);
  }
  protected element1(value: unknown): void {
    this.fn.processElement1(value, this.ctx, this.collector);
  }
  protected element2(value: unknown): void {
    this.fn.processElement2(value, this.ctx, this.collector);
  }
}

/** Shared by the keyed two-input operators: state, timers and the contexts over them. */
abstract class KeyedTwoInputOperator extends TwoInputOperator {
  protected keyed!: KeyedSupport;
  protected keys!: readonly (((value: unknown) => unknown) | undefined)[];
  protected keyedCtx!: KeyedContext<unknown>;
  protected timerCtx!: KeyedOnTimerContext<unknown>;
  private domain: TimeDomain = 'EVENT_TIME';

  protected override setUp(setup: OperatorSetup): void {
    this.keys = setup.keySelectors;
    this.keyed = new KeyedSupport(setup, (ts, key, _ns, domain) => {
      this.keyed.backend.setCurrentKey(key);
      this.domain = domain;
      this.collector.timestamp = domain === 'EVENT_TIME' ? ts : undefined;
      this.fire(ts);
    });
    const keyed = this.keyed;
    this.keyedCtx = { ...processContext(this.collector, this.output, () => keyed.timerService), getCurrentKey: () => keyed.backend.getCurrentKey() };
    this.timerCtx = { ...this.keyedCtx, timeDomain: () => this.domain };
  }
  protected override keyedBackend(): KeyedSupport['backend'] {
    return this.keyed.backend;
  }
  protected override onWatermark(watermark: number): void {
    this.keyed.advanceWatermark(watermark);
  }
  protected setKey(index: 0 | 1, value: unknown): void {
    const selector = this.keys[index];
    if (selector !== undefined) this.keyed.backend.setCurrentKey(selector(value));
  }
  protected abstract fire(timestamp: number): void;
  snapshotState(): OperatorSnapshot | undefined {
    return this.keyed.snapshot();
  }
  initializeState(restored: RestoredOperatorState): void {
    this.keyed.restore(restored);
  }
  override finish(): void {
    this.keyed.endOfInput();
  }
  override async close(): Promise<void> {
    this.keyed?.dispose();
    await super.close();
  }
}

export class KeyedCoProcessOperator extends KeyedTwoInputOperator {
  constructor(private readonly fn: KeyedCoProcessFunction<unknown, unknown, unknown, unknown>) {
    super([fn]);
  }
  protected element1(value: unknown): void {
    this.setKey(0, value);
    this.fn.processElement1(value, this.keyedCtx, this.collector);
  }
  protected element2(value: unknown): void {
    this.setKey(1, value);
    this.fn.processElement2(value, this.keyedCtx, this.collector);
  }
  protected fire(timestamp: number): void {
    this.fn.onTimer(timestamp, this.timerCtx, this.collector);
  }
}

function broadcastStates(descriptors: readonly MapStateDescriptor<unknown, unknown>[], backend: OperatorStateBackend) {
  const known = new Set(descriptors.map((d) => d.name));
  return <K, V>(descriptor: MapStateDescriptor<K, V>): MapState<K, V> => {
    if (!known.has(descriptor.name)) {
      throw new Error(`no broadcast state '${descriptor.name}': pass its descriptor to broadcast(...) (known: ${[...known].join(', ') || 'none'})`);
    }
    return backend.getBroadcastState(descriptor);
  };
}

/**
 * The broadcast state as the non-broadcast side sees it: reads only, also for plain JavaScript
 * callers, since a write there would make the instances' copies differ. One view per state.
 */
function readOnlyStates(states: <K, V>(descriptor: MapStateDescriptor<K, V>) => MapState<K, V>) {
  const views = new Map<string, ReadOnlyBroadcastState<unknown, unknown>>();
  return <K, V>(descriptor: MapStateDescriptor<K, V>): ReadOnlyBroadcastState<K, V> => {
    let view = views.get(descriptor.name);
    if (view === undefined) {
      const state = states(descriptor) as MapState<unknown, unknown>;
      view = Object.freeze({ get: (k: unknown) => state.get(k), contains: (k: unknown) => state.contains(k), entries: () => state.entries() });
      views.set(descriptor.name, view);
    }
    return view as ReadOnlyBroadcastState<K, V>;
  };
}

/** Input 1: the non-broadcast side (read-only broadcast state); input 2: the broadcast side. */
export class CoBroadcastWithNonKeyedOperator extends TwoInputOperator {
  private readCtx!: BroadcastReadOnlyContext;
  private writeCtx!: BroadcastContext;
  /** The broadcast state is operator state, the same on every subtask. */
  private readonly operatorState = new OperatorStateBackend();
  constructor(
    private readonly fn: BroadcastProcessFunction<unknown, unknown, unknown>,
    private readonly descriptors: readonly MapStateDescriptor<unknown, unknown>[],
  ) {
    super([fn]);
  }
  protected override setUp(setup: OperatorSetup): void {
    const state = broadcastStates(this.descriptors, this.operatorState);
    const timers = nonKeyedTimerService(setup, () => this.currentWatermark());
    const base = processContext(this.collector, this.output, () => timers);
    this.readCtx = { ...base, getBroadcastState: readOnlyStates(state) };
    this.writeCtx = { ...base, getBroadcastState: state };
  }
  snapshotState(): OperatorSnapshot {
    return { operator: this.operatorState.snapshot() };
  }
  initializeState(restored: RestoredOperatorState): void {
    this.operatorState.restore(restored.operator);
  }
  protected element1(value: unknown): void {
    this.fn.processElement(value, this.readCtx, this.collector);
  }
  protected element2(value: unknown): void {
    this.fn.processBroadcastElement(value, this.writeCtx, this.collector);
  }
}

export class CoBroadcastWithKeyedOperator extends KeyedTwoInputOperator {
  private readCtx!: KeyedReadOnlyContext<unknown>;
  private writeCtx!: KeyedBroadcastContext;
  /** The broadcast state is operator state, the same on every subtask. */
  private readonly operatorState = new OperatorStateBackend();
  constructor(
    private readonly fn: KeyedBroadcastProcessFunction<unknown, unknown, unknown, unknown>,
    private readonly descriptors: readonly MapStateDescriptor<unknown, unknown>[],
  ) {
    super([fn]);
  }
  protected override setUp(setup: OperatorSetup): void {
    super.setUp(setup);
    const state = broadcastStates(this.descriptors, this.operatorState);
    const backend = this.keyed.backend;
    this.readCtx = { ...this.keyedCtx, getBroadcastState: readOnlyStates(state) };
    this.writeCtx = {
      ...processContext(this.collector, this.output, () => this.keyed.timerService),
      getBroadcastState: state,
      applyToKeyedState: <S>(descriptor: ValueStateDescriptor<S>, fn: (key: unknown, s: ValueState<S>) => void) => {
        const valueState = backend.getState(descriptor);
        for (const key of [...backend.keys(descriptor.name)]) {
          backend.setCurrentKey(key);
          fn(key, valueState);
        }
      },
    };
  }
  override snapshotState(): OperatorSnapshot {
    return { ...super.snapshotState(), operator: this.operatorState.snapshot() };
  }
  override initializeState(restored: RestoredOperatorState): void {
    super.initializeState(restored);
    this.operatorState.restore(restored.operator);
  }
  protected element1(value: unknown): void {
    this.setKey(0, value);
    this.fn.processElement(value, this.readCtx, this.collector);
  }
  protected element2(value: unknown): void {
    this.fn.processBroadcastElement(value, this.writeCtx, this.collector);
  }
  protected fire(timestamp: number): void {
    this.fn.onTimer(timestamp, this.timerCtx, this.collector);
  }
}

export type { OnTimerContext };
