/**
 * Timers in RocksDB (`state.backend.rocksdb.timer-service.factory: ROCKSDB`), beyond what the
 * backend-independent timer tests (test/state/timers.test.ts) check: far more timers than the
 * cache holds fire in order with their keys read in batches; timestamps keep their order as
 * row keys; savepoints carry them canonically to and from the heap; and an incremental
 * checkpoint's timer rows restore into timers on the heap, and heap timers into rows.
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
  ValueStateDescriptor,
  type KeyedStateBackend,
  type RocksDBBackendOptions,
} from '../../../src/state/index.js';

const MAX_PARALLELISM = 128;
const folder = mkdtempSync(join(tmpdir(), 'runnel-rocksdb-timers-'));
t.teardown(() => rmSync(folder, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 }));
let n = 0;

function rocks(options: Partial<RocksDBBackendOptions> = {}): RocksDBKeyedStateBackend<number> {
  const backend = new RocksDBKeyedStateBackend<number>({
    keyGroupRange: KeyGroupRange.of(0, MAX_PARALLELISM - 1),
    maxParallelism: MAX_PARALLELISM,
    directory: join(folder, `db-${n++}`),
    ...options,
  });
  t.teardown(() => backend.dispose());
  return backend;
}

const value = new ValueStateDescriptor<number>('value');

/** Keys 0..keys-1, each with value k * 10 and an event-time timer at k. */
function fill(backend: KeyedStateBackend<number>, keys: number, service = 'user-timers'): void {
  const timers = backend.getInternalTimerService<null>(service);
  for (let k = 0; k < keys; k++) {
    backend.setCurrentKey(k);
    backend.getState(value).update(k * 10);
    timers.registerEventTimeTimer(k);
  }
}

/** Fires every event-time timer of `service`; each checks that its key's value is its own. */
function fireAll(backend: KeyedStateBackend<number>, service = 'user-timers', until = Number.POSITIVE_INFINITY): { fired: number[]; wrong: number } {
  const fired: number[] = [];
  let wrong = 0;
  backend.getInternalTimerService<null>(service).advanceWatermark(until, (ts, key) => {
    fired.push(ts);
    if (key !== ts || backend.getState(value).value() !== ts * 10) wrong++;
  });
  return { fired, wrong };
}

t.test('far more timers than the cache holds fire in order, their keys read a batch at a time', async (t) => {
  const keys = 20_000;
  const backend = rocks({ timerCacheSize: 8, residentKeys: 2_000 });
  fill(backend, keys);
  const timers = backend.getInternalTimerService<null>('user-timers');
  t.equal(timers.numEventTimeTimers(), keys, 'every timer is a row');
  t.equal(timers.nextEventTimeTimer(), 0);

  const before = { ...backend.stats };
  backend.prefetchTimers('EVENT_TIME', keys / 2 - 1);
  const first = fireAll(backend, 'user-timers', keys / 2 - 1);
  t.equal(first.fired.length, keys / 2, 'the timers up to the watermark fire');
  t.same(first.fired, Array.from({ length: keys / 2 }, (_, k) => k), 'in timestamp order');
  t.equal(first.wrong, 0, 'each with its own key and value current');
  const singles = backend.stats.singleReads - before.singleReads;
  const multiGets = backend.stats.multiGets - before.multiGets;
  t.ok(singles < keys / 200, `keys were read with the timers that needed them (${singles} read alone)`);
  t.ok(multiGets < keys / 100, `in ${multiGets} multi-gets`);
  t.equal(timers.numEventTimeTimers(), keys / 2, 'the fired timers\' rows are gone');
  t.equal(timers.nextEventTimeTimer(), keys / 2);

  const rest = fireAll(backend);
  t.equal(rest.fired.length, keys / 2);
  t.equal(rest.wrong, 0);
  t.equal(timers.numEventTimeTimers(), 0);
  t.equal(timers.nextEventTimeTimer(), undefined);
});

