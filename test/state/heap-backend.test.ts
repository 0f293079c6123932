import t from 'tap';
import {
  AggregatingStateDescriptor,
  assignToKeyGroup,
  HeapKeyedStateBackend,
  KeyGroupRange,
  ListStateDescriptor,
  MapStateDescriptor,
  type MergingState,
  ReducingStateDescriptor,
  type ValueState,
  ValueStateDescriptor,
  VOID_NAMESPACE,
} from '../../src/state/index.js';

function fullBackend<K = unknown>(): HeapKeyedStateBackend<K> {
  return new HeapKeyedStateBackend<K>(KeyGroupRange.of(0, 127), 128);
}

t.test('value state keeps one value per key and two keys never see each other', async (t) => {
  const backend = fullBackend<string>();
  const count = backend.getState(new ValueStateDescriptor<number>('count'));
  backend.setCurrentKey('alice');
  t.equal(count.value(), undefined);
  count.update(1);
  backend.setCurrentKey('bob');
  t.equal(count.value(), undefined, 'bob does not see alice');
  count.update(10);
  backend.setCurrentKey('alice');
  t.equal(count.value(), 1);
  count.update((count.value() ?? 0) + 1);
  t.equal(count.value(), 2);
  backend.setCurrentKey('bob');
  t.equal(count.value(), 10);
  count.clear();
  t.equal(count.value(), undefined);
  backend.setCurrentKey('alice');
  t.equal(count.value(), 2, 'clearing bob leaves alice');
});

t.test('a value state reads its default until set, and update(undefined) clears back to it', async (t) => {
  const backend = fullBackend();
  const state = backend.getState(new ValueStateDescriptor('withDefault', 100));
  backend.setCurrentKey(1);
  t.equal(state.value(), 100);
  state.update(5);
  t.equal(state.value(), 5);
  state.update(undefined);
  t.equal(state.value(), 100);
  t.equal(backend.numKeyValueStateEntries('withDefault'), 0, 'the default is not stored');
  state.update(0);
  t.equal(state.value(), 0, 'a falsy value is a value');
});

t.test('number, string and bigint keys of equal spelling are different keys', async (t) => {
  const backend = fullBackend();
  const state = backend.getState(new ValueStateDescriptor<string>('v'));
  for (const key of [1, '1', 1n]) {
    backend.setCurrentKey(key);
    state.update(typeof key);
  }
  for (const key of [1, '1', 1n]) {
    backend.setCurrentKey(key);
    t.equal(state.value(), typeof key);
  }
});

t.test('equal composite keys reach the same state, even as different objects', async (t) => {
  const backend = fullBackend();
  const state = backend.getState(new ValueStateDescriptor<string>('v'));
  backend.setCurrentKey(['user', 7]);
  state.update('tuple');
  backend.setCurrentKey({ region: 'eu', id: 3 });
  state.update('object');
  backend.setCurrentKey(['user', 7]);
  t.equal(state.value(), 'tuple');
  backend.setCurrentKey({ id: 3, region: 'eu' });
  t.equal(state.value(), 'object');
  backend.setCurrentKey(['user', '7']);
  t.equal(state.value(), undefined);
  t.same([...backend.keys('v')].sort(), [{ region: 'eu', id: 3 }, ['user', 7]].sort());
});

t.test('state access without a current key fails clearly', async (t) => {
  const backend = fullBackend();
  const state = backend.getState(new ValueStateDescriptor<number>('v'));
  t.throws(() => state.value(), { name: 'NoCurrentKeyError', message: /State 'v'/ });
  t.throws(() => state.update(1), { name: 'NoCurrentKeyError' });
  t.throws(() => backend.getCurrentKey(), { name: 'NoCurrentKeyError' });
  t.equal(backend.getCurrentKeyGroupIndex(), -1);
});

