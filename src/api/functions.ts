/**
 * User function interfaces with Flink's names. Each may be given as a plain function or as an
 * object (often a class instance) with the method; rich functions (classes extending
 * AbstractRichFunction) also get `open`/`close` and a runtime context for state.
 */
import type { AggregatingState, AggregatingStateDescriptor, ListState, ListStateDescriptor, MapState, MapStateDescriptor, ReducingState, ReducingStateDescriptor, ValueState, ValueStateDescriptor } from '../state/index.js';

export interface Collector<T> {
  collect(record: T): void;
}

export type MapFunction<T, R> = ((value: T) => R) | { map(value: T): R };
export type FlatMapFunction<T, R> = ((value: T, out: Collector<R>) => void) | { flatMap(value: T, out: Collector<R>): void };
export type FilterFunction<T> = ((value: T) => boolean) | { filter(value: T): boolean };
export type ReduceFunction<T> = ((a: T, b: T) => T) | { reduce(a: T, b: T): T };
export type KeySelector<T, K> = ((value: T) => K) | { getKey(value: T): K };

export interface CoMapFunction<IN1, IN2, R> {
  map1(value: IN1): R;
  map2(value: IN2): R;
}
export interface CoFlatMapFunction<IN1, IN2, R> {
  flatMap1(value: IN1, out: Collector<R>): void;
  flatMap2(value: IN2, out: Collector<R>): void;
}

/** A custom partitioner: which of `numPartitions` channels a key goes to. */
export type Partitioner<K> = ((key: K, numPartitions: number) => number) | { partition(key: K, numPartitions: number): number };

/** Names a side output; records sent to it with `ctx.output(tag, value)`. */
export class OutputTag<T> {
  declare readonly __type?: T;
  constructor(readonly id: string) {
    if (id.length === 0) throw new Error('an OutputTag needs a non-empty name');
  }
}

/** Facts about the parallel instance a function runs in, and access to its state. */
export interface RuntimeContext {
  getIndexOfThisSubtask(): number;
  getNumberOfParallelSubtasks(): number;
  getMaxNumberOfParallelSubtasks(): number;
  getTaskName(): string;
  getAttemptNumber(): number;
  getJobId(): string;
  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>;
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
  getMapState<K, V>(descriptor: MapStateDescriptor<K, V>): MapState<K, V>;
  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T>;
  getAggregatingState<IN, ACC, OUT>(descriptor: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT>;
}

/** Base of rich functions: lifecycle hooks and the runtime context. */
/**
 * Flink's CheckpointListener: a user function with this method hears of every completed
 * checkpoint of its task (after the checkpoint's state is durable everywhere).
 */
export interface CheckpointListener {
  notifyCheckpointComplete(checkpointId: number): void | Promise<void>;
}

export abstract class AbstractRichFunction {
  private runtimeContext: RuntimeContext | undefined;

  /** @internal */
  setRuntimeContext(context: RuntimeContext): void {
    this.runtimeContext = context;
  }

  getRuntimeContext(): RuntimeContext {
    if (this.runtimeContext === undefined) throw new Error('the runtime context is available from open() on, not in the constructor');
    return this.runtimeContext;
  }

  open(_context: OpenContext): void | Promise<void> {}
  close(): void | Promise<void> {}
}

/** What `open` receives (Flink 1.19's OpenContext); state comes from getRuntimeContext(). */
export type OpenContext = Record<string, never>;

export abstract class RichMapFunction<T, R> extends AbstractRichFunction {
  abstract map(value: T): R;
}
export abstract class RichFlatMapFunction<T, R> extends AbstractRichFunction {
  abstract flatMap(value: T, out: Collector<R>): void;
}
export abstract class RichFilterFunction<T> extends AbstractRichFunction {
  abstract filter(value: T): boolean;
}
export abstract class RichReduceFunction<T> extends AbstractRichFunction {
  abstract reduce(a: T, b: T): T;
}
export abstract class RichCoMapFunction<IN1, IN2, R> extends AbstractRichFunction implements CoMapFunction<IN1, IN2, R> {
  abstract map1(value: IN1): R;
  abstract map2(value: IN2): R;
}
export abstract class RichCoFlatMapFunction<IN1, IN2, R> extends AbstractRichFunction implements CoFlatMapFunction<IN1, IN2, R> {
  abstract flatMap1(value: IN1, out: Collector<R>): void;
  abstract flatMap2(value: IN2, out: Collector<R>): void;
}

export type TimeDomain = 'EVENT_TIME' | 'PROCESSING_TIME';

export interface TimerService {
  currentProcessingTime(): number;
  currentWatermark(): number;
  registerProcessingTimeTimer(time: number): void;
  registerEventTimeTimer(time: number): void;
  deleteProcessingTimeTimer(time: number): void;
  deleteEventTimeTimer(time: number): void;
}

export interface ProcessContext {
  /** The record's timestamp, or undefined when it has none. */
  timestamp(): number | undefined;
  timerService(): TimerService;
  output<X>(tag: OutputTag<X>, value: X): void;
}

export abstract class ProcessFunction<I, O> extends AbstractRichFunction {
  abstract processElement(value: I, ctx: ProcessContext, out: Collector<O>): void;
  onTimer(_timestamp: number, _ctx: OnTimerContext, _out: Collector<O>): void {}
}

export interface KeyedContext<K> extends ProcessContext {
  getCurrentKey(): K;
}
export interface OnTimerContext extends ProcessContext {
  timeDomain(): TimeDomain;
}
export interface KeyedOnTimerContext<K> extends KeyedContext<K>, OnTimerContext {}

export abstract class KeyedProcessFunction<K, I, O> extends AbstractRichFunction {
  abstract processElement(value: I, ctx: KeyedContext<K>, out: Collector<O>): void;
  onTimer(_timestamp: number, _ctx: KeyedOnTimerContext<K>, _out: Collector<O>): void {}
}

export abstract class CoProcessFunction<IN1, IN2, O> extends AbstractRichFunction {
  abstract processElement1(value: IN1, ctx: ProcessContext, out: Collector<O>): void;
  abstract processElement2(value: IN2, ctx: ProcessContext, out: Collector<O>): void;
  onTimer(_timestamp: number, _ctx: OnTimerContext, _out: Collector<O>): void {}
}

export abstract class KeyedCoProcessFunction<K, IN1, IN2, O> extends AbstractRichFunction {
  abstract processElement1(value: IN1, ctx: KeyedContext<K>, out: Collector<O>): void;
  abstract processElement2(value: IN2, ctx: KeyedContext<K>, out: Collector<O>): void;
  onTimer(_timestamp: number, _ctx: KeyedOnTimerContext<K>, _out: Collector<O>): void {}
}

/** Read-only broadcast state, as the non-broadcast side sees it. */
export interface ReadOnlyBroadcastState<K, V> {
  get(key: K): V | undefined;
  contains(key: K): boolean;
  entries(): Iterable<[K, V]>;
}

export interface BroadcastReadOnlyContext extends ProcessContext {
  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): ReadOnlyBroadcastState<K, V>;
}
export interface BroadcastContext extends ProcessContext {
  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): MapState<K, V>;
}
export interface KeyedBroadcastContext extends BroadcastContext {
  /** Applies `fn` to the state `descriptor` of every key this subtask holds. */
  applyToKeyedState<S>(descriptor: ValueStateDescriptor<S>, fn: (key: unknown, state: ValueState<S>) => void): void;
}
export interface KeyedReadOnlyContext<K> extends BroadcastReadOnlyContext {
  getCurrentKey(): K;
}

