import t, { type Test } from 'tap';
import { decode, encode } from '../../src/net/index.js';
import {
  AggregatingStateDescriptor,
  assignKeyToParallelOperator,
  computeKeyGroupRangeForOperatorIndex,
  encodedEntries,
  HeapKeyedStateBackend,
  type KeyedStateSnapshot,
  KeyGroupRange,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
  VOID_NAMESPACE,
} from '../../src/state/index.js';

const MAX_PARALLELISM = 128;

interface Avg {
  sum: number;
  count: number;
}
const descriptors = {
  value: new ValueStateDescriptor<number>('value'),
  list: new ListStateDescriptor<string>('list'),
  map: new MapStateDescriptor<unknown, number>('map'),
  sum: new ReducingStateDescriptor<number>('sum', (a, b) => a + b),
  avg: new AggregatingStateDescriptor('avg', {
    createAccumulator: (): Avg => ({ sum: 0, count: 0 }),
    add: (v: number, acc: Avg): Avg => ({ sum: acc.sum + v, count: acc.count + 1 }),
    getResult: (acc: Avg): number => acc.sum / acc.count,
    merge: (a: Avg, b: Avg): Avg => ({ sum: a.sum + b.sum, count: a.count + b.count }),
  }),
};

/** Strings, ints, large numbers, tuples and objects: every kind of key. */
const KEYS: unknown[] = [
  ...Array.from({ length: 300 }, (_, i) => `user-${i}`),
  ...Array.from({ length: 100 }, (_, i) => i * 7 - 50),
  ...Array.from({ length: 20 }, (_, i) => 2 ** 40 + i),
  ...Array.from({ length: 50 }, (_, i) => ['tuple', i]),
  ...Array.from({ length: 20 }, (_, i) => ({ id: i, region: i % 2 === 0 ? 'eu' : 'us' })),
];

function backendFor(parallelism: number, index: number): HeapKeyedStateBackend {
  return new HeapKeyedStateBackend(computeKeyGroupRangeForOperatorIndex(MAX_PARALLELISM, parallelism, index), MAX_PARALLELISM);
}

/** Every state kind, a window namespace and two timers for key number `i`. */
function write(backend: HeapKeyedStateBackend, key: unknown, i: number): void {
  backend.setCurrentKey(key);
  backend.getState(descriptors.value).update(i);
  backend.getListState(descriptors.list).addAll([`a${i}`, `b${i}`]);
  const map = backend.getMapState(descriptors.map);
  map.put(['m', i], i);
  map.put('neg', -i);
  backend.getReducingState(descriptors.sum).add(i);
  backend.getReducingState(descriptors.sum).add(1);
  backend.getAggregatingState(descriptors.avg).add(i);
  backend.getAggregatingState(descriptors.avg).add(i + 2);
  backend.setCurrentNamespace({ window: i % 3 });
  backend.getState(descriptors.value).update(i * 100);
  backend.getInternalTimerService<unknown>('timers').registerEventTimeTimer(1000 + i);
  backend.setCurrentNamespace(VOID_NAMESPACE);
  backend.getInternalTimerService('timers').registerProcessingTimeTimer(5000 + i);
}

/** What differs from what `write` stored for key number `i`. */
function mismatches(backend: HeapKeyedStateBackend, key: unknown, i: number): string[] {
  const out: string[] = [];
  const expect = (what: string, actual: unknown, expected: unknown): void => {
    if (JSON.stringify(actual) !== JSON.stringify(expected)) out.push(`${JSON.stringify(key)} ${what}: ${JSON.stringify(actual)} != ${JSON.stringify(expected)}`);
  };
  backend.setCurrentKey(key);
  expect('value', backend.getState(descriptors.value).value(), i);
  expect('list', backend.getListState(descriptors.list).get(), [`a${i}`, `b${i}`]);
  expect('map', [...backend.getMapState(descriptors.map).entries()], [
    [['m', i], i],
    ['neg', -i],
  ]);
  expect('sum', backend.getReducingState(descriptors.sum).get(), i + 1);
  expect('avg', backend.getAggregatingState(descriptors.avg).get(), i + 1);
  backend.setCurrentNamespace({ window: i % 3 });
  expect('window value', backend.getState(descriptors.value).value(), i * 100);
  backend.setCurrentNamespace(VOID_NAMESPACE);
  return out;
}

/** As a checkpoint would carry it: through the project's CBOR codec. */
function throughCbor(snapshot: KeyedStateSnapshot): KeyedStateSnapshot {
  return decode(encode(snapshot)) as KeyedStateSnapshot;
}