t.test('a key outside the backend key-group range is a partitioning error naming the group', async (t) => {
  const backend = new HeapKeyedStateBackend<string>(KeyGroupRange.of(0, 63), 128);
  t.equal(assignToKeyGroup('world', 128), 66);
  t.throws(() => backend.setCurrentKey('world'), {
    name: 'KeyGroupOutOfRangeError',
    keyGroup: 66,
    startKeyGroup: 0,
    endKeyGroup: 63,
    maxParallelism: 128,
    message: /"world".*key group 66/,
  });
  backend.setCurrentKey('hello');
  t.equal(backend.getCurrentKeyGroupIndex(), 35);
  t.equal(backend.getCurrentKey(), 'hello');
  t.throws(() => new HeapKeyedStateBackend(KeyGroupRange.of(0, 200), 128), { name: 'InvalidKeyGroupRangeError' });
});

t.test('list state adds, replaces and reads as a read-only view', async (t) => {
  const backend = fullBackend();
  const list = backend.getListState(new ListStateDescriptor<number>('list'));
  backend.setCurrentKey('a');
  t.same(list.get(), []);
  list.add(1);
  list.addAll([2, 3]);
  const view = list.get();
  t.same(view, [1, 2, 3]);
  list.add(4);
  t.same(view, [1, 2, 3, 4], 'the view is live');
  backend.setCurrentKey('b');
  t.same(list.get(), [], 'another key has its own list');
  list.update([9]);
  backend.setCurrentKey('a');
  const source = [7, 8];
  list.update(source);
  source.push(99);
  t.same(list.get(), [7, 8], 'update copies its argument');
  list.update([]);
  t.same(list.get(), []);
  t.equal(backend.numKeyValueStateEntries('list'), 1, 'only b is left after update([])');
  t.throws(() => list.add(undefined as unknown as number), { name: 'InvalidStateValueError', stateName: 'list' });
  t.throws(() => list.addAll([1, undefined as unknown as number]), { name: 'InvalidStateValueError' });
  list.addAll([]);
  t.same(list.get(), [], 'adding nothing stores nothing');
  backend.setCurrentKey('b');
  list.clear();
  t.equal(backend.numKeyValueStateEntries('list'), 0);
});

t.test('map state behaves like a map per key, with composite map keys', async (t) => {
  const backend = fullBackend();
  const map = backend.getMapState(new MapStateDescriptor<unknown, string>('map'));
  backend.setCurrentKey('k1');
  t.ok(map.isEmpty());
  map.put('x', 'X');
  map.put(['t', 1], 'tuple');
  map.put(1, 'one');
  t.equal(map.get('x'), 'X');
  t.equal(map.get(['t', 1]), 'tuple', 'a new array equal to the stored key finds it');
  t.equal(map.get('1'), undefined);
  t.ok(map.contains(1));
  t.notOk(map.contains('missing'));
  t.same([...map.keys()], ['x', ['t', 1], 1]);
  t.same([...map.values()], ['X', 'tuple', 'one']);
  t.same([...map.entries()], [
    ['x', 'X'],
    [['t', 1], 'tuple'],
    [1, 'one'],
  ]);
  backend.setCurrentKey('k2');
  t.ok(map.isEmpty(), 'another key has its own map');
  map.putAll(new Map([['a', 'A']]));
  map.putAll({ b: 'B' } as never);
  t.same([...map.entries()].sort(), [
    ['a', 'A'],
    ['b', 'B'],
  ]);
  map.remove('a');
  map.remove('b');
  t.ok(map.isEmpty());
  t.same([...backend.keys('map')], ['k1'], 'a key whose map emptied has no entry left');
  backend.setCurrentKey('k1');
  map.clear();
  t.equal(backend.numKeyValueStateEntries('map'), 0);
});

t.test('a string-keyed map state accepts a record in putAll', async (t) => {
  const backend = fullBackend();
  const map = backend.getMapState(new MapStateDescriptor<string, number>('m'));
  backend.setCurrentKey(1);
  map.putAll({ a: 1, b: 2 });
  t.equal(map.get('b'), 2);
});

