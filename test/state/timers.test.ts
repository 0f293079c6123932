import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tap, { type Test } from 'tap';
import {
  computeKeyGroupRangeForOperatorIndex,
  DeferredKeyedSnapshot,
  HeapKeyedStateBackend,
  type InternalTimerService,
  type KeyedStateBackend,
  type KeyedStateSnapshot,
  KeyGroupRange,
  type KeyGroupRangeData,
  MIN_WATERMARK,
  RocksDBKeyedStateBackend,
  type TimeDomain,
  ValueStateDescriptor,
  VOID_NAMESPACE,
} from '../../src/state/index.js';

interface Fired {
  timestamp: number;
  key: unknown;
  namespace: unknown;
  domain: TimeDomain;
}

const folder = mkdtempSync(join(tmpdir(), 'runnel-timers-test-'));
tap.teardown(() => rmSync(folder, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 }));
let databases = 0;

type Make = (t: Test, range?: KeyGroupRangeData) => KeyedStateBackend<string>;

/**
 * The same tests over each place timers live: the heap backend's queues, RocksDB rows (with a
 * cache of two timers per key group, so key groups read more from RocksDB all the time), and
 * the RocksDB backend with its timers on the heap.
 */
const backends: Array<[string, Make]> = [
  ['heap backend', (_t, range = KeyGroupRange.of(0, 127)) => new HeapKeyedStateBackend<string>(range, 128)],
  ['rocksdb backend, timers in RocksDB', (t, range) => rocks(t, range, 'ROCKSDB')],
  ['rocksdb backend, timers on the heap', (t, range) => rocks(t, range, 'HEAP')],
];

function rocks(t: Test, range: KeyGroupRangeData = KeyGroupRange.of(0, 127), timerService: 'ROCKSDB' | 'HEAP'): KeyedStateBackend<string> {
  const backend = new RocksDBKeyedStateBackend<string>({
    keyGroupRange: range,
    maxParallelism: 128,
    directory: join(folder, `db-${databases++}`),
    timerService,
    timerCacheSize: 2,
  });
  t.teardown(() => backend.dispose());
  return backend;
}

async function snapshotOf(backend: KeyedStateBackend<string>): Promise<KeyedStateSnapshot> {
  const s = backend.snapshot();
  return s instanceof DeferredKeyedSnapshot ? s.materialize() : s;
}

