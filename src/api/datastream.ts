/**
 * The DataStream API: DataStream, KeyedStream, ConnectedStreams and the broadcast variants,
 * with Flink's method names. Every call records a transformation in the environment; nothing
 * runs until execute().
 */
import type { Sink } from '../connectors/index.js';
import { PrintSink } from '../connectors/index.js';
import { CoBroadcastWithKeyedOperator, CoBroadcastWithNonKeyedOperator, CoProcessOperator, CoStreamFlatMap, CoStreamMap, KeyedCoProcessOperator } from '../operators/co.js';
import { ProcessOperator, StreamFilter, StreamFlatMap, StreamMap } from '../operators/basic.js';
import { KeyedProcessOperator, StreamGroupedReduce } from '../operators/keyed.js';
import type { OperatorFactory } from '../operators/operator.js';
import type { PartitionerSpec } from '../operators/partitioners.js';
import { CollectSinkOperator, SinkWriterOperator } from '../operators/sink.js';
import { TimestampsAndWatermarksOperator } from '../operators/timestamps.js';
import type { WatermarkStrategy } from './watermarks.js';
import type { MapStateDescriptor, State, StateDescriptor } from '../state/index.js';
import { aggregation, type AggregationKind, type FieldRef } from './aggregations.js';
import type { StreamExecutionEnvironment } from './environment.js';
import {
  asKeySelector,
  asPartitioner,
  asReduce,
  copyFunction,
  BroadcastProcessFunction,
  CoProcessFunction,
  KeyedBroadcastProcessFunction,
  KeyedCoProcessFunction,
  type CoFlatMapFunction,
  type CoMapFunction,
  type Collector,
  type FilterFunction,
  type FlatMapFunction,
  type KeyedProcessFunction,
  type KeySelector,
  type MapFunction,
  type OutputTag,
  type Partitioner,
  type ProcessFunction,
  type ReduceFunction,
} from './functions.js';
import type { ChainingStrategy, OneInputTransformation, SinkTransformation, Transformation, TwoInputTransformation } from './transformation.js';
import { GlobalWindows, type WindowAssigner } from './windowing/assigners.js';
import { CountEvictor } from './windowing/evictors.js';
import { CountTrigger, PurgingTrigger } from './windowing/triggers.js';
import { AllWindowedStream, WindowedStream } from './windowing/windowed-stream.js';
import type { GlobalWindow, Window } from './windowing/windows.js';

type Selector = (value: unknown) => unknown;

/** A MapStateDescriptor of any key and value types (MapState is invariant in both). */
type AnyMapStateDescriptor = StateDescriptor<State> & { readonly kind: 'MAP' };

export class DataStream<T> {
  declare readonly __type?: T;

  constructor(
    readonly environment: StreamExecutionEnvironment,
    readonly transformation: Transformation,
  ) {}

  getExecutionEnvironment(): StreamExecutionEnvironment {
    return this.environment;
  }

  getParallelism(): number {
    return this.transformation.parallelism ?? this.environment.getParallelism();
  }

  map<R>(fn: MapFunction<T, R>): SingleOutputStreamOperator<R> {
    return this.transform<R>('Map', () => new StreamMap(copyFunction(fn) as MapFunction<unknown, unknown>));
  }

  flatMap<R>(fn: FlatMapFunction<T, R>): SingleOutputStreamOperator<R> {
    return this.transform<R>('Flat Map', () => new StreamFlatMap(copyFunction(fn) as FlatMapFunction<unknown, unknown>));
  }

  filter(fn: FilterFunction<T>): SingleOutputStreamOperator<T> {
    return this.transform<T>('Filter', () => new StreamFilter(copyFunction(fn) as FilterFunction<unknown>));
  }

  process<R>(fn: ProcessFunction<T, R>): SingleOutputStreamOperator<R> {
    return this.transform<R>('Process', () => new ProcessOperator(copyFunction(fn) as ProcessFunction<unknown, unknown>));
  }

  /**
   * Event time: gives every record its timestamp (`withTimestampAssigner`, else the one the
   * source set) and generates watermarks from them, as `strategy` says.
   */
  assignTimestampsAndWatermarks(strategy: WatermarkStrategy<T>): SingleOutputStreamOperator<T> {
    return this.transform<T>('Timestamps/Watermarks', () => new TimestampsAndWatermarksOperator(strategy as WatermarkStrategy<unknown>));
  }

  keyBy<K>(key: KeySelector<T, K>): KeyedStream<T, K> {
    const selector = asKeySelector(key) as Selector;
    return new KeyedStream<T, K>(this.environment, this.partition({ type: 'hash' }, selector).transformation, selector);
  }