t.test('reducing state combines added values with a function or an object', async (t) => {
  const backend = fullBackend();
  const sum = backend.getReducingState(new ReducingStateDescriptor<number>('sum', (a, b) => a + b));
  const max = backend.getReducingState(new ReducingStateDescriptor<number>('max', { reduce: (a, b) => Math.max(a, b) }));
  backend.setCurrentKey('a');
  t.equal(sum.get(), undefined);
  for (const v of [3, 9, 4]) {
    sum.add(v);
    max.add(v);
  }
  backend.setCurrentKey('b');
  sum.add(100);
  backend.setCurrentKey('a');
  t.equal(sum.get(), 16);
  t.equal(max.get(), 9);
  sum.clear();
  t.equal(sum.get(), undefined);
  backend.setCurrentKey('b');
  t.equal(sum.get(), 100);
  t.throws(() => new ReducingStateDescriptor<number>('bad', 5 as never), { name: 'StateDescriptorError', stateName: 'bad' });
});

interface Avg {
  sum: number;
  count: number;
}
const average = {
  createAccumulator: (): Avg => ({ sum: 0, count: 0 }),
  add: (value: number, acc: Avg): Avg => ({ sum: acc.sum + value, count: acc.count + 1 }),
  getResult: (acc: Avg): number => acc.sum / acc.count,
  merge: (a: Avg, b: Avg): Avg => ({ sum: a.sum + b.sum, count: a.count + b.count }),
};

t.test('aggregating state folds values into an accumulator per key', async (t) => {
  const backend = fullBackend();
  const avg = backend.getAggregatingState(new AggregatingStateDescriptor('avg', average));
  backend.setCurrentKey('a');
  t.equal(avg.get(), undefined);
  avg.add(2);
  avg.add(4);
  backend.setCurrentKey('b');
  avg.add(10);
  backend.setCurrentKey('a');
  t.equal(avg.get(), 3);
  backend.setCurrentKey('b');
  t.equal(avg.get(), 10);
  avg.clear();
  t.equal(avg.get(), undefined);
  t.throws(() => new AggregatingStateDescriptor('bad', { createAccumulator: () => 0 } as never), { name: 'StateDescriptorError' });
});

t.test('namespaces isolate the state of one key', async (t) => {
  const backend = fullBackend();
  const value = backend.getState(new ValueStateDescriptor<string>('v'));
  const list = backend.getListState(new ListStateDescriptor<number>('l'));
  backend.setCurrentKey('k');
  value.update('void');
  backend.setCurrentNamespace({ start: 0, end: 10 });
  t.equal(value.value(), undefined, 'a window sees nothing of the void namespace');
  value.update('w0');
  list.add(1);
  backend.setCurrentNamespace({ start: 10, end: 20 });
  t.equal(value.value(), undefined);
  list.add(2);
  backend.setCurrentNamespace({ end: 10, start: 0 });
  t.equal(value.value(), 'w0', 'equal namespaces are the same namespace');
  t.same(list.get(), [1]);
  backend.setCurrentNamespace(VOID_NAMESPACE);
  t.equal(value.value(), 'void');
  t.same(list.get(), []);
  t.same([...backend.keys('l', { start: 10, end: 20 })], ['k']);
  t.same([...backend.keys('l')], [], 'no list in the void namespace');
  t.equal(backend.numKeyValueStateEntries('v'), 2);
});

t.test('list, reducing and aggregating state merge namespaces into one', async (t) => {
  const backend = fullBackend();
  const list = backend.getListState(new ListStateDescriptor<number>('l'));
  const sum = backend.getReducingState(new ReducingStateDescriptor<number>('s', (a, b) => a + b));
  const avg = backend.getAggregatingState(new AggregatingStateDescriptor('a', average));
  backend.setCurrentKey('k');
  for (const [ns, v] of [
    ['w1', 1],
    ['w2', 2],
    ['w3', 3],
  ] as const) {
    backend.setCurrentNamespace(ns);
    list.add(v);
    sum.add(v);
    avg.add(v);
  }
  for (const state of [list, sum, avg] as unknown as MergingState[]) state.mergeNamespaces('w1', ['w2', 'w3', 'absent']);
  backend.setCurrentNamespace('w1');
  t.same(list.get(), [1, 2, 3]);
  t.equal(sum.get(), 6);
  t.equal(avg.get(), 2);
  backend.setCurrentNamespace('w2');
  t.same(list.get(), [], 'sources are emptied');
  t.equal(sum.get(), undefined);
  t.equal(backend.numKeyValueStateEntries(), 3);
});

