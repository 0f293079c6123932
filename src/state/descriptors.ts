/**
 * State descriptors: a state's name, kind and, for reducing and aggregating state, its function.
 * A backend creates one state object per name and hands it out again for the same name; the name
 * is what snapshots record, so it must stay stable across job versions.
 */
import { StateDescriptorError } from './errors.js';
import type { AggregatingState, ListState, MapState, ReducingState, State, StateKind, ValueState } from './state.js';
import { StateTtlConfig, StateTtlConfigBuilder } from './ttl/config.js';

/** Combines two values into one (Flink's `ReduceFunction`), as a function or an object. */
export type StateReduceFunction<T> = ((a: T, b: T) => T) | { reduce(a: T, b: T): T };

/** Flink's `AggregateFunction`: an accumulator built from values, and a result read from it. */
export interface AggregateFunction<IN, ACC, OUT> {
  createAccumulator(): ACC;
  /** Adds `value` to `accumulator` and returns the accumulator (the same object or a new one). */
  add(value: IN, accumulator: ACC): ACC;
  getResult(accumulator: ACC): OUT;
  merge(a: ACC, b: ACC): ACC;
}

/** Names a state and its kind; `S` is the state object a backend returns for it. */
export abstract class StateDescriptor<S extends State> {
  abstract readonly kind: StateKind;
  /** Carries `S` for type inference only; never set. */
  declare readonly __state?: S;

  private ttlConfig: StateTtlConfig = StateTtlConfig.DISABLED;

  constructor(readonly name: string) {
    if (typeof name !== 'string' || name.length === 0) {
      throw new StateDescriptorError('A state descriptor needs a non-empty name.', String(name));
    }
  }

  /**
   * Gives the state a time-to-live (keyed state only). Takes effect when the state is first
   * registered with a backend; a state restored from a snapshot must keep having one, or keep
   * having none (StateRestoreError otherwise).
   */
  enableTimeToLive(ttlConfig: StateTtlConfig): void {
    const given: unknown = ttlConfig;
    if (!(given instanceof StateTtlConfig)) {
      const hint = given instanceof StateTtlConfigBuilder ? 'call .build() on the builder first' : 'build one with StateTtlConfig.newBuilder(ttlMs)...build()';
      throw new StateDescriptorError(`enableTimeToLive of state '${this.name}' needs a StateTtlConfig: ${hint}.`, this.name);
    }
    this.ttlConfig = given;
  }

  /** The time-to-live configuration; `StateTtlConfig.DISABLED` (`isEnabled()` false) unless enabled. */
  getTtlConfig(): StateTtlConfig {
    return this.ttlConfig;
  }
}

/** A {@link ValueState}; `value()` returns `defaultValue` (shared, not copied) while unset. */
export class ValueStateDescriptor<T> extends StateDescriptor<ValueState<T>> {
  override readonly kind = 'VALUE' as const;

  constructor(
    name: string,
    readonly defaultValue?: T,
  ) {
    super(name);
  }
}

/** A {@link ListState}; also describes operator list and union list state. */
export class ListStateDescriptor<T> extends StateDescriptor<ListState<T>> {
  override readonly kind = 'LIST' as const;
  declare readonly __element?: T;
}

/** A {@link MapState}; also describes broadcast state. */
export class MapStateDescriptor<K, V> extends StateDescriptor<MapState<K, V>> {
  override readonly kind = 'MAP' as const;
  declare readonly __entry?: [K, V];
}

/** A {@link ReducingState} combining added values with `reduceFunction`. */
export class ReducingStateDescriptor<T> extends StateDescriptor<ReducingState<T>> {
  override readonly kind = 'REDUCING' as const;
  /** The function in object form, so the state calls one method shape without a wrapper per call. */
  readonly reduceFunction: { reduce(a: T, b: T): T };

  constructor(name: string, reduceFunction: StateReduceFunction<T>) {
    super(name);
    if (typeof reduceFunction === 'function') this.reduceFunction = { reduce: reduceFunction };
    else if (reduceFunction !== null && typeof reduceFunction === 'object' && typeof reduceFunction.reduce === 'function') this.reduceFunction = reduceFunction;
    else throw new StateDescriptorError(`Reducing state '${name}' needs a reduce function or an object with reduce(a, b).`, name);
  }
}

/** An {@link AggregatingState} folding added values with `aggregateFunction`. */
export class AggregatingStateDescriptor<IN, ACC, OUT> extends StateDescriptor<AggregatingState<IN, OUT>> {
  override readonly kind = 'AGGREGATING' as const;

  constructor(
    name: string,
    readonly aggregateFunction: AggregateFunction<IN, ACC, OUT>,
  ) {
    super(name);
    const f: Partial<Record<keyof AggregateFunction<IN, ACC, OUT>, unknown>> | null = aggregateFunction;
    if (
      f === null ||
      typeof f !== 'object' ||
      typeof f.createAccumulator !== 'function' ||
      typeof f.add !== 'function' ||
      typeof f.getResult !== 'function' ||
      typeof f.merge !== 'function'
    ) {
      throw new StateDescriptorError(`Aggregating state '${name}' needs an aggregate function with createAccumulator, add, getResult and merge.`, name);
    }
  }
}

/** Every concrete descriptor, discriminated by `kind`. */
export type AnyStateDescriptor =
  | ValueStateDescriptor<unknown>
  | ListStateDescriptor<unknown>
  | MapStateDescriptor<unknown, unknown>
  | ReducingStateDescriptor<unknown>
  | AggregatingStateDescriptor<unknown, unknown, unknown>;