  union(...others: DataStream<T>[]): DataStream<T> {
    for (const other of others) {
      if (other.environment !== this.environment) throw new Error('union() needs streams of the same execution environment');
    }
    const t = this.environment.register({
      kind: 'union',
      id: 0,
      name: 'Union',
      uid: undefined,
      parallelism: undefined,
      maxParallelism: undefined,
      inputs: [this.transformation, ...others.map((o) => o.transformation)],
    });
    return new DataStream<T>(this.environment, t);
  }

  connect<U>(other: BroadcastStream<U>): BroadcastConnectedStream<T, U>;
  connect<U>(other: DataStream<U>): ConnectedStreams<T, U>;
  connect<U>(other: DataStream<U> | BroadcastStream<U>): ConnectedStreams<T, U> | BroadcastConnectedStream<T, U> {
    if (other instanceof BroadcastStream) return new BroadcastConnectedStream<T, U>(this, other);
    return new ConnectedStreams<T, U>(this, other);
  }

  /**
   * `broadcast()`: every record to every downstream subtask. `broadcast(descriptor...)`: a
   * BroadcastStream for the broadcast state pattern.
   */
  broadcast(): DataStream<T>;
  broadcast(...descriptors: AnyMapStateDescriptor[]): BroadcastStream<T>;
  broadcast(...descriptors: AnyMapStateDescriptor[]): DataStream<T> | BroadcastStream<T> {
    const partitioned = this.partition({ type: 'broadcast' });
    return descriptors.length === 0 ? partitioned : new BroadcastStream<T>(partitioned, descriptors as MapStateDescriptor<unknown, unknown>[]);
  }

  rebalance(): DataStream<T> {
    return this.partition({ type: 'rebalance' });
  }
  rescale(): DataStream<T> {
    return this.partition({ type: 'rescale' });
  }
  shuffle(): DataStream<T> {
    return this.partition({ type: 'shuffle' });
  }
  forward(): DataStream<T> {
    return this.partition({ type: 'forward' });
  }
  /** Everything to the first subtask of the next operator. */
  global(): DataStream<T> {
    return this.partition({ type: 'global' });
  }
  partitionCustom<K>(partitioner: Partitioner<K>, key: KeySelector<T, K>): DataStream<T> {
    return this.partition({ type: 'custom' }, asKeySelector(key) as Selector, asPartitioner(partitioner) as (k: unknown, n: number) => number);
  }

  /**
   * Cuts the whole stream into windows, evaluated by one non-parallel operator (a keyed window
   * on one constant key, as in Flink).
   */
  windowAll<W extends Window>(assigner: WindowAssigner<T, W>): AllWindowedStream<T, W> {
    return new AllWindowedStream<T, W>(this, assigner);
  }

  /**
   * Windows of `size` elements of the whole stream; with `slide`, a window of the last `size`
   * elements every `slide` elements.
   */
  countWindowAll(size: number, slide?: number): AllWindowedStream<T, GlobalWindow> {
    const windowed = this.windowAll(GlobalWindows.create());
    return slide === undefined ? windowed.trigger(PurgingTrigger.of(CountTrigger.of(size))) : windowed.evictor(CountEvictor.of(size)).trigger(CountTrigger.of(slide));
  }

  /** Writes every record to standard output (`N> ` prefixed when parallel). */
  print(sinkIdentifier?: string): DataStreamSink<T> {
    return this.sinkTo(new PrintSink<T>(sinkIdentifier), 'Print to Std. Out');
  }

  sinkTo<CommT = never>(sink: Sink<T, CommT>, name = 'Sink'): DataStreamSink<T> {
    const t = this.environment.register<SinkTransformation>({
      kind: 'sink',
      id: 0,
      name,
      uid: undefined,
      parallelism: undefined,
      maxParallelism: undefined,
      input: this.transformation,
      factory: () => new SinkWriterOperator(sink as Sink<unknown>),
      operatorName: name,
    });
    return new DataStreamSink<T>(t);
  }

  /** Runs the job and resolves with every record of this stream (bounded jobs only). */
  async executeAndCollect(jobName?: string): Promise<T[]> {
    const t = this.environment.register<SinkTransformation>({
      kind: 'sink',
      id: 0,
      name: 'Collect Sink',
      uid: undefined,
      // One collector, as in Flink: the results arrive in one list.
      parallelism: 1,
      fixedParallelism: true,
      maxParallelism: undefined,
      input: this.transformation,
      factory: () => new CollectSinkOperator(),
      operatorName: 'Collect Sink',
    });
    void t;
    return (await this.environment.executeCollecting(jobName)) as T[];
  }