t.test('timestamps keep their numeric order as row keys; -0 and 0 are one timer', async (t) => {
  const backend = rocks({ timerCacheSize: 2 });
  const timers = backend.getInternalTimerService<null>('user-timers');
  const stamps = [2 ** 53, -1e15, 0.25, Number.NEGATIVE_INFINITY, -1.5, 3, -0, 0, Number.POSITIVE_INFINITY, -(2 ** 60), 1e-300];
  backend.setCurrentKey(1);
  for (const ts of stamps) timers.registerEventTimeTimer(ts);
  const fired: number[] = [];
  timers.advanceWatermark(Number.POSITIVE_INFINITY, (ts) => fired.push(ts));
  t.same(fired, [Number.NEGATIVE_INFINITY, -(2 ** 60), -1e15, -1.5, 0, 1e-300, 0.25, 3, 2 ** 53, Number.POSITIVE_INFINITY]);
});

t.test('a savepoint carries timers in RocksDB to the heap backend and back', async (t) => {
  const source = rocks({ timerCacheSize: 4 });
  fill(source, 1_000, 'window-timers');
  source.setCurrentKey(7);
  source.getInternalTimerService<null>('window-timers').registerProcessingTimeTimer(5_000);
  const savepoint = await (source.snapshot() as DeferredKeyedSnapshot).materialize();
  const service = savepoint.timers.find((s) => s.name === 'window-timers');
  t.equal(service?.eventTime.reduce((sum, g) => sum + g.timers.length, 0), 1_000, 'the savepoint holds every event-time timer');
  t.same(service?.processingTime.flatMap((g) => g.timers), [[5_000, 7, null]], 'and the processing-time one');

  const heap = new HeapKeyedStateBackend<number>(KeyGroupRange.of(0, MAX_PARALLELISM - 1), MAX_PARALLELISM);
  heap.restore([savepoint]);
  t.equal(heap.getInternalTimerService('window-timers').numProcessingTimeTimers(), 1);
  const back = rocks({ timerCacheSize: 4 });
  back.restore([heap.snapshot()]);
  const { fired, wrong } = fireAll(back, 'window-timers');
  t.equal(fired.length, 1_000, 'back in RocksDB, every timer fires');
  t.equal(wrong, 0);
  t.equal(back.getInternalTimerService('window-timers').nextProcessingTimeTimer(), 5_000);
});

t.test('an incremental checkpoint\'s timer rows restore into timers on the heap, and heap timers into rows', async (t) => {
  const jobDir = join(folder, 'job');
  let checkpointId = 0;
  const upload = async (backend: KeyedStateBackend<number>) => {
    const snapshot = backend.snapshot() as DeferredKeyedSnapshot;
    const id = ++checkpointId;
    mkdirSync(join(jobDir, `chk-${id}`), { recursive: true });
    return snapshot.upload!({ checkpointId: id, checkpointDir: join(jobDir, `chk-${id}`), sharedDir: join(jobDir, 'shared'), name: 'op-0' });
  };

  const inRows = rocks({ incremental: true, timerCacheSize: 4 });
  fill(inRows, 500);
  const rowsHandle = (await upload(inRows)).handle;
  t.same(rowsHandle.timers, [], 'timers in RocksDB travel in the files');

  const onHeap = rocks({ incremental: true, timerService: 'HEAP' });
  // An operator registers its timer service before the restore.
  onHeap.getInternalTimerService('user-timers');
  onHeap.restore([rowsHandle]);
  t.equal(onHeap.getInternalTimerService('user-timers').numEventTimeTimers(), 500, 'the rows became heap timers');
  const heapHandle = (await upload(onHeap)).handle;
  t.equal(heapHandle.timers.length, 1, 'which its checkpoint carries in the canonical form');

  const halves = [KeyGroupRange.of(0, 63), KeyGroupRange.of(64, 127)].map((keyGroupRange) => rocks({ keyGroupRange, incremental: true, timerCacheSize: 4 }));
  let fired = 0;
  for (const half of halves) {
    half.restore([heapHandle]);
    const result = fireAll(half);
    t.equal(result.wrong, 0);
    fired += result.fired.length;
  }
  t.equal(fired, 500, 'the heap timers restore as rows, split between two subtasks, and fire once each');

  const rescaled = rocks({ keyGroupRange: KeyGroupRange.of(32, 95), timerCacheSize: 4 });
  rescaled.restore([rowsHandle]);
  const result = fireAll(rescaled);
  t.equal(result.wrong, 0);
  t.ok(result.fired.length > 0 && result.fired.length < 500, `a subtask over other key groups copies only its timer rows (${result.fired.length})`);
});
