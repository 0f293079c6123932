/**
 * WindowedStream (after `keyBy(...).window(assigner)`) and AllWindowedStream (after
 * `windowAll(assigner)`): the window's trigger, lateness, late-data output and evictor, then the
 * function that turns each window into results. Nothing runs until the job executes: each call
 * to reduce/aggregate/process adds one window operator.
 */
import type { Evictor } from './evictors.js';
import { EvictingWindowOperator } from '../../operators/windowing/evicting-window-operator.js';
import {
  IterableProcessAllWindowFunction,
  IterableProcessWindowFunction,
  PassThroughWindowFunction,
  SingleValueProcessAllWindowFunction,
  SingleValueProcessWindowFunction,
  type InternalWindowFunction,
  type WindowContentsSpec,
} from '../../operators/windowing/window-functions.js';
import { WindowOperator } from '../../operators/windowing/window-operator.js';
import type { AggregateFunction } from '../../state/index.js';
import type { DataStream, KeyedStream, SingleOutputStreamOperator } from '../datastream.js';
import { asReduce, copyFunction, richOf, type OutputTag, type ReduceFunction } from '../functions.js';
import { MergingWindowAssigner, type WindowAssigner } from './assigners.js';
import { InvalidWindowError } from './errors.js';
import type { ProcessAllWindowFunction, ProcessWindowFunction } from './functions.js';
import type { Trigger } from './triggers.js';
import type { Window } from './windows.js';

/** The settings shared by keyed and all-windows. */
class WindowSettings<T, W extends Window> {
  trigger: Trigger<T, W>;
  allowedLateness = 0;
  lateDataTag: OutputTag<T> | undefined = undefined;
  evictor: Evictor<T, W> | undefined = undefined;

  constructor(readonly assigner: WindowAssigner<T, W>) {
    this.trigger = assigner.getDefaultTrigger();
  }

  setTrigger(trigger: Trigger<T, W>): void {
    if (this.assigner instanceof MergingWindowAssigner && !trigger.canMerge()) {
      throw new InvalidWindowError(`A merging window assigner cannot be used with a trigger that does not support merging (${String(trigger)}).`);
    }
    this.trigger = trigger;
  }

  setAllowedLateness(lateness: number): void {
    if (!(lateness >= 0)) throw new InvalidWindowError(`The allowed lateness must be >= 0 ms, got ${lateness}`);
    this.allowedLateness = lateness;
  }

  setEvictor(evictor: Evictor<T, W>): void {
    if (this.assigner instanceof MergingWindowAssigner) throw new InvalidWindowError('Cannot use a merging WindowAssigner with an Evictor.');
    this.evictor = evictor;
  }

  /** Adds the window operator after `input` (keyed by `keySelector`). */
  build<R>(
    input: DataStream<T>,
    keySelector: (value: unknown) => unknown,
    what: string,
    contents: () => WindowContentsSpec,
    fn: () => InternalWindowFunction,
    parallelism: number | undefined,
  ): SingleOutputStreamOperator<R> {
    const { assigner, trigger, allowedLateness, lateDataTag, evictor } = this;
    const name = `Window(${String(assigner)}, ${trigger.constructor.name}, ${evictor === undefined ? '' : `${String(evictor)}, `}${what})`;
    const factory = (): WindowOperator => {
      // Each subtask gets its own copies of the user's objects, as Flink deserializes one per subtask.
      const spec = {
        assigner: copyFunction(assigner) as WindowAssigner<unknown, Window>,
        trigger: copyFunction(trigger) as Trigger<unknown, Window>,
        allowedLateness,
        lateDataTag: lateDataTag?.id,
        contents: contents(),
        function: fn(),
      };
      return evictor === undefined ? new WindowOperator(spec) : new EvictingWindowOperator(spec, copyFunction(evictor) as Evictor<unknown, Window>);
    };
    return input.transform<R>(name, factory, { keySelector, ...(parallelism !== undefined ? { parallelism } : {}) });
  }
}