/** Fires all timers of each backend; returns per backend the keys fired in each domain. */
function fireAll(backends: HeapKeyedStateBackend[]): { event: unknown[]; processing: unknown[] }[] {
  return backends.map((backend) => {
    const fired = { event: [] as unknown[], processing: [] as unknown[] };
    const timers = backend.getInternalTimerService<unknown>('timers');
    timers.advanceWatermark(Number.POSITIVE_INFINITY, (_ts, key) => fired.event.push(key));
    timers.fireProcessingTimers(Number.POSITIVE_INFINITY, (_ts, key) => fired.processing.push(key));
    return fired;
  });
}

/** Restores `snapshots` into `newParallelism` backends and checks each key is in exactly its owner. */
function checkRescaled(t: Test, snapshots: KeyedStateSnapshot[], newParallelism: number, entriesBefore: number): void {
  const backends = Array.from({ length: newParallelism }, (_, i) => backendFor(newParallelism, i));
  for (const backend of backends) backend.restore(snapshots.map(throughCbor));
  const problems: string[] = [];
  KEYS.forEach((key, i) => {
    const owner = assignKeyToParallelOperator(key, MAX_PARALLELISM, newParallelism);
    problems.push(...mismatches(backends[owner]!, key, i));
  });
  t.same(problems, [], `every key's state is in its owner of ${newParallelism}`);
  const entries = backends.map((b) => b.numKeyValueStateEntries());
  t.equal(
    entries.reduce((a, b) => a + b, 0),
    entriesBefore,
    `entries split ${entries.join(' + ')}: each exactly once`,
  );
  const listedKeys = backends.flatMap((b) => [...b.keys('value')]);
  t.equal(listedKeys.length, KEYS.length, 'each key listed by exactly one backend');
  const fired = fireAll(backends);
  const eventKeys = fired.flatMap((f) => f.event);
  t.equal(eventKeys.length, KEYS.length, 'every event-time timer fires once');
  t.equal(new Set(eventKeys.map((k) => JSON.stringify(k))).size, KEYS.length);
  t.equal(fired.flatMap((f) => f.processing).length, KEYS.length, 'every processing-time timer fires once');
  fired.forEach((f, index) => {
    const strays = f.event.filter((key) => assignKeyToParallelOperator(key, MAX_PARALLELISM, newParallelism) !== index);
    t.same(strays, [], `subtask ${index} fires only its own keys' timers`);
  });
}

t.test('rescaling 1 -> 2 puts every entry and timer in exactly one new subtask', async (t) => {
  const original = backendFor(1, 0);
  KEYS.forEach((key, i) => write(original, key, i));
  const before = original.numKeyValueStateEntries();
  t.equal(before, KEYS.length * 6, 'six entries per key (five states, one windowed value)');
  checkRescaled(t, [original.snapshot()], 2, before);
});

t.test('rescaling 2 -> 1 brings both halves together', async (t) => {
  const halves = [backendFor(2, 0), backendFor(2, 1)];
  KEYS.forEach((key, i) => write(halves[assignKeyToParallelOperator(key, MAX_PARALLELISM, 2)]!, key, i));
  t.ok(halves.every((h) => h.numKeyValueStateEntries() > 0), 'both halves hold state');
  checkRescaled(t, halves.map((h) => h.snapshot()), 1, KEYS.length * 6);
});

t.test('rescaling 2 -> 3 and 3 -> 2 keep every entry exactly once', async (t) => {
  const two = [backendFor(2, 0), backendFor(2, 1)];
  KEYS.forEach((key, i) => write(two[assignKeyToParallelOperator(key, MAX_PARALLELISM, 2)]!, key, i));
  checkRescaled(t, two.map((b) => b.snapshot()), 3, KEYS.length * 6);
  const three = [0, 1, 2].map((i) => backendFor(3, i));
  KEYS.forEach((key, i) => write(three[assignKeyToParallelOperator(key, MAX_PARALLELISM, 3)]!, key, i));
  checkRescaled(t, three.map((b) => b.snapshot()), 2, KEYS.length * 6);
});