  protected partition(spec: PartitionerSpec, keySelector?: Selector, customPartitioner?: (k: unknown, n: number) => number): DataStream<T> {
    const t = this.environment.register({
      kind: 'partition',
      id: 0,
      name: 'Partition',
      uid: undefined,
      parallelism: undefined,
      maxParallelism: undefined,
      input: this.transformation,
      partitioner: spec,
      ...(keySelector ? { keySelector } : {}),
      ...(customPartitioner ? { customPartitioner } : {}),
    });
    return new DataStream<T>(this.environment, t);
  }

  /** @internal Adds a one-input operator after this stream. */
  transform<R>(
    name: string,
    factory: OperatorFactory,
    options: { keySelector?: Selector; chaining?: ChainingStrategy; parallelism?: number } = {},
  ): SingleOutputStreamOperator<R> {
    const t = this.environment.register<OneInputTransformation>({
      kind: 'one-input',
      id: 0,
      name,
      uid: undefined,
      parallelism: options.parallelism,
      maxParallelism: undefined,
      ...(options.parallelism !== undefined ? { fixedParallelism: true } : {}),
      input: this.transformation,
      factory,
      keySelector: options.keySelector,
      chaining: options.chaining ?? 'ALWAYS',
      operatorName: name,
    });
    return new SingleOutputStreamOperator<R>(this.environment, t);
  }
}

/** A stream produced by an operator: it can be named, given a uid and a parallelism. */
export class SingleOutputStreamOperator<T> extends DataStream<T> {
  /** A stable id that state is mapped by across job versions; set it on every stateful operator. */
  uid(uid: string): this {
    this.transformation.uid = uid;
    return this;
  }
  name(name: string): this {
    this.transformation.name = name;
    if (this.transformation.kind === 'one-input' || this.transformation.kind === 'two-input') {
      (this.transformation as { operatorName: string }).operatorName = name;
    }
    return this;
  }
  setParallelism(parallelism: number): this {
    if (!Number.isInteger(parallelism) || parallelism < 1) throw new RangeError(`parallelism must be a positive integer, got ${parallelism}`);
    if (this.transformation.fixedParallelism === true && parallelism !== 1) {
      throw new Error(`'${this.transformation.name}' is not parallel; its parallelism must stay 1`);
    }
    this.transformation.parallelism = parallelism;
    return this;
  }
  setMaxParallelism(maxParallelism: number): this {
    this.transformation.maxParallelism = maxParallelism;
    return this;
  }
  /** Starts no chain with the previous operator, nor lets the next chain with it. */
  disableChaining(): this {
    setChaining(this.transformation, 'NEVER');
    return this;
  }
  /** Begins a new chain here: the previous operator does not chain with this one. */
  startNewChain(): this {
    setChaining(this.transformation, 'HEAD');
    return this;
  }
  getSideOutput<X>(tag: OutputTag<X>): DataStream<X> {
    const t = this.environment.register({
      kind: 'side-output',
      id: 0,
      name: `SideOutput:${tag.id}`,
      uid: undefined,
      parallelism: undefined,
      maxParallelism: undefined,
      input: this.transformation,
      tag: tag.id,
    });
    return new DataStream<X>(this.environment, t);
  }
}

function setChaining(t: Transformation, strategy: ChainingStrategy): void {
  if (t.kind === 'one-input' || t.kind === 'two-input') (t as { chaining: ChainingStrategy }).chaining = strategy;
}

export class DataStreamSink<T> {
  declare readonly __type?: T;
  constructor(readonly transformation: SinkTransformation) {}
  uid(uid: string): this {
    this.transformation.uid = uid;
    return this;
  }
  name(name: string): this {
    this.transformation.name = name;
    (this.transformation as { operatorName: string }).operatorName = name;
    return this;
  }
  setParallelism(parallelism: number): this {
    this.transformation.parallelism = parallelism;
    return this;
  }
}

export class KeyedStream<T, K> extends DataStream<T> {
  constructor(
    environment: StreamExecutionEnvironment,
    transformation: Transformation,
    readonly keySelector: Selector,
  ) {
    super(environment, transformation);
  }

  getKeySelector(): (value: T) => K {
    return this.keySelector as (value: T) => K;
  }

