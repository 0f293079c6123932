/**
 * State time-to-live over the RocksDB backend: values expire as on the heap while keys come and
 * go from the resident cache; the compaction filter drops expired values as rows are written
 * back; snapshots are marked `ttl: true` with stamped values (and `cleanupFullSnapshot` leaves
 * expired ones out); they restore into the heap and back with their timestamps, and a TTL
 * mismatch is refused, for canonical snapshots and incremental files alike.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import {
  DeferredKeyedSnapshot,
  HeapKeyedStateBackend,
  KeyGroupRange,
  RocksDBKeyedStateBackend,
  StateTtlConfig,
  ValueStateDescriptor,
  type KeyedStateSnapshot,
  type StateTtlConfigBuilder,
} from '../../../src/state/index.js';

const MAX_PARALLELISM = 128;
const KEYS = 100;
const folder = mkdtempSync(join(tmpdir(), 'runnel-rocksdb-ttl-'));
t.teardown(() => rmSync(folder, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 }));
let n = 0;

class Clock {
  constructor(public time = 0) {}
  now(): number {
    return this.time;
  }
}

function rocks(clock: Clock, incremental = false): RocksDBKeyedStateBackend {
  const backend = new RocksDBKeyedStateBackend({
    keyGroupRange: KeyGroupRange.of(0, MAX_PARALLELISM - 1),
    maxParallelism: MAX_PARALLELISM,
    directory: join(folder, `db-${n++}`),
    residentKeys: 10,
    incremental,
    ttlTimeProvider: clock,
  });
  t.teardown(() => backend.dispose());
  return backend;
}

function described(ms: number | undefined, configure: (b: StateTtlConfigBuilder) => StateTtlConfigBuilder = (b) => b.disableCleanupInBackground()): ValueStateDescriptor<string> {
  const descriptor = new ValueStateDescriptor<string>('v');
  if (ms !== undefined) descriptor.enableTimeToLive(configure(StateTtlConfig.newBuilder(ms)).build());
  return descriptor;
}

/** Keys 0..KEYS-1 written at `at`; the even ones written again at `again`. */
function fill(backend: RocksDBKeyedStateBackend, clock: Clock, descriptor: ValueStateDescriptor<string>, at: number, again: number): void {
  clock.time = at;
  for (let k = 0; k < KEYS; k++) {
    backend.setCurrentKey(k);
    backend.getState(descriptor).update(`v${k}`);
  }
  clock.time = again;
  for (let k = 0; k < KEYS; k += 2) {
    backend.setCurrentKey(k);
    backend.getState(descriptor).update(`w${k}`);
  }
}

function live(backend: RocksDBKeyedStateBackend | HeapKeyedStateBackend, descriptor: ValueStateDescriptor<string>): number[] {
  const found: number[] = [];
  for (let k = 0; k < KEYS; k++) {
    backend.setCurrentKey(k);
    if (backend.getState(descriptor).value() !== undefined) found.push(k);
  }
  return found;
}

async function canonical(backend: RocksDBKeyedStateBackend): Promise<KeyedStateSnapshot> {
  return (backend.snapshot() as DeferredKeyedSnapshot).materialize();
}

const evens = Array.from({ length: KEYS / 2 }, (_, i) => 2 * i);

t.test('values expire over RocksDB as on the heap, with keys evicted and read again in between', async (t) => {
  const clock = new Clock();
  const backend = rocks(clock);
  const descriptor = described(100);
  fill(backend, clock, descriptor, 0, 60);
  clock.time = 120;
  t.same(live(backend, descriptor), evens, 'at 120 only the keys written again at 60 are alive');
  clock.time = 200;
  t.same(live(backend, descriptor), [], 'at 200 none');
});