t.test('a snapshot is plain data grouped by key group', async (t) => {
  const backend = backendFor(1, 0);
  backend.setCurrentKey('hello');
  backend.getListState(descriptors.list).add('x');
  backend.getMapState(descriptors.map).put(['k', 1], 1);
  const snapshot = backend.snapshot();
  t.same(snapshot.keyGroupRange, { startKeyGroup: 0, endKeyGroup: 127 });
  t.same(
    snapshot.states.map((s) => [s.name, s.kind, s.keyGroups]),
    [
      ['list', 'LIST', [{ keyGroup: 35, entries: [['hello', null, ['x']]] }]],
      ['map', 'MAP', [{ keyGroup: 35, entries: [['hello', null, [[['k', 1], 1]]]] }]],
    ],
  );
  t.same(throughCbor(snapshot), snapshot, 'survives CBOR unchanged');
});

t.test('snapshots and restored backends share no mutable data', async (t) => {
  const backend = backendFor(1, 0);
  const list = backend.getListState(descriptors.list);
  const value = backend.getState(new ValueStateDescriptor<{ n: number }>('obj'));
  backend.setCurrentKey('k');
  list.add('before');
  const held = { n: 1 };
  value.update(held);
  const snapshot = backend.snapshot();
  list.add('after');
  // Read, then changed in place, as user functions do.
  value.value()!.n = 2;
  const listEntry = snapshot.states.find((s) => s.name === 'list')?.keyGroups[0]?.entries[0];
  t.same(listEntry?.[2], ['before'], 'a later add does not reach the snapshot');
  const objEntry = snapshot.states.find((s) => s.name === 'obj')?.keyGroups[0]?.entries[0];
  t.same(objEntry?.[2], { n: 1 }, 'a later mutation of the value does not reach the snapshot');

  const a = backendFor(1, 0);
  const b = backendFor(1, 0);
  a.restore([snapshot]);
  b.restore([snapshot]);
  a.setCurrentKey('k');
  a.getListState(descriptors.list).add('only-a');
  b.setCurrentKey('k');
  t.same(b.getListState(descriptors.list).get(), ['before'], 'two backends restored from one snapshot are independent');
  t.same(listEntry?.[2], ['before'], 'and the snapshot is untouched');
});

t.test('restored state is usable before and after its descriptor is registered, and is snapshotted again', async (t) => {
  const source = backendFor(1, 0);
  source.setCurrentKey('k');
  source.getReducingState(descriptors.sum).add(5);
  const target = backendFor(1, 0);
  target.restore([source.snapshot()]);
  t.same(target.getRegisteredStateNames(), ['sum']);
  t.same(target.snapshot().states, source.snapshot().states, 'unregistered restored state is kept');
  t.throws(() => target.getState(new ValueStateDescriptor('sum')), { name: 'StateKindMismatchError', registeredKind: 'REDUCING', requestedKind: 'VALUE' });
  target.setCurrentKey('k');
  const sum = target.getReducingState(descriptors.sum);
  sum.add(1);
  t.equal(sum.get(), 6);
});

t.test('a restored timer service is picked up when the operator first asks for it', async (t) => {
  const source = backendFor(1, 0);
  source.setCurrentKey('k');
  source.getInternalTimerService('late').registerEventTimeTimer(10);
  const target = backendFor(1, 0);
  target.restore([source.snapshot()]);
  t.same(target.snapshot().timers, source.snapshot().timers, 'kept in snapshots before it is asked for');
  const fired: number[] = [];
  target.getInternalTimerService('late').advanceWatermark(10, (ts) => fired.push(ts));
  t.same(fired, [10]);
});

t.test('restoring refuses snapshots it cannot map onto its key groups', async (t) => {
  const source = backendFor(1, 0);
  source.setCurrentKey('hello');
  source.getState(descriptors.value).update(1);
  const snapshot = source.snapshot();

  t.throws(() => new HeapKeyedStateBackend(KeyGroupRange.of(0, 255), 256).restore([snapshot]), {
    name: 'StateRestoreError',
    message: /max parallelism 128.*256/,
  });
  t.throws(() => backendFor(1, 0).restore([snapshot, snapshot]), { name: 'StateRestoreError', stateName: 'value', message: /Key group 35.*two snapshots/ });
  t.throws(() => backendFor(1, 0).restore([{ ...snapshot, version: 99 }]), { name: 'StateRestoreError', message: /version 99/ });

  const moved = JSON.parse(JSON.stringify(snapshot)) as { states: { keyGroups: { keyGroup: number }[] }[] };
  moved.states[0]!.keyGroups[0]!.keyGroup = 36;
  t.throws(() => backendFor(1, 0).restore([moved as unknown as KeyedStateSnapshot]), { name: 'StateRestoreError', message: /hashes to another/ });

  const malformed = { ...snapshot, states: 'nope' } as unknown as KeyedStateSnapshot;
  t.throws(() => backendFor(1, 0).restore([malformed]), { name: 'StateRestoreError', message: /not an array/ });
  const badKind = { ...snapshot, states: [{ name: 'x', kind: 'FOLDING', keyGroups: [] }] } as unknown as KeyedStateSnapshot;
  t.throws(() => backendFor(1, 0).restore([badKind]), { name: 'StateRestoreError', message: /unknown kind FOLDING/ });

  const other = backendFor(2, 1);
  other.restore([snapshot]);
  t.equal(other.numKeyValueStateEntries(), 0, 'key group 35 is not in [64, 127]: skipped without error');
});