for (const [name, make] of backends) tap.test(name, async (t) => {
  function setup<N = null>(): { backend: KeyedStateBackend<string>; timers: InternalTimerService<string, N>; fired: Fired[]; record: (ts: number, key: unknown, ns: unknown, domain: TimeDomain) => void } {
    const backend = make(t);
    const timers = backend.getInternalTimerService<N>('user-timers');
    const fired: Fired[] = [];
    return { backend, timers, fired, record: (timestamp, key, namespace, domain) => fired.push({ timestamp, key, namespace, domain }) };
  }

  t.test('event-time timers fire in timestamp order when the watermark passes them, each once', async (t) => {
    const { backend, timers, fired, record } = setup();
    const plan: [string, number][] = [
      ['a', 30],
      ['b', 10],
      ['c', 20],
      ['a', 5],
      ['b', 50],
    ];
    for (const [key, ts] of plan) {
      backend.setCurrentKey(key);
      timers.registerEventTimeTimer(ts);
    }
    t.equal(timers.currentWatermark(), MIN_WATERMARK);
    t.equal(timers.nextEventTimeTimer(), 5);
    t.equal(timers.advanceWatermark(20, record), 3);
    t.same(
      fired.map((f) => [f.timestamp, f.key, f.domain]),
      [
        [5, 'a', 'EVENT_TIME'],
        [10, 'b', 'EVENT_TIME'],
        [20, 'c', 'EVENT_TIME'],
      ],
      'a timer at exactly the watermark fires',
    );
    t.equal(timers.currentWatermark(), 20);
    t.equal(timers.advanceWatermark(25, record), 0, 'nothing fires twice');
    t.equal(timers.advanceWatermark(100, record), 2);
    t.same(
      fired.slice(3).map((f) => f.timestamp),
      [30, 50],
    );
    t.equal(timers.numEventTimeTimers(), 0);
    t.equal(timers.advanceWatermark(50, record), 0);
    t.equal(timers.currentWatermark(), 100, 'the watermark never goes back');
  });

  t.test('the key and namespace of a timer are current while its callback runs', async (t) => {
    const { backend, timers } = setup<unknown>();
    const state = backend.getState(new ValueStateDescriptor<string>('v'));
    for (const key of ['x', 'y', 'z']) {
      backend.setCurrentKey(key);
      state.update(`value of ${key}`);
      backend.setCurrentNamespace({ window: key });
      timers.registerEventTimeTimer(1);
      backend.setCurrentNamespace(VOID_NAMESPACE);
    }
    backend.setCurrentKey('x');
    const seen: string[] = [];
    timers.advanceWatermark(1, (_ts, key, namespace) => {
      t.equal(backend.getCurrentKey(), key);
      t.same(backend.getCurrentNamespace(), namespace);
      t.same(namespace, { window: key });
      backend.setCurrentNamespace(VOID_NAMESPACE);
      seen.push(`${key}:${state.value() ?? ''}`);
    });
    t.same(seen, ['x:value of x', 'y:value of y', 'z:value of z'], 'state reads inside the callback see the timer key');
  });

  t.test('registering the same (key, namespace, timestamp) twice makes one timer', async (t) => {
    const { backend, timers, fired, record } = setup<string>();
    backend.setCurrentKey('a');
    timers.registerEventTimeTimer(10);
    timers.registerEventTimeTimer(10);
    backend.setCurrentKey('b');
    timers.registerEventTimeTimer(10);
    backend.setCurrentNamespace('w');
    timers.registerEventTimeTimer(10);
    timers.registerEventTimeTimer(10);
    backend.setCurrentKey('a');
    timers.registerProcessingTimeTimer(10);
    t.equal(timers.numEventTimeTimers(), 3, 'a, b and b in namespace w');
    t.equal(timers.numProcessingTimeTimers(), 1, 'the other domain is separate');
    timers.advanceWatermark(10, record);
    // Equal timestamps fire in an order of the backend's own (RocksDB: by the key's bytes).
    t.same(
      fired.map((f) => `${String(f.key)}:${String(f.namespace)}`).sort(),
      ['a:null', 'b:null', 'b:w'],
    );
  });

  t.test('deleting a timer removes only that key and namespace timer', async (t) => {
    const { backend, timers, fired, record } = setup();
    for (const key of ['a', 'b']) {
      backend.setCurrentKey(key);
      timers.registerEventTimeTimer(10);
      timers.registerEventTimeTimer(20);
      timers.registerProcessingTimeTimer(30);
    }
    backend.setCurrentKey('a');
    timers.deleteEventTimeTimer(10);
    timers.deleteEventTimeTimer(99);
    timers.deleteProcessingTimeTimer(30);
    timers.advanceWatermark(100, record);
    timers.fireProcessingTimers(100, record);
    t.same(
      fired.map((f) => `${f.domain}:${String(f.key)}@${f.timestamp}`),
      ['EVENT_TIME:b@10', 'EVENT_TIME:a@20', 'EVENT_TIME:b@20', 'PROCESSING_TIME:b@30'],
    );
  });

  t.test('random registrations and deletions fire exactly the remaining timers in order', async (t) => {
    const { backend, timers, fired, record } = setup();
    let seed = 42;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return seed % n;
    };
    const expected = new Map<string, [number, string]>();
    for (let i = 0; i < 5000; i++) {
      const key = `k${random(50)}`;
      const ts = random(1000);
      backend.setCurrentKey(key);
      if (random(4) === 0) {
        timers.deleteEventTimeTimer(ts);
        expected.delete(`${key}@${ts}`);
      } else {
        timers.registerEventTimeTimer(ts);
        expected.set(`${key}@${ts}`, [ts, key]);
      }
    }
    t.equal(timers.numEventTimeTimers(), expected.size);
    timers.advanceWatermark(499, record);
    timers.advanceWatermark(1000, record);
    const firedTimestamps = fired.map((f) => f.timestamp);
    t.same(
      firedTimestamps,
      [...firedTimestamps].sort((a, b) => a - b),
      'non-decreasing timestamps',
    );
    t.same(
      fired.map((f) => `${String(f.key)}@${f.timestamp}`).sort(),
      [...expected.keys()].sort(),
      'exactly the registered, undeleted timers',
    );
  });

  t.test('timers registered by a callback at or below the watermark fire in the same advance', async (t) => {
    const { backend, timers } = setup();
    backend.setCurrentKey('a');
    timers.registerEventTimeTimer(1);
    const fired: number[] = [];
    timers.advanceWatermark(10, (ts) => {
      fired.push(ts);
      if (ts < 5) timers.registerEventTimeTimer(ts + 2);
      if (ts === 5) timers.registerEventTimeTimer(50);
    });
    t.same(fired, [1, 3, 5]);
    t.equal(timers.nextEventTimeTimer(), 50);
  });

  t.test('processing-time timers report the next due time and fire up to now', async (t) => {
    const { backend, timers, fired } = setup();
    t.equal(timers.nextProcessingTimeTimer(), undefined);
    backend.setCurrentKey('a');
    timers.registerProcessingTimeTimer(1_000);
    backend.setCurrentKey('b');
    timers.registerProcessingTimeTimer(500);
    t.equal(timers.nextProcessingTimeTimer(), 500);
    const target = {
      onTimer(timestamp: number, key: string, namespace: null, domain: TimeDomain): void {
        fired.push({ timestamp, key, namespace, domain });
      },
    };
    t.equal(timers.fireProcessingTimers(499, target), 0);
    t.equal(timers.fireProcessingTimers(700, target), 1);
    t.same(fired, [{ timestamp: 500, key: 'b', namespace: null, domain: 'PROCESSING_TIME' }]);
    t.equal(timers.nextProcessingTimeTimer(), 1_000);
    t.equal(timers.advanceWatermark(Number.POSITIVE_INFINITY, target), 0, 'the watermark does not fire processing-time timers');
  });

  t.test('timers need a current key and a numeric timestamp', async (t) => {
    const { backend, timers } = setup();
    t.throws(() => timers.registerEventTimeTimer(1), { name: 'NoCurrentKeyError', operation: 'registerEventTimeTimer' });
    t.throws(() => timers.deleteProcessingTimeTimer(1), { name: 'NoCurrentKeyError' });
    backend.setCurrentKey('a');
    t.throws(() => timers.registerEventTimeTimer(Number.NaN), { name: 'InvalidTimestampError' });
    t.throws(() => timers.registerProcessingTimeTimer('5' as unknown as number), { name: 'InvalidTimestampError' });
  });

  t.test('timers restore into the subtask that owns their key group, and nowhere else', async (t) => {
    const source = make(t);
    const sourceTimers = source.getInternalTimerService<unknown>('window-timers');
    const keys = Array.from({ length: 100 }, (_, i) => `key-${i}`);
    keys.forEach((key, i) => {
      source.setCurrentKey(key);
      source.setCurrentNamespace(['window', i]);
      sourceTimers.registerEventTimeTimer(i);
      sourceTimers.registerProcessingTimeTimer(1000 + i);
    });
    const snapshot = await snapshotOf(source);
    t.equal(snapshot.timers.length, 1);
    const halves = [0, 1].map((i) => {
      const backend = make(t, computeKeyGroupRangeForOperatorIndex(128, 2, i));
      backend.restore([snapshot]);
      return backend;
    });
    const fired: string[] = [];
    halves.forEach((backend, index) => {
      const timers = backend.getInternalTimerService<unknown>('window-timers');
      timers.advanceWatermark(Number.POSITIVE_INFINITY, (ts, key, namespace) => {
        t.ok(backend.keyGroupRange.contains(backend.getCurrentKeyGroupIndex()), `${key} fires in its own subtask ${index}`);
        t.same(namespace, ['window', ts]);
        fired.push(`${key}@${ts}`);
      });
      timers.fireProcessingTimers(Number.POSITIVE_INFINITY, (ts, key) => fired.push(`${key}@${ts}`));
    });
    t.equal(fired.length, 200);
    t.same(fired.sort(), keys.flatMap((key, i) => [`${key}@${i}`, `${key}@${1000 + i}`]).sort(), 'each timer exactly once');
    t.same(halves.map((h) => h.getInternalTimerService('window-timers').numEventTimeTimers()), [0, 0]);
  });

  t.test('a snapshot of timers is plain data by key group, and restoring it twice collapses duplicates', async (t) => {
    const backend = make(t);
    const timers = backend.getInternalTimerService('t');
    backend.setCurrentKey('hello');
    timers.registerEventTimeTimer(7);
    const snapshot = timers.snapshot();
    t.same(snapshot, { name: 't', eventTime: [{ keyGroup: 35, timers: [[7, 'hello', null]] }], processingTime: [] });
    timers.restore(snapshot);
    t.equal(timers.numEventTimeTimers(), 1);
    t.throws(
      () => timers.restore({ name: 't', eventTime: [{ keyGroup: 36, timers: [[7, 'hello', null]] }], processingTime: [] }),
      { name: 'StateRestoreError', message: /hashes to another/ },
    );
  });
});