t.test('a state name is bound once: the same object again, another kind an error naming both', async (t) => {
  const backend = fullBackend();
  const first = backend.getState(new ValueStateDescriptor<number>('s'));
  t.equal(backend.getState(new ValueStateDescriptor<number>('s')), first);
  t.throws(() => backend.getListState(new ListStateDescriptor<number>('s')), {
    name: 'StateKindMismatchError',
    stateName: 's',
    registeredKind: 'VALUE',
    requestedKind: 'LIST',
    message: /VALUE.*LIST/,
  });
  t.same(backend.getRegisteredStateNames(), ['s']);
  t.throws(() => new ValueStateDescriptor(''), { name: 'StateDescriptorError' });
});

t.test('applyToAllKeys visits every key once with that key current, then restores the context', async (t) => {
  const backend = fullBackend<string>();
  const descriptor = new ValueStateDescriptor<number>('n');
  const state = backend.getState(descriptor);
  const keys = Array.from({ length: 200 }, (_, i) => `key-${i}`);
  for (const [i, key] of keys.entries()) {
    backend.setCurrentKey(key);
    state.update(i);
  }
  backend.setCurrentKey('key-5');
  backend.setCurrentNamespace('ns');
  const visited: string[] = [];
  backend.applyToAllKeys(descriptor, (key: string, s: ValueState<number>) => {
    visited.push(key);
    t.equal(backend.getCurrentKey(), key);
    if (backend.getCurrentKey() !== key) return;
    const v = s.value() ?? -1;
    if (v % 2 === 0) s.clear();
    else s.update(v * 10);
  });
  t.same(visited.sort(), [...keys].sort());
  t.equal(backend.getCurrentKey(), 'key-5', 'the current key is restored');
  t.equal(backend.getCurrentNamespace(), 'ns', 'and the namespace');
  backend.setCurrentNamespace(VOID_NAMESPACE);
  t.equal(backend.numKeyValueStateEntries('n'), 100);
  backend.setCurrentKey('key-7');
  t.equal(state.value(), 70);
  let count = 0;
  backend.applyToAllKeys('n', {
    process: () => {
      count++;
    },
  });
  t.equal(count, 100, 'by name, with an object function');
  t.throws(() => backend.applyToAllKeys('missing', () => undefined), { name: 'UnknownStateError', stateName: 'missing' });
});

t.test('keys() lists the keys of one state in one namespace', async (t) => {
  const backend = fullBackend<number>();
  const a = backend.getState(new ValueStateDescriptor<number>('a'));
  const b = backend.getState(new ValueStateDescriptor<number>('b'));
  for (let k = 0; k < 50; k++) {
    backend.setCurrentKey(k);
    a.update(k);
    if (k % 10 === 0) b.update(k);
  }
  t.same([...backend.keys('a')].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  t.same([...backend.keys('b')].sort((x, y) => x - y), [0, 10, 20, 30, 40]);
  t.throws(() => backend.keys('c'), { name: 'UnknownStateError' }, 'at the call, not at the first next()');
});

t.test('dispose drops every entry and the current key', async (t) => {
  const backend = fullBackend();
  const state = backend.getState(new ValueStateDescriptor<number>('v'));
  backend.setCurrentKey('x');
  state.update(1);
  backend.dispose();
  t.equal(backend.numKeyValueStateEntries(), 0);
  t.throws(() => state.value(), { name: 'NoCurrentKeyError' });
});