export abstract class BroadcastProcessFunction<IN1, IN2, O> extends AbstractRichFunction {
  abstract processElement(value: IN1, ctx: BroadcastReadOnlyContext, out: Collector<O>): void;
  abstract processBroadcastElement(value: IN2, ctx: BroadcastContext, out: Collector<O>): void;
}

export abstract class KeyedBroadcastProcessFunction<K, IN1, IN2, O> extends AbstractRichFunction {
  abstract processElement(value: IN1, ctx: KeyedReadOnlyContext<K>, out: Collector<O>): void;
  abstract processBroadcastElement(value: IN2, ctx: KeyedBroadcastContext, out: Collector<O>): void;
  onTimer(_timestamp: number, _ctx: KeyedOnTimerContext<K>, _out: Collector<O>): void {}
}

// ---- normalisation: plain functions and objects to one calling shape -------------------

export function asMap<T, R>(f: MapFunction<T, R>): (value: T) => R {
  return typeof f === 'function' ? f : (v) => f.map(v);
}
export function asFlatMap<T, R>(f: FlatMapFunction<T, R>): (value: T, out: Collector<R>) => void {
  return typeof f === 'function' ? f : (v, out) => f.flatMap(v, out);
}
export function asFilter<T>(f: FilterFunction<T>): (value: T) => boolean {
  return typeof f === 'function' ? f : (v) => f.filter(v);
}
export function asReduce<T>(f: ReduceFunction<T>): (a: T, b: T) => T {
  return typeof f === 'function' ? f : (a, b) => f.reduce(a, b);
}
export function asKeySelector<T, K>(f: KeySelector<T, K>): (value: T) => K {
  return typeof f === 'function' ? f : (v) => f.getKey(v);
}
export function asPartitioner<K>(f: Partitioner<K>): (key: K, n: number) => number {
  return typeof f === 'function' ? f : (k, n) => f.partition(k, n);
}

/** The rich function behind a user function, if it is one. */
export function richOf(f: unknown): AbstractRichFunction | undefined {
  return f instanceof AbstractRichFunction ? f : undefined;
}

/**
 * A copy of a user function for one parallel instance. Flink ships every subtask its own
 * deserialized copy; slots that share a thread (inline mode, or two operators given the same
 * object) get the same isolation from a deep copy that keeps prototypes. Plain functions
 * carry no instance state and are shared.
 */
export function copyFunction<F>(f: F): F {
  return typeof f === 'object' && f !== null ? (deepCopy(f, new Map()) as F) : f;
}

function deepCopy(value: unknown, seen: Map<object, unknown>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const known = seen.get(value);
  if (known !== undefined) return known;
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (const v of value) copy.push(deepCopy(v, seen));
    return copy;
  }
  if (value instanceof Map) {
    const copy = new Map();
    seen.set(value, copy);
    for (const [k, v] of value) copy.set(deepCopy(k, seen), deepCopy(v, seen));
    return copy;
  }
  if (value instanceof Set) {
    const copy = new Set();
    seen.set(value, copy);
    for (const v of value) copy.add(deepCopy(v, seen));
    return copy;
  }
  if (value instanceof Date) return new Date(value.getTime());
  if (value instanceof RegExp) return new RegExp(value.source, value.flags);
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return structuredClone(value);
  const copy = Object.create(Object.getPrototypeOf(value) as object | null) as Record<PropertyKey, unknown>;
  seen.set(value, copy);
  for (const key of Reflect.ownKeys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key)!;
    if ('value' in descriptor) descriptor.value = deepCopy(descriptor.value, seen);
    Object.defineProperty(copy, key, descriptor);
  }
  return copy;
}