t.test('the compaction filter drops expired values when rows are written back, whatever state touched the key', async (t) => {
  for (const filtered of [true, false]) {
    const clock = new Clock();
    const backend = rocks(clock);
    const descriptor = described(100, (b) => (filtered ? b.cleanupInRocksdbCompactFilter(1) : b.disableCleanupInBackground()));
    const other = new ValueStateDescriptor<number>('other');
    fill(backend, clock, descriptor, 0, 60);
    t.equal(backend.numKeyValueStateEntries('v'), KEYS, 'every value is stored');
    clock.time = 120;
    // Another state of each key changes: the key's row is written back, its TTL value not read.
    for (let k = 0; k < KEYS; k++) {
      backend.setCurrentKey(k);
      backend.getState(other).update(k);
    }
    t.equal(
      backend.numKeyValueStateEntries('v'),
      filtered ? KEYS / 2 : KEYS,
      filtered ? 'with the filter, only the values alive at 120 are written back' : 'without it, the expired ones stay until read',
    );
  }
});

t.test('snapshots are marked ttl with stamped values, restore into the heap and back, and cleanupFullSnapshot leaves the expired out', async (t) => {
  const clock = new Clock();
  const backend = rocks(clock);
  const descriptor = described(100);
  fill(backend, clock, descriptor, 0, 60);
  clock.time = 120;
  const snapshot = await canonical(backend);
  const state = snapshot.states.find((s) => s.name === 'v')!;
  t.equal(state.ttl, true, 'marked ttl');
  const entries = state.keyGroups.flatMap((g) => g.entries);
  t.equal(entries.length, KEYS, 'without cleanupFullSnapshot every value is in it');
  t.ok(entries.every(([k, , value]) => Array.isArray(value) && value[1] === (Number(k) % 2 === 0 ? 60 : 0)), 'as [value, last access] pairs');

  const heap = new HeapKeyedStateBackend(KeyGroupRange.of(0, MAX_PARALLELISM - 1), MAX_PARALLELISM, { ttlTimeProvider: clock });
  heap.getState(descriptor);
  heap.restore([snapshot]);
  t.same(live(heap, descriptor), evens, 'the heap restores them with their timestamps');

  const back = rocks(clock);
  back.getState(descriptor);
  back.restore([snapshot]);
  t.same(live(back, descriptor), evens, 'and so does RocksDB');

  const cleaning = rocks(clock);
  const cleaned = described(100, (b) => b.disableCleanupInBackground().cleanupFullSnapshot());
  fill(cleaning, clock, cleaned, 0, 60);
  clock.time = 120;
  const small = await canonical(cleaning);
  t.same(small.states[0]!.keyGroups.flatMap((g) => g.entries).map(([k]) => k).sort((a, b) => Number(a) - Number(b)), evens, 'cleanupFullSnapshot leaves the expired out');

  const plain = rocks(clock);
  plain.getState(described(undefined));
  t.throws(() => plain.restore([snapshot]), { name: 'StateRestoreError', message: /was written with a time-to-live .* registered without one/ });
});

t.test('incremental files keep the ttl flag: they restore into a TTL state, not into a plain one', async (t) => {
  const clock = new Clock();
  const backend = rocks(clock, true);
  const descriptor = described(100);
  fill(backend, clock, descriptor, 0, 60);
  const jobDir = join(folder, `job-${n++}`);
  mkdirSync(join(jobDir, 'chk-1'), { recursive: true });
  const upload = await (backend.snapshot() as DeferredKeyedSnapshot).upload!({ checkpointId: 1, checkpointDir: join(jobDir, 'chk-1'), sharedDir: join(jobDir, 'shared'), name: 'op' });
  t.same(upload.handle.states, [{ name: 'v', kind: 'VALUE', ttl: true }]);

  clock.time = 120;
  const restored = rocks(clock, true);
  restored.getState(descriptor);
  restored.restore([upload.handle]);
  t.same(live(restored, descriptor), evens, 'values expire as they would have');

  const plain = rocks(clock, true);
  plain.getState(described(undefined));
  t.throws(() => plain.restore([upload.handle]), { name: 'StateRestoreError', message: /was written with a time-to-live/ });
});