function reduceSpec<T>(fn: ReduceFunction<T>): () => WindowContentsSpec {
  if (richOf(fn) !== undefined) {
    throw new InvalidWindowError('ReduceFunction of reduce can not be a RichFunction. Please use reduce(ReduceFunction, ProcessWindowFunction) instead.');
  }
  return () => ({ kind: 'reduce', reduce: { reduce: asReduce(copyFunction(fn)) as (a: unknown, b: unknown) => unknown } });
}

function aggregateSpec<T, ACC, V>(fn: AggregateFunction<T, ACC, V>): () => WindowContentsSpec {
  if (richOf(fn) !== undefined) throw new InvalidWindowError('This aggregate function cannot be a RichFunction.');
  return () => ({ kind: 'aggregate', aggregate: copyFunction(fn) as AggregateFunction<unknown, unknown, unknown> });
}

const LIST: () => WindowContentsSpec = () => ({ kind: 'list' });
const PASS_THROUGH = (): InternalWindowFunction => new PassThroughWindowFunction();

type AnyPwf = ProcessWindowFunction<unknown, unknown, unknown, Window>;
type AnyPawf = ProcessAllWindowFunction<unknown, unknown, Window>;

/** How the user's process functions of keyed or of all-windows are run by the window operator. */
interface ProcessFunctionKind {
  /** A function that gets the one reduced or aggregated value of a window. */
  singleValue(fn: unknown): InternalWindowFunction;
  /** A function that gets every element of a window. */
  iterable(fn: unknown): InternalWindowFunction;
}

const KEYED_FUNCTIONS: ProcessFunctionKind = {
  singleValue: (fn) => new SingleValueProcessWindowFunction(fn as AnyPwf),
  iterable: (fn) => new IterableProcessWindowFunction(fn as AnyPwf),
};

const ALL_FUNCTIONS: ProcessFunctionKind = {
  singleValue: (fn) => new SingleValueProcessAllWindowFunction(fn as AnyPawf),
  iterable: (fn) => new IterableProcessAllWindowFunction(fn as AnyPawf),
};

/** What keyed and all-windows share: the window's settings and the operator each function adds. */
abstract class WindowedStreamBase<T, K, W extends Window> {
  private readonly settings: WindowSettings<T, W>;

  protected constructor(
    readonly input: KeyedStream<T, K>,
    windowAssigner: WindowAssigner<T, W>,
    private readonly functions: ProcessFunctionKind,
    private readonly parallelism: number | undefined,
  ) {
    this.settings = new WindowSettings(windowAssigner);
  }

  /** Replaces the assigner's default trigger. */
  trigger(trigger: Trigger<T, W>): this {
    this.settings.setTrigger(trigger);
    return this;
  }

  /** Keeps event-time windows `lateness` ms past their end for late elements (default 0). */
  allowedLateness(lateness: number): this {
    this.settings.setAllowedLateness(lateness);
    return this;
  }

  /** Sends elements too late for any window to this side output instead of dropping them. */
  sideOutputLateData(tag: OutputTag<T>): this {
    this.settings.lateDataTag = tag;
    return this;
  }

  /** Removes elements from windows before/after evaluation; windows then keep all elements. */
  evictor(evictor: Evictor<T, W>): this {
    this.settings.setEvictor(evictor);
    return this;
  }

  /** reduce and aggregate: the process function, if any, gets the one incremental result when the window fires. */
  protected incremental<R>(what: string, contents: () => WindowContentsSpec, function_: object | undefined): SingleOutputStreamOperator<R> {
    const { functions } = this;
    return this.build<R>(what, contents, function_ === undefined ? PASS_THROUGH : () => functions.singleValue(copyFunction(function_)));
  }

  /** process: the function gets every element of the window when it fires. */
  protected iterable<R>(function_: object): SingleOutputStreamOperator<R> {
    const { functions } = this;
    return this.build<R>('process', LIST, () => functions.iterable(copyFunction(function_)));
  }

  private build<R>(what: string, contents: () => WindowContentsSpec, fn: () => InternalWindowFunction): SingleOutputStreamOperator<R> {
    return this.settings.build<R>(this.input, this.input.keySelector, what, contents, fn, this.parallelism);
  }
}

