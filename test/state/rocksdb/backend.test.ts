import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { decode, encode } from '../../../src/net/codec.js';
import {
  AggregatingStateDescriptor,
  DeferredKeyedSnapshot,
  HeapKeyedStateBackend,
  KeyGroupRange,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  RocksDBKeyedStateBackend,
  ValueStateDescriptor,
  type KeyedStateBackend,
  type KeyedStateSnapshot,
} from '../../../src/state/index.js';

const MAX_PARALLELISM = 128;
const folder = mkdtempSync(join(tmpdir(), 'runnel-rocksdb-test-'));
t.teardown(() => rmSync(folder, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 }));
let n = 0;

function rocks(range = KeyGroupRange.of(0, MAX_PARALLELISM - 1), residentKeys?: number): RocksDBKeyedStateBackend {
  const backend = new RocksDBKeyedStateBackend({ keyGroupRange: range, maxParallelism: MAX_PARALLELISM, directory: join(folder, `db-${n++}`), residentKeys });
  t.teardown(() => backend.dispose());
  return backend;
}

/** A snapshot as a state file would carry it: materialized and through CBOR. */
async function snapshotOf(backend: KeyedStateBackend): Promise<KeyedStateSnapshot> {
  const s = backend.snapshot();
  const full = s instanceof DeferredKeyedSnapshot ? await s.materialize() : s;
  return decode(encode(full)) as KeyedStateSnapshot;
}

const count = new ValueStateDescriptor<number>('count', 0);
const names = new ListStateDescriptor<string>('names');
const attrs = new MapStateDescriptor<string, number>('attrs');
const sum = new ReducingStateDescriptor<number>('sum', (a, b) => a + b);
const avg = new AggregatingStateDescriptor<number, [number, number], number>('avg', {
  createAccumulator: () => [0, 0],
  add: (v, [s, c]) => [s + v, c + 1],
  getResult: ([s, c]) => s / c,
  merge: ([s1, c1], [s2, c2]) => [s1 + s2, c1 + c2],
});

function fill(backend: KeyedStateBackend, keys: number): void {
  for (let k = 0; k < keys; k++) {
    backend.setCurrentKey(`key-${k}`);
    const c = backend.getState(count);
    c.update(c.value()! + k);
    backend.getListState(names).add(`n${k}`);
    backend.getListState(names).add(`m${k}`);
    backend.getMapState(attrs).put(`a${k % 3}`, k);
    backend.getReducingState(sum).add(k);
    backend.getReducingState(sum).add(1);
    backend.getAggregatingState(avg).add(k);
    backend.setCurrentNamespace(k % 2);
    backend.getListState(names).add(`window${k}`);
    backend.setCurrentNamespace(null);
  }
}

function check(t: Test, backend: KeyedStateBackend, keys: number): void {
  let wrong = 0;
  for (let k = 0; k < keys; k++) {
    backend.setCurrentKey(`key-${k}`);
    const ok =
      backend.getState(count).value() === k &&
      JSON.stringify(backend.getListState(names).get()) === JSON.stringify([`n${k}`, `m${k}`]) &&
      backend.getMapState(attrs).get(`a${k % 3}`) === k &&
      backend.getReducingState(sum).get() === k + 1 &&
      backend.getAggregatingState(avg).get() === k;
    backend.setCurrentNamespace(k % 2);
    const windowed = JSON.stringify(backend.getListState(names).get()) === JSON.stringify([`window${k}`]);
    backend.setCurrentNamespace(null);
    if (!ok || !windowed) wrong++;
  }
  t.equal(wrong, 0, `every one of ${keys} keys reads back its state`);
}

t.test('every kind of state, in and out of namespaces, with far more keys than stay resident', async (t) => {
  const backend = rocks(undefined, 500);
  fill(backend, 5000);
  check(t, backend, 5000);
  t.ok(backend.stats.evicted > 0, 'keys were evicted and read back');
  t.equal(backend.numKeyValueStateEntries('count'), 5000);
  t.same([...backend.keys('names', 1)].length, 2500, 'keys() finds the keys of a namespace');
});

t.test('a batch prefetch reads every missing key with one multi-get', async (t) => {
  const backend = rocks(undefined, 10_000);
  fill(backend, 1000);
  const evictor = rocks(undefined, 10);
  fill(evictor, 200);
  const before = evictor.stats.multiGets;
  const keys = Array.from({ length: 200 }, (_, k) => `key-${k}`).slice(0, 8);
  evictor.prefetch(keys);
  t.equal(evictor.stats.multiGets, before + 1);
  const singles = evictor.stats.singleReads;
  for (const key of keys) {
    evictor.setCurrentKey(key);
    evictor.getState(count).value();
  }
  t.equal(evictor.stats.singleReads, singles, 'no key of the batch is read on its own');
});

t.test('a snapshot sees the state as it was when taken, and restores into either backend, rescaled', async (t) => {
  const backend = rocks(undefined, 300);
  fill(backend, 2000);
  const snapshot = backend.snapshot();
  // Changed after the snapshot: not in it.
  backend.setCurrentKey('key-1');
  backend.getState(count).update(-1);
  backend.setCurrentKey('late');
  backend.getState(count).update(7);
  const taken = decode(encode(await (snapshot as DeferredKeyedSnapshot).materialize())) as KeyedStateSnapshot;

  const heap = new HeapKeyedStateBackend(KeyGroupRange.of(0, MAX_PARALLELISM - 1), MAX_PARALLELISM);
  heap.restore([taken]);
  check(t, heap, 2000);
  heap.setCurrentKey('late');
  t.equal(heap.getState(count).value(), 0, 'a key written after the snapshot is not in it');

  const halves = [rocks(KeyGroupRange.of(0, 63)), rocks(KeyGroupRange.of(64, 127))];
  for (const half of halves) half.restore([taken]);
  let entries = 0;
  for (const half of halves) entries += half.numKeyValueStateEntries('count');
  t.equal(entries, 2000, 'the two halves hold every key once');
  const back = rocks();
  back.restore(await Promise.all(halves.map(snapshotOf)));
  check(t, back, 2000);

  const fromHeap = rocks(undefined, 100);
  fromHeap.restore([await snapshotOf(heap)]);
  check(t, fromHeap, 2000);
});

t.test('timers fire with their key state read ahead of them', async (t) => {
  const backend = rocks(undefined, 50);
  const timers = backend.getInternalTimerService('user-timers');
  fill(backend, 500);
  for (let k = 0; k < 500; k++) {
    backend.setCurrentKey(`key-${k}`);
    timers.registerEventTimeTimer(k);
  }
  const seen: number[] = [];
  const singles = backend.stats.singleReads;
  backend.prefetchTimers('EVENT_TIME', 99);
  timers.advanceWatermark(99, (ts) => {
    seen.push(backend.getState(count).value()! - ts);
  });
  t.equal(seen.length, 100);
  t.ok(seen.every((d) => d === 0), 'each timer reads its own key');
  t.equal(backend.stats.singleReads, singles, 'the timers keys were prefetched');
});

t.test('applyToAllKeys visits every key with state, resident or not', async (t) => {
  const backend = rocks(undefined, 100);
  fill(backend, 1000);
  let visited = 0;
  backend.applyToAllKeys(count, (_key, state) => {
    state.update(state.value()! + 1);
    visited++;
  });
  t.equal(visited, 1000);
  backend.setCurrentKey('key-10');
  t.equal(backend.getState(count).value(), 11);
});