t.test('a value that cannot be encoded fails the snapshot naming the state, when it is written', async (t) => {
  const backend = backendFor(1, 0);
  backend.setCurrentKey('k');
  backend.getState(new ValueStateDescriptor<unknown>('fn')).update({ callback: () => 1 });
  const snapshot = backend.snapshot();
  const group = snapshot.states[0]!.keyGroups[0]!;
  t.throws(() => encodedEntries(group), { name: 'StateSnapshotError', stateName: 'fn', message: /'fn'.*function/ });
  t.throws(() => group.entries, { name: 'StateSnapshotError' }, 'and so does reading its entries');
});

t.test('a snapshot is what the state was when it was taken, whatever the task does afterwards', async (t) => {
  const backend = backendFor(1, 0);
  KEYS.forEach((key, i) => write(backend, key, i));
  const entries = backend.numKeyValueStateEntries();
  const snapshot = backend.snapshot();
  // Every key group touched afterwards: values replaced, lists and maps changed in place,
  // entries removed, new keys, another namespace.
  KEYS.forEach((key, i) => {
    backend.setCurrentKey(key);
    backend.getState(descriptors.value).update(-1);
    backend.getListState(descriptors.list).add('later');
    backend.getMapState(descriptors.map).remove('neg');
    backend.getReducingState(descriptors.sum).clear();
    backend.getAggregatingState(descriptors.avg).add(1000);
    backend.setCurrentNamespace({ window: i % 3 });
    backend.getState(descriptors.value).clear();
    backend.setCurrentNamespace(VOID_NAMESPACE);
  });
  backend.setCurrentKey('a key written after the snapshot');
  backend.getState(descriptors.value).update(7);
  const restored = backendFor(1, 0);
  restored.restore([throughCbor(snapshot)]);
  t.same(KEYS.flatMap((key, i) => mismatches(restored, key, i)), []);
  t.equal(restored.numKeyValueStateEntries(), entries);

  const second = backend.snapshot();
  const again = backendFor(1, 0);
  again.restore([throughCbor(second)]);
  again.setCurrentKey(KEYS[3]);
  t.same(again.getListState(descriptors.list).get(), ['a3', 'b3', 'later'], 'the next snapshot sees the changes');
  again.setCurrentKey('a key written after the snapshot');
  t.equal(again.getState(descriptors.value).value(), 7);
});

t.test('state cleared before its snapshot is written fails that snapshot instead of writing it empty', async (t) => {
  const backend = backendFor(1, 0);
  KEYS.forEach((key, i) => write(backend, key, i));
  const snapshot = backend.snapshot();
  backend.dispose();
  t.throws(() => encodedEntries(snapshot.states[0]!.keyGroups[0]!), /cleared before its snapshot was written/);
});

t.test('a key group with entries captured early and many left joins into one array', async (t) => {
  // One key, so one key group; the namespaces make its entries many (a four-byte array count).
  for (const size of [1, 23, 24, 300, 70_000]) {
    const backend = backendFor(1, 0);
    const value = backend.getState(descriptors.value);
    backend.setCurrentKey('k');
    for (let ns = 0; ns < size; ns++) {
      backend.setCurrentNamespace(ns);
      value.update(ns);
    }
    const snapshot = backend.snapshot();
    for (const ns of [0, size - 1, size]) {
      backend.setCurrentNamespace(ns);
      value.update(-1);
    }
    const restored = backendFor(1, 0);
    restored.restore([throughCbor(snapshot)]);
    restored.setCurrentKey('k');
    const wrong: number[] = [];
    for (let ns = 0; ns <= size; ns++) {
      restored.setCurrentNamespace(ns);
      if (restored.getState(descriptors.value).value() !== (ns < size ? ns : undefined)) wrong.push(ns);
    }
    t.same(wrong, [], `${size} entries, the first and last captured early, one added`);
  }
});