  // map, flatMap and filter after keyBy are keyed operators: a rich function there has keyed state.
  override map<R>(fn: MapFunction<T, R>): SingleOutputStreamOperator<R> {
    return this.transform<R>('Map', () => new StreamMap(copyFunction(fn) as MapFunction<unknown, unknown>), { keySelector: this.keySelector });
  }
  override flatMap<R>(fn: FlatMapFunction<T, R>): SingleOutputStreamOperator<R> {
    return this.transform<R>('Flat Map', () => new StreamFlatMap(copyFunction(fn) as FlatMapFunction<unknown, unknown>), { keySelector: this.keySelector });
  }
  override filter(fn: FilterFunction<T>): SingleOutputStreamOperator<T> {
    return this.transform<T>('Filter', () => new StreamFilter(copyFunction(fn) as FilterFunction<unknown>), { keySelector: this.keySelector });
  }

  /** A running reduce per key: every input emits the key's new result. */
  reduce(fn: ReduceFunction<T>): SingleOutputStreamOperator<T> {
    const reduce = asReduce(fn) as (a: unknown, b: unknown) => unknown;
    return this.transform<T>('Keyed Reduce', () => new StreamGroupedReduce(reduce, copyFunction(fn) as unknown as ReduceFunction<unknown>), { keySelector: this.keySelector });
  }

  sum(field?: FieldRef): SingleOutputStreamOperator<T> {
    return this.aggregate('sum', field);
  }
  min(field?: FieldRef): SingleOutputStreamOperator<T> {
    return this.aggregate('min', field);
  }
  max(field?: FieldRef): SingleOutputStreamOperator<T> {
    return this.aggregate('max', field);
  }
  minBy(field?: FieldRef): SingleOutputStreamOperator<T> {
    return this.aggregate('minBy', field);
  }
  maxBy(field?: FieldRef): SingleOutputStreamOperator<T> {
    return this.aggregate('maxBy', field);
  }

  override process<R>(fn: KeyedProcessFunction<K, T, R> | ProcessFunction<T, R>): SingleOutputStreamOperator<R> {
    return this.transform<R>('KeyedProcess', () => new KeyedProcessOperator(copyFunction(fn) as KeyedProcessFunction<unknown, unknown, unknown>), { keySelector: this.keySelector });
  }

  /** Cuts each key's records into windows. */
  window<W extends Window>(assigner: WindowAssigner<T, W>): WindowedStream<T, K, W> {
    return new WindowedStream<T, K, W>(this, assigner);
  }

  /**
   * Windows of `size` elements per key (fired and purged every `size`); with `slide`, a window of
   * the key's last `size` elements every `slide` elements.
   */
  countWindow(size: number, slide?: number): WindowedStream<T, K, GlobalWindow> {
    const windowed = this.window(GlobalWindows.create());
    return slide === undefined ? windowed.trigger(PurgingTrigger.of(CountTrigger.of(size))) : windowed.evictor(CountEvictor.of(size)).trigger(CountTrigger.of(slide));
  }

  private aggregate(kind: AggregationKind, field: FieldRef | undefined): SingleOutputStreamOperator<T> {
    const reduce = aggregation(kind, field);
    return this.transform<T>(`Keyed Aggregation`, () => new StreamGroupedReduce(reduce, undefined), { keySelector: this.keySelector });
  }
}

export class ConnectedStreams<A, B> {
  constructor(
    readonly first: DataStream<A>,
    readonly second: DataStream<B>,
  ) {}

  /** Keys both inputs, so a co-function sees the two streams' records of one key together. */
  keyBy<K>(key1: KeySelector<A, K>, key2: KeySelector<B, K>): ConnectedStreams<A, B> {
    return new ConnectedStreams<A, B>(this.first.keyBy(key1), this.second.keyBy(key2));
  }

  map<R>(fn: CoMapFunction<A, B, R>): SingleOutputStreamOperator<R>;
  map<R>(map1: (value: A) => R, map2: (value: B) => R): SingleOutputStreamOperator<R>;
  map<R>(fn: CoMapFunction<A, B, R> | ((value: A) => R), map2?: (value: B) => R): SingleOutputStreamOperator<R> {
    const co: CoMapFunction<A, B, R> = typeof fn === 'function' ? { map1: fn, map2: map2! } : fn;
    return this.twoInput<R>('Co-Map', () => new CoStreamMap(copyFunction(co) as CoMapFunction<unknown, unknown, unknown>), false);
  }

