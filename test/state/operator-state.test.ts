import t from 'tap';
import { decode, encode } from '../../src/net/index.js';
import {
  ListStateDescriptor,
  MapStateDescriptor,
  OperatorStateBackend,
  type OperatorStateSnapshot,
  type OperatorStateSnapshotState,
  redistributeOperatorState,
} from '../../src/state/index.js';

const offsets = new ListStateDescriptor<number>('offsets');
const splits = new ListStateDescriptor<string>('splits');
const rules = new MapStateDescriptor<string, number>('rules');

function listSnapshot(name: string, mode: 'SPLIT_DISTRIBUTE' | 'UNION', elements: unknown[]): OperatorStateSnapshot {
  return { version: 1, states: [{ name, mode, elements }] };
}

function elementsOf(snapshot: OperatorStateSnapshot, name: string): unknown[] {
  const state = snapshot.states.find((s) => s.name === name);
  return state === undefined || state.mode === 'BROADCAST' ? [] : [...state.elements];
}

t.test('operator list, union list and broadcast state hold the subtask values', async (t) => {
  const backend = new OperatorStateBackend();
  const list = backend.getListState(offsets);
  list.add(1);
  list.addAll([2, 3]);
  t.same(list.get(), [1, 2, 3]);
  list.update([7]);
  t.same(list.get(), [7]);
  t.equal(backend.getListState(offsets), list, 'one object per name');
  const union = backend.getUnionListState(splits);
  union.add('s0');
  t.same(union.get(), ['s0']);
  union.clear();
  t.same(union.get(), []);
  t.throws(() => list.add(undefined as unknown as number), { name: 'InvalidStateValueError', stateName: 'offsets' });
  const broadcast = backend.getBroadcastState(rules);
  broadcast.put('a', 1);
  broadcast.putAll({ b: 2 });
  t.equal(broadcast.get('a'), 1);
  t.ok(broadcast.contains('b'));
  t.same([...broadcast.entries()], [
    ['a', 1],
    ['b', 2],
  ]);
  broadcast.remove('a');
  t.same([...broadcast.keys()], ['b']);
  t.same([...broadcast.values()], [2]);
  t.notOk(broadcast.isEmpty());
  t.same(backend.getRegisteredStateNames(), ['offsets', 'splits', 'rules']);
});

t.test('one name cannot be list state and union list or broadcast state at once', async (t) => {
  const backend = new OperatorStateBackend();
  backend.getListState(offsets);
  t.throws(() => backend.getUnionListState(offsets), { name: 'StateKindMismatchError', registeredKind: 'SPLIT_DISTRIBUTE', requestedKind: 'UNION' });
  t.throws(() => backend.getBroadcastState(new MapStateDescriptor('offsets')), { name: 'StateKindMismatchError', requestedKind: 'BROADCAST' });
  backend.getBroadcastState(rules);
  t.throws(() => backend.getListState(new ListStateDescriptor('rules')), { name: 'StateKindMismatchError', registeredKind: 'BROADCAST' });
});

t.test('list state is split evenly and contiguously when scaling out', async (t) => {
  const result = redistributeOperatorState([listSnapshot('offsets', 'SPLIT_DISTRIBUTE', [1, 2, 3, 4, 5])], 2);
  t.same(
    result.map((s) => elementsOf(s, 'offsets')),
    [
      [1, 2, 3],
      [4, 5],
    ],
  );
  const wide = redistributeOperatorState([listSnapshot('offsets', 'SPLIT_DISTRIBUTE', [1, 2])], 4);
  t.same(
    wide.map((s) => elementsOf(s, 'offsets')),
    [[1], [2], [], []],
    'subtasks beyond the element count get an empty list',
  );
});

t.test('list state is concatenated in subtask order when scaling in', async (t) => {
  const result = redistributeOperatorState(
    [listSnapshot('offsets', 'SPLIT_DISTRIBUTE', [1, 2]), undefined, listSnapshot('offsets', 'SPLIT_DISTRIBUTE', [3])],
    1,
  );
  t.same(elementsOf(result[0]!, 'offsets'), [1, 2, 3]);
});

t.test('at unchanged parallelism every subtask keeps its own list', async (t) => {
  const result = redistributeOperatorState(
    [listSnapshot('offsets', 'SPLIT_DISTRIBUTE', [1, 2, 3]), listSnapshot('offsets', 'SPLIT_DISTRIBUTE', [])],
    2,
  );
  t.same(
    result.map((s) => elementsOf(s, 'offsets')),
    [[1, 2, 3], []],
  );
});

t.test('every list element lands in exactly one new subtask for any change of parallelism', async (t) => {
  for (let oldParallelism = 1; oldParallelism <= 6; oldParallelism++) {
    for (let newParallelism = 1; newParallelism <= 7; newParallelism++) {
      let next = 0;
      const old = Array.from({ length: oldParallelism }, (_, i) => listSnapshot('offsets', 'SPLIT_DISTRIBUTE', Array.from({ length: i * 3 + 1 }, () => next++)));
      const result = redistributeOperatorState(old, newParallelism);
      t.equal(result.length, newParallelism);
      const all = result.flatMap((s) => elementsOf(s, 'offsets'));
      t.same(
        all,
        Array.from({ length: next }, (_, i) => i),
        `${oldParallelism} -> ${newParallelism}: each element once, order kept`,
      );
      if (oldParallelism !== newParallelism) {
        const sizes = result.map((s) => elementsOf(s, 'offsets').length);
        t.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `${oldParallelism} -> ${newParallelism}: even sizes ${sizes.join(',')}`);
      }
    }
  }
});

