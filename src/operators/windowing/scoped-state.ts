/**
 * `ProcessWindowContext.windowState()`: the keyed state store of one window. The backend's
 * state objects read whatever namespace is current, and while a window function runs that is the
 * void namespace (so runtime-context state is per key, as in Flink); these wrappers switch to the
 * window's namespace for the one call and back. Wrappers are made once per state name.
 */
import type {
  AggregatingState,
  AggregatingStateDescriptor,
  KeyedStateBackend,
  KeyedStateStore,
  ListState,
  ListStateDescriptor,
  MapState,
  MapStateDescriptor,
  ReducingState,
  ReducingStateDescriptor,
  State,
  StateDescriptor,
  StringKeyedRecord,
  ValueState,
  ValueStateDescriptor,
} from '../../state/index.js';
import { VOID_NAMESPACE } from '../../state/index.js';

export class WindowScopedStateStore implements KeyedStateStore {
  /** The namespace of the window being evaluated; set by the operator before each call. */
  namespace: unknown = VOID_NAMESPACE;
  private readonly wrappers = new Map<string, State>();

  constructor(private readonly backend: KeyedStateBackend) {}

  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T> {
    return this.wrap(descriptor, (s) => {
      const state = s as ValueState<T>;
      return {
        value: () => this.call(() => state.value()),
        update: (v: T | undefined) => this.call(() => state.update(v)),
        clear: () => this.call(() => state.clear()),
      };
    });
  }

  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T> {
    return this.wrap(descriptor, (s) => {
      const state = s as ListState<T>;
      return {
        get: () => this.call(() => state.get()),
        add: (v: T) => this.call(() => state.add(v)),
        addAll: (vs: Iterable<T>) => this.call(() => state.addAll(vs)),
        update: (vs: Iterable<T>) => this.call(() => state.update(vs)),
        clear: () => this.call(() => state.clear()),
      };
    });
  }

  getMapState<UK, UV>(descriptor: MapStateDescriptor<UK, UV>): MapState<UK, UV> {
    return this.wrap(descriptor, (s) => {
      const state = s as MapState<UK, UV>;
      return {
        get: (k: UK) => this.call(() => state.get(k)),
        put: (k: UK, v: UV) => this.call(() => state.put(k, v)),
        putAll: (entries: ReadonlyMap<UK, UV> | StringKeyedRecord<UK, UV>) => this.call(() => state.putAll(entries)),
        remove: (k: UK) => this.call(() => state.remove(k)),
        contains: (k: UK) => this.call(() => state.contains(k)),
        // Iterators read the window's map when created, so they stay on it afterwards.
        entries: () => this.call(() => state.entries()),
        keys: () => this.call(() => state.keys()),
        values: () => this.call(() => state.values()),
        isEmpty: () => this.call(() => state.isEmpty()),
        clear: () => this.call(() => state.clear()),
      };
    });
  }

  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T> {
    return this.wrap(descriptor, (s) => {
      const state = s as ReducingState<T>;
      return {
        get: () => this.call(() => state.get()),
        add: (v: T) => this.call(() => state.add(v)),
        clear: () => this.call(() => state.clear()),
      };
    });
  }

  getAggregatingState<IN, ACC, OUT>(descriptor: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT> {
    return this.wrap(descriptor, (s) => {
      const state = s as AggregatingState<IN, OUT>;
      return {
        get: () => this.call(() => state.get()),
        add: (v: IN) => this.call(() => state.add(v)),
        clear: () => this.call(() => state.clear()),
      };
    });
  }

  private wrap<S extends State>(descriptor: StateDescriptor<S>, make: (state: State) => S): S {
    const state = this.backend.getPartitionedState(descriptor);
    let wrapper = this.wrappers.get(descriptor.name);
    if (wrapper === undefined) {
      wrapper = make(state);
      this.wrappers.set(descriptor.name, wrapper);
    }
    return wrapper as S;
  }

  private call<R>(fn: () => R): R {
    const backend = this.backend;
    const previous = backend.getCurrentNamespace();
    backend.setCurrentNamespace(this.namespace);
    try {
      return fn();
    } finally {
      backend.setCurrentNamespace(previous);
    }
  }
}