  flatMap<R>(fn: CoFlatMapFunction<A, B, R>): SingleOutputStreamOperator<R>;
  flatMap<R>(f1: (value: A, out: Collector<R>) => void, f2: (value: B, out: Collector<R>) => void): SingleOutputStreamOperator<R>;
  flatMap<R>(
    fn: CoFlatMapFunction<A, B, R> | ((value: A, out: Collector<R>) => void),
    f2?: (value: B, out: Collector<R>) => void,
  ): SingleOutputStreamOperator<R> {
    const co: CoFlatMapFunction<A, B, R> = typeof fn === 'function' ? { flatMap1: fn, flatMap2: f2! } : fn;
    return this.twoInput<R>('Co-Flat Map', () => new CoStreamFlatMap(copyFunction(co) as CoFlatMapFunction<unknown, unknown, unknown>), false);
  }

  process<R>(fn: CoProcessFunction<A, B, R> | KeyedCoProcessFunction<unknown, A, B, R>): SingleOutputStreamOperator<R> {
    if (fn instanceof KeyedCoProcessFunction) {
      return this.twoInput<R>('Co-Keyed-Process', () => new KeyedCoProcessOperator(copyFunction(fn) as KeyedCoProcessFunction<unknown, unknown, unknown, unknown>), true);
    }
    return this.twoInput<R>('Co-Process', () => new CoProcessOperator(copyFunction(fn) as CoProcessFunction<unknown, unknown, unknown>), false);
  }

  private twoInput<R>(name: string, factory: OperatorFactory, requireKeyed: boolean): SingleOutputStreamOperator<R> {
    const k1 = this.first instanceof KeyedStream ? (this.first.keySelector as Selector) : undefined;
    const k2 = this.second instanceof KeyedStream ? (this.second.keySelector as Selector) : undefined;
    if (requireKeyed && (k1 === undefined || k2 === undefined)) {
      throw new Error(`${name} needs both inputs keyed: call connect(...).keyBy(key1, key2) first`);
    }
    return twoInputStream<R>(this.first, this.second.transformation, name, factory, k1, k2);
  }
}

function twoInputStream<R>(
  first: { readonly environment: StreamExecutionEnvironment; readonly transformation: Transformation },
  second: Transformation,
  name: string,
  factory: OperatorFactory,
  k1: Selector | undefined,
  k2: Selector | undefined,
): SingleOutputStreamOperator<R> {
  const env = first.environment;
  const t = env.register<TwoInputTransformation>({
    kind: 'two-input',
    id: 0,
    name,
    uid: undefined,
    parallelism: undefined,
    maxParallelism: undefined,
    input1: first.transformation,
    input2: second,
    factory,
    keySelector1: k1,
    keySelector2: k2,
    chaining: 'HEAD',
    operatorName: name,
  });
  return new SingleOutputStreamOperator<R>(env, t);
}

/** A stream broadcast to every subtask, carrying the descriptors of its broadcast state. */
export class BroadcastStream<T> {
  declare readonly __type?: T;
  constructor(
    readonly stream: DataStream<T>,
    readonly descriptors: readonly MapStateDescriptor<unknown, unknown>[],
  ) {}
}

export class BroadcastConnectedStream<A, B> {
  constructor(
    readonly nonBroadcast: DataStream<A>,
    readonly broadcastSide: BroadcastStream<B>,
  ) {}

  process<R>(fn: BroadcastProcessFunction<A, B, R> | KeyedBroadcastProcessFunction<unknown, A, B, R>): SingleOutputStreamOperator<R> {
    const descriptors = this.broadcastSide.descriptors;
    if (fn instanceof KeyedBroadcastProcessFunction) {
      if (!(this.nonBroadcast instanceof KeyedStream)) throw new Error('a KeyedBroadcastProcessFunction needs a keyed stream: keyBy(...) before connect()');
      return twoInputStream<R>(
        this.nonBroadcast,
        this.broadcastSide.stream.transformation,
        'Co-Process-Broadcast-Keyed',
        () => new CoBroadcastWithKeyedOperator(copyFunction(fn) as KeyedBroadcastProcessFunction<unknown, unknown, unknown, unknown>, descriptors),
        this.nonBroadcast.keySelector as Selector,
        undefined,
      );
    }
    if (!(fn instanceof BroadcastProcessFunction)) throw new Error('process() on a broadcast-connected stream takes a (Keyed)BroadcastProcessFunction');
    return twoInputStream<R>(
      this.nonBroadcast,
      this.broadcastSide.stream.transformation,
      'Co-Process-Broadcast',
      () => new CoBroadcastWithNonKeyedOperator(copyFunction(fn) as BroadcastProcessFunction<unknown, unknown, unknown>, descriptors),
      undefined,
      undefined,
    );
  }
}
