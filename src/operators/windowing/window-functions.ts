/**
 * What a window operator keeps per window and how it evaluates it. The contents are one state of
 * the keyed backend, under the window's namespace: a ReducingState for reduce, an
 * AggregatingState for aggregate, a ListState of the elements for process (and, with an evictor,
 * a ListState of [element, timestamp] pairs whatever the function). The internal window
 * functions adapt what the contents yield to the user's function (Flink's InternalWindowFunction
 * family).
 */
import type { Collector } from '../../api/functions.js';
import type { ProcessAllWindowFunction, ProcessWindowContext, ProcessWindowFunction } from '../../api/windowing/functions.js';
import type { Window } from '../../api/windowing/windows.js';
import { AggregatingStateDescriptor, ListStateDescriptor, ReducingStateDescriptor, type AggregateFunction, type AnyStateDescriptor } from '../../state/index.js';

/** The state name of window contents (Flink's). */
export const WINDOW_CONTENTS_STATE = 'window-contents';

/** How elements are combined in a window before it is evaluated. */
export type WindowContentsSpec =
  | { readonly kind: 'reduce'; readonly reduce: { reduce(a: unknown, b: unknown): unknown } }
  | { readonly kind: 'aggregate'; readonly aggregate: AggregateFunction<unknown, unknown, unknown> }
  | { readonly kind: 'list' };

/** The state descriptor of the contents (without an evictor). */
export function contentsDescriptor(spec: WindowContentsSpec): AnyStateDescriptor {
  switch (spec.kind) {
    case 'reduce':
      return new ReducingStateDescriptor<unknown>(WINDOW_CONTENTS_STATE, spec.reduce);
    case 'aggregate':
      return new AggregatingStateDescriptor<unknown, unknown, unknown>(WINDOW_CONTENTS_STATE, spec.aggregate);
    case 'list':
      return new ListStateDescriptor<unknown>(WINDOW_CONTENTS_STATE);
  }
}

/**
 * With an evictor, the elements left after eviction folded as the contents state would have: one
 * reduced value, one aggregate result, or the elements themselves.
 */
export function foldContents(spec: WindowContentsSpec, values: readonly unknown[]): unknown {
  switch (spec.kind) {
    case 'reduce': {
      let acc = values[0];
      for (let i = 1; i < values.length; i++) acc = spec.reduce.reduce(acc, values[i]);
      return acc;
    }
    case 'aggregate': {
      const f = spec.aggregate;
      let acc = f.createAccumulator();
      for (const v of values) acc = f.add(v, acc);
      return f.getResult(acc);
    }
    case 'list':
      return values;
  }
}

/** Evaluates a window's contents for the user. */
export interface InternalWindowFunction {
  /** The user functions to open and close with the operator. */
  readonly userFunctions: readonly unknown[];
  process(key: unknown, context: ProcessWindowContext<Window>, contents: unknown, out: Collector<unknown>): void;
  clear(context: ProcessWindowContext<Window>): void;
}

/** reduce(f) / aggregate(af): the pre-aggregated value is the result. */
export class PassThroughWindowFunction implements InternalWindowFunction {
  readonly userFunctions: readonly unknown[] = [];
  process(_key: unknown, _context: ProcessWindowContext<Window>, contents: unknown, out: Collector<unknown>): void {
    out.collect(contents);
  }
  clear(): void {}
}

type AnyProcessWindowFunction = ProcessWindowFunction<unknown, unknown, unknown, Window>;
type AnyProcessAllWindowFunction = ProcessAllWindowFunction<unknown, unknown, Window>;

/** process(pwf): the elements of the window. */
export class IterableProcessWindowFunction implements InternalWindowFunction {
  readonly userFunctions: readonly unknown[];
  constructor(private readonly fn: AnyProcessWindowFunction) {
    this.userFunctions = [fn];
  }
  process(key: unknown, context: ProcessWindowContext<Window>, contents: unknown, out: Collector<unknown>): void {
    this.fn.process(key, context, contents as readonly unknown[], out);
  }
  clear(context: ProcessWindowContext<Window>): void {
    this.fn.clear(context);
  }
}

/** reduce(f, pwf) / aggregate(af, pwf): the one pre-aggregated value, as a one-element iterable. */
export class SingleValueProcessWindowFunction implements InternalWindowFunction {
  readonly userFunctions: readonly unknown[];
  constructor(private readonly fn: AnyProcessWindowFunction) {
    this.userFunctions = [fn];
  }
  process(key: unknown, context: ProcessWindowContext<Window>, contents: unknown, out: Collector<unknown>): void {
    this.fn.process(key, context, [contents], out);
  }
  clear(context: ProcessWindowContext<Window>): void {
    this.fn.clear(context);
  }
}

/** The windowAll variants: the same, without the key. */
export class IterableProcessAllWindowFunction implements InternalWindowFunction {
  readonly userFunctions: readonly unknown[];
  constructor(private readonly fn: AnyProcessAllWindowFunction) {
    this.userFunctions = [fn];
  }
  process(_key: unknown, context: ProcessWindowContext<Window>, contents: unknown, out: Collector<unknown>): void {
    this.fn.process(context, contents as readonly unknown[], out);
  }
  clear(context: ProcessWindowContext<Window>): void {
    this.fn.clear(context);
  }
}

export class SingleValueProcessAllWindowFunction implements InternalWindowFunction {
  readonly userFunctions: readonly unknown[];
  constructor(private readonly fn: AnyProcessAllWindowFunction) {
    this.userFunctions = [fn];
  }
  process(_key: unknown, context: ProcessWindowContext<Window>, contents: unknown, out: Collector<unknown>): void {
    this.fn.process(context, [contents], out);
  }
  clear(context: ProcessWindowContext<Window>): void {
    this.fn.clear(context);
  }
}