/** A keyed stream cut into windows: `keyBy(...).window(assigner)`. */
export class WindowedStream<T, K, W extends Window> extends WindowedStreamBase<T, K, W> {
  constructor(input: KeyedStream<T, K>, windowAssigner: WindowAssigner<T, W>) {
    super(input, windowAssigner, KEYED_FUNCTIONS, undefined);
  }

  /** Reduces each window incrementally; emits the reduced value when it fires. */
  reduce(fn: ReduceFunction<T>): SingleOutputStreamOperator<T>;
  /** Reduces incrementally; the process function gets the one reduced value when the window fires. */
  reduce<R>(fn: ReduceFunction<T>, function_: ProcessWindowFunction<T, R, K, W>): SingleOutputStreamOperator<R>;
  reduce<R>(fn: ReduceFunction<T>, function_?: ProcessWindowFunction<T, R, K, W>): SingleOutputStreamOperator<T> | SingleOutputStreamOperator<R> {
    return this.incremental<R>('reduce', reduceSpec(fn), function_);
  }

  /** Aggregates each window incrementally; emits the aggregate's result when it fires. */
  aggregate<ACC, V>(fn: AggregateFunction<T, ACC, V>): SingleOutputStreamOperator<V>;
  /** Aggregates incrementally; the process function gets the one result when the window fires. */
  aggregate<ACC, V, R>(fn: AggregateFunction<T, ACC, V>, function_: ProcessWindowFunction<V, R, K, W>): SingleOutputStreamOperator<R>;
  aggregate<ACC, V, R>(fn: AggregateFunction<T, ACC, V>, function_?: ProcessWindowFunction<V, R, K, W>): SingleOutputStreamOperator<V> | SingleOutputStreamOperator<R> {
    return this.incremental<R>('aggregate', aggregateSpec(fn), function_);
  }

  /** Keeps every element of a window and hands them all to the function when it fires. */
  process<R>(function_: ProcessWindowFunction<T, R, K, W>): SingleOutputStreamOperator<R> {
    return this.iterable<R>(function_);
  }
}

/** The key of every record of a windowAll: one key, so one window operator instance sees all. */
const ALL_KEY = (): number => 0;

/**
 * A non-keyed stream cut into windows: `windowAll(assigner)`. As in Flink it is a keyed window
 * on one constant key, run with parallelism 1.
 */
export class AllWindowedStream<T, W extends Window> extends WindowedStreamBase<T, number, W> {
  constructor(input: DataStream<T>, windowAssigner: WindowAssigner<T, W>) {
    super(input.keyBy(ALL_KEY), windowAssigner, ALL_FUNCTIONS, 1);
  }

  reduce(fn: ReduceFunction<T>): SingleOutputStreamOperator<T>;
  reduce<R>(fn: ReduceFunction<T>, function_: ProcessAllWindowFunction<T, R, W>): SingleOutputStreamOperator<R>;
  reduce<R>(fn: ReduceFunction<T>, function_?: ProcessAllWindowFunction<T, R, W>): SingleOutputStreamOperator<T> | SingleOutputStreamOperator<R> {
    return this.incremental<R>('reduce', reduceSpec(fn), function_);
  }

  aggregate<ACC, V>(fn: AggregateFunction<T, ACC, V>): SingleOutputStreamOperator<V>;
  aggregate<ACC, V, R>(fn: AggregateFunction<T, ACC, V>, function_: ProcessAllWindowFunction<V, R, W>): SingleOutputStreamOperator<R>;
  aggregate<ACC, V, R>(fn: AggregateFunction<T, ACC, V>, function_?: ProcessAllWindowFunction<V, R, W>): SingleOutputStreamOperator<V> | SingleOutputStreamOperator<R> {
    return this.incremental<R>('aggregate', aggregateSpec(fn), function_);
  }

  process<R>(function_: ProcessAllWindowFunction<T, R, W>): SingleOutputStreamOperator<R> {
    return this.iterable<R>(function_);
  }
}