t.test('union list state gives every subtask the union of all lists', async (t) => {
  const result = redistributeOperatorState([listSnapshot('splits', 'UNION', ['a', 'b']), listSnapshot('splits', 'UNION', ['c'])], 3);
  t.same(
    result.map((s) => elementsOf(s, 'splits')),
    [
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
    ],
  );
  const same = redistributeOperatorState([listSnapshot('splits', 'UNION', ['a']), listSnapshot('splits', 'UNION', ['b'])], 2);
  t.same(
    same.map((s) => elementsOf(s, 'splits')),
    [
      ['a', 'b'],
      ['a', 'b'],
    ],
    'also at unchanged parallelism',
  );
});

t.test('broadcast state is copied to every new subtask', async (t) => {
  const broadcast = (entries: [string, number][]): OperatorStateSnapshot => ({ version: 1, states: [{ name: 'rules', mode: 'BROADCAST', entries }] });
  const result = redistributeOperatorState([broadcast([['a', 1]]), broadcast([['a', 1]])], 5);
  t.equal(result.length, 5);
  for (const snapshot of result) {
    t.same(snapshot.states, [{ name: 'rules', mode: 'BROADCAST', entries: [['a', 1]] }]);
  }
  const kept = redistributeOperatorState([broadcast([['x', 1]]), undefined], 2);
  t.same(
    kept.map((s) => s.states.map((st: OperatorStateSnapshotState) => st.name)),
    [['rules'], ['rules']],
    'a subtask that lacked it gets a copy',
  );
});

t.test('several states are redistributed independently by their own rule', async (t) => {
  const snapshots: OperatorStateSnapshot[] = [
    {
      version: 1,
      states: [
        { name: 'offsets', mode: 'SPLIT_DISTRIBUTE', elements: [1, 2, 3, 4] },
        { name: 'splits', mode: 'UNION', elements: ['s0'] },
      ],
    },
  ];
  const result = redistributeOperatorState(snapshots, 2);
  t.same(
    result.map((s) => [elementsOf(s, 'offsets'), elementsOf(s, 'splits')]),
    [
      [
        [1, 2],
        ['s0'],
      ],
      [
        [3, 4],
        ['s0'],
      ],
    ],
  );
  t.throws(
    () => redistributeOperatorState([listSnapshot('x', 'UNION', []), listSnapshot('x', 'SPLIT_DISTRIBUTE', [])], 1),
    { name: 'StateKindMismatchError', stateName: 'x' },
  );
  t.throws(() => redistributeOperatorState(snapshots, 0), { name: 'InvalidParallelismError' });
});

t.test('operator state snapshots through CBOR and restores per subtask after redistribution', async (t) => {
  const old = [new OperatorStateBackend(), new OperatorStateBackend()];
  old[0]!.getListState(offsets).addAll([10, 11, 12]);
  old[1]!.getListState(offsets).addAll([20]);
  old.forEach((b, i) => b.getUnionListState(splits).add(`split-${i}`));
  old.forEach((b) => b.getBroadcastState(rules).put('limit', 5));
  const snapshots = old.map((b) => decode(encode(b.snapshot())) as OperatorStateSnapshot);
  const shares = redistributeOperatorState(snapshots, 3);
  const restored = shares.map((share) => {
    const backend = new OperatorStateBackend();
    backend.restore(share);
    return backend;
  });
  t.same(
    restored.map((b) => b.getListState(offsets).get()),
    [[10, 11], [12], [20]],
  );
  for (const backend of restored) {
    t.same(backend.getUnionListState(splits).get(), ['split-0', 'split-1']);
    t.equal(backend.getBroadcastState(rules).get('limit'), 5);
  }
  restored[0]!.getListState(offsets).add(13);
  t.same(elementsOf(shares[0]!, 'offsets'), [10, 11], 'restored state does not share arrays with the snapshot');
  t.same(elementsOf(restored[0]!.snapshot(), 'offsets'), [10, 11, 13]);
  const empty = new OperatorStateBackend();
  empty.restore(undefined);
  t.same(empty.snapshot(), { version: 1, states: [] });
  t.throws(() => empty.restore({ version: 2, states: [] }), { name: 'StateRestoreError', message: /version 2/ });
});

t.test('a snapshot does not change when the live state changes afterwards', async (t) => {
  const backend = new OperatorStateBackend();
  const list = backend.getListState(new ListStateDescriptor<{ offset: number }>('objs'));
  const item = { offset: 1 };
  list.add(item);
  const snapshot = backend.snapshot();
  item.offset = 2;
  list.add({ offset: 3 });
  t.same(elementsOf(snapshot, 'objs'), [{ offset: 1 }]);
});
