import t from 'tap';
import { decode, encode } from '../../src/net/index.js';
import {
  AggregatingStateDescriptor,
  dropExpired,
  encodedEntries,
  HeapKeyedStateBackend,
  InvalidStateValueError,
  type KeyedStateEntry,
  type KeyedStateSnapshot,
  KeyGroupRange,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StateDescriptorError,
  StateRestoreError,
  StateTtlConfig,
  type StateTtlConfigBuilder,
  StateTtlConfigError,
  TtlCompactionFilter,
  ttlCompactionFilterFor,
  type TtlStateVisibility,
  type TtlUpdateType,
  ValueStateDescriptor,
} from '../../src/state/index.js';
import { StateTtlConfig as PublicStateTtlConfig } from '../../src/index.js';

/** A clock that moves only when a test sets `time`. */
class TestClock {
  reads = 0;
  constructor(public time = 0) {}
  now(): number {
    this.reads++;
    return this.time;
  }
}

function backendWith(clock: TestClock): HeapKeyedStateBackend {
  return new HeapKeyedStateBackend(KeyGroupRange.of(0, 127), 128, { ttlTimeProvider: clock });
}

/** A TTL of `ms`, configured further by `configure`; background cleanup off unless it turns it on. */
function ttl(ms: number, configure: (b: StateTtlConfigBuilder) => StateTtlConfigBuilder = (b) => b.disableCleanupInBackground()): StateTtlConfig {
  return configure(StateTtlConfig.newBuilder(ms)).build();
}

function withTtl<D extends { enableTimeToLive(config: StateTtlConfig): void }>(descriptor: D, config: StateTtlConfig): D {
  descriptor.enableTimeToLive(config);
  return descriptor;
}

function entriesOf(snapshot: KeyedStateSnapshot, name: string): KeyedStateEntry[] {
  const state = snapshot.states.find((s) => s.name === name);
  if (state === undefined) throw new Error(`no state ${name} in the snapshot`);
  return state.keyGroups.flatMap((group) => [...group.entries]);
}

function sortedByKey(entries: KeyedStateEntry[]): KeyedStateEntry[] {
  return [...entries].sort((a, b) => String(a[0]).localeCompare(String(b[0])));
}

interface Avg {
  sum: number;
  count: number;
}
const average = {
  createAccumulator: (): Avg => ({ sum: 0, count: 0 }),
  add: (v: number, acc: Avg): Avg => ({ sum: acc.sum + v, count: acc.count + 1 }),
  getResult: (acc: Avg): number => acc.sum / acc.count,
  merge: (a: Avg, b: Avg): Avg => ({ sum: a.sum + b.sum, count: a.count + b.count }),
};

t.test('the builder has Flink defaults and refuses settings that cannot work', async (t) => {
  const config = StateTtlConfig.newBuilder(60_000).build();
  t.equal(config.getTtl(), 60_000);
  t.equal(config.getUpdateType(), 'OnCreateAndWrite');
  t.equal(config.getStateVisibility(), 'NeverReturnExpired');
  t.equal(config.getTtlTimeCharacteristic(), 'ProcessingTime');
  t.ok(config.isEnabled());
  const cleanups = config.getCleanupStrategies();
  t.equal(cleanups.inFullSnapshot(), false);
  t.equal(cleanups.isCleanupInBackground(), true);
  t.equal(cleanups.getIncrementalCleanupStrategy()?.getCleanupSize(), 5, 'default incremental cleanup: 5 entries');
  t.equal(cleanups.getIncrementalCleanupStrategy()?.runCleanupForEveryRecord(), false);
  t.equal(cleanups.getRocksdbCompactFilterCleanupStrategy()?.getQueryTimeAfterNumEntries(), 1000);

  const off = StateTtlConfig.newBuilder(1).disableCleanupInBackground().build().getCleanupStrategies();
  t.equal(off.getIncrementalCleanupStrategy(), undefined, 'no default incremental cleanup once background cleanup is off');
  t.equal(off.inRocksdbCompactFilter(), false);
  const explicit = StateTtlConfig.newBuilder(1).cleanupIncrementally(7, true).cleanupInRocksdbCompactFilter(20).disableCleanupInBackground().cleanupFullSnapshot().build();
  t.equal(explicit.getCleanupStrategies().getIncrementalCleanupStrategy()?.getCleanupSize(), 7, 'an explicit strategy survives disableCleanupInBackground');
  t.equal(explicit.getCleanupStrategies().getIncrementalCleanupStrategy()?.runCleanupForEveryRecord(), true);
  t.equal(explicit.getCleanupStrategies().getRocksdbCompactFilterCleanupStrategy()?.getQueryTimeAfterNumEntries(), 20);
  t.equal(explicit.getCleanupStrategies().inFullSnapshot(), true);

  const flinkStyle = StateTtlConfig.newBuilder(10)
    .setUpdateType(StateTtlConfig.UpdateType.OnReadAndWrite)
    .setStateVisibility(StateTtlConfig.StateVisibility.ReturnExpiredIfNotCleanedUp)
    .build();
  t.equal(flinkStyle.getUpdateType(), 'OnReadAndWrite');
  t.equal(flinkStyle.getStateVisibility(), 'ReturnExpiredIfNotCleanedUp');
  t.equal(StateTtlConfig.newBuilder(10).updateTtlOnReadAndWrite().updateTtlOnCreateAndWrite().returnExpiredIfNotCleanedUp().build().getStateVisibility(), 'ReturnExpiredIfNotCleanedUp');
  t.equal(StateTtlConfig.newBuilder(10).setTtl(25).build().getTtl(), 25);
  t.equal(PublicStateTtlConfig, StateTtlConfig, "exported from 'runnel'");

  for (const bad of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
    t.throws(() => StateTtlConfig.newBuilder(bad), { name: 'StateTtlConfigError', message: /positive finite number/ }, `ttl ${bad}`);
  }
  t.throws(() => StateTtlConfig.newBuilder(5).setTtl(0), StateTtlConfigError);
  t.throws(() => StateTtlConfig.newBuilder(5).cleanupIncrementally(0, false), { message: /cleanupSize.*positive integer/ });
  t.throws(() => StateTtlConfig.newBuilder(5).cleanupIncrementally(2.5, false), { message: /positive integer/ });
  t.throws(() => StateTtlConfig.newBuilder(5).cleanupIncrementally(5, 'yes' as unknown as boolean), { message: /true or false/ });
  t.throws(() => StateTtlConfig.newBuilder(5).cleanupInRocksdbCompactFilter(0), { message: /queryTimeAfterNumEntries.*positive integer/ });
  t.throws(() => StateTtlConfig.newBuilder(5).cleanupInRocksdbCompactFilter(1.5), StateTtlConfigError);
  t.throws(() => StateTtlConfig.newBuilder(5).setUpdateType('OnRead' as TtlUpdateType), { message: /'OnCreateAndWrite' or 'OnReadAndWrite'/ });
  t.throws(() => StateTtlConfig.newBuilder(5).setStateVisibility('Sometimes' as TtlStateVisibility), { message: /'NeverReturnExpired' or 'ReturnExpiredIfNotCleanedUp'/ });
});

t.test('a descriptor has TTL disabled until enableTimeToLive, which wants a built config', async (t) => {
  const descriptor = new ValueStateDescriptor<number>('v');
  t.equal(descriptor.getTtlConfig().isEnabled(), false);
  t.equal(descriptor.getTtlConfig(), StateTtlConfig.DISABLED);
  const builder = StateTtlConfig.newBuilder(1000);
  t.throws(() => descriptor.enableTimeToLive(builder as unknown as StateTtlConfig), { name: 'StateDescriptorError', message: /call \.build\(\) on the builder/ });
  t.throws(() => descriptor.enableTimeToLive({ ttl: 5 } as unknown as StateTtlConfig), StateDescriptorError);
  const config = builder.build();
  descriptor.enableTimeToLive(config);
  t.equal(descriptor.getTtlConfig(), config);
});

t.test('states without a time-to-live stay the plain states, and the per-record path stays untouched', async (t) => {
  const backend = backendWith(new TestClock());
  backend.setCurrentKey('k');
  t.equal(backend.getState(new ValueStateDescriptor('plain')).constructor.name, 'HeapValueState');
  backend.getState(withTtl(new ValueStateDescriptor('default-cleanup'), StateTtlConfig.newBuilder(10).build()));
  t.equal(backend.setCurrentKey, HeapKeyedStateBackend.prototype.setCurrentKey, 'no per-record hook without runCleanupForEveryRecord');
  backend.getState(withTtl(new ValueStateDescriptor('per-record'), ttl(10, (b) => b.cleanupIncrementally(1, true))));
  t.not(backend.setCurrentKey, HeapKeyedStateBackend.prototype.setCurrentKey, 'the hook is installed for the state that asks for it');
});

t.test('OnCreateAndWrite: writes restart the time-to-live, reads do not; an expired value reads as the default and is removed', async (t) => {
  const clock = new TestClock(1000);
  const backend = backendWith(clock);
  const state = backend.getState(withTtl(new ValueStateDescriptor<string>('v', 'none'), ttl(100)));
  backend.setCurrentKey('a');
  state.update('x');
  clock.time = 1099;
  t.equal(state.value(), 'x', 'alive 1 ms before the end');
  clock.time = 1100;
  t.equal(state.value(), 'none', 'expired at write + ttl, the default is read');
  t.equal(backend.numKeyValueStateEntries('v'), 0, 'the read removed it');

  state.update('y');
  clock.time = 1150;
  t.equal(state.value(), 'y');
  clock.time = 1200;
  t.equal(state.value(), 'none', 'the read at 1150 did not extend it');

  state.update('z');
  clock.time = 1250;
  state.update('z2');
  clock.time = 1349;
  t.equal(state.value(), 'z2', 'the second write restarted the time-to-live');
  state.update(undefined);
  t.equal(backend.numKeyValueStateEntries('v'), 0, 'update(undefined) clears');
});

t.test('OnReadAndWrite: every read of a live value restarts its time-to-live', async (t) => {
  const clock = new TestClock();
  const backend = backendWith(clock);
  const state = backend.getState(withTtl(new ValueStateDescriptor<number>('v'), ttl(100, (b) => b.updateTtlOnReadAndWrite().disableCleanupInBackground())));
  backend.setCurrentKey('a');
  state.update(1);
  for (const at of [90, 180, 270]) {
    clock.time = at;
    t.equal(state.value(), 1, `read at ${at} finds it and extends it`);
  }
  clock.time = 370;
  t.equal(state.value(), undefined, '100 ms after the last read it is gone');
});

t.test('ReturnExpiredIfNotCleanedUp reads an expired value once, which cleans it up; NeverReturnExpired never does', async (t) => {
  const clock = new TestClock();
  const backend = backendWith(clock);
  const visible = backend.getState(withTtl(new ValueStateDescriptor<string>('visible'), ttl(10, (b) => b.returnExpiredIfNotCleanedUp().disableCleanupInBackground())));
  const hidden = backend.getState(withTtl(new ValueStateDescriptor<string>('hidden'), ttl(10)));
  backend.setCurrentKey('a');
  visible.update('old');
  hidden.update('old');
  clock.time = 50;
  t.equal(hidden.value(), undefined);
  t.equal(visible.value(), 'old', 'expired but not cleaned up yet: returned');
  t.equal(visible.value(), undefined, 'that read cleaned it up');
});

t.test('list elements expire one by one; get() returns the live ones and drops the rest', async (t) => {
  const clock = new TestClock();
  const backend = backendWith(clock);
  const list = backend.getListState(withTtl(new ListStateDescriptor<string>('l'), ttl(100)));
  backend.setCurrentKey('a');
  list.add('first');
  clock.time = 60;
  list.addAll(['second', 'third']);
  const early = list.get();
  t.same(early, ['first', 'second', 'third']);
  clock.time = 120;
  list.add('fourth');
  t.same(early, ['first', 'second', 'third'], 'get() returned a copy, not a live view');
  t.same(list.get(), ['second', 'third', 'fourth'], 'the element added at 0 expired at 100');
  clock.time = 170;
  t.same(list.get(), ['fourth']);
  clock.time = 220;
  t.same(list.get(), []);
  t.equal(backend.numKeyValueStateEntries('l'), 0, 'a list whose elements all expired is removed');
  list.update(['u1', 'u2']);
  t.same(list.get(), ['u1', 'u2']);
  t.throws(() => list.add(undefined as unknown as string), InvalidStateValueError);
  t.throws(() => list.update(['ok', undefined as unknown as string]), InvalidStateValueError);
  list.clear();
  t.same(list.get(), []);
});

t.test('list elements read with OnReadAndWrite are stamped again, one by one', async (t) => {
  const clock = new TestClock();
  const backend = backendWith(clock);
  const list = backend.getListState(withTtl(new ListStateDescriptor<string>('l'), ttl(100, (b) => b.updateTtlOnReadAndWrite().disableCleanupInBackground())));
  backend.setCurrentKey('a');
  list.add('a');
  clock.time = 90;
  list.add('b');
  t.same(list.get(), ['a', 'b'], 'read at 90: both stamped 90');
  clock.time = 180;
  t.same(list.get(), ['a', 'b'], 'both still alive at 180');
  clock.time = 280;
  t.same(list.get(), []);
});

t.test('map entries expire one by one for get, contains, iteration and isEmpty', async (t) => {
  const clock = new TestClock();
  const backend = backendWith(clock);
  const map = backend.getMapState(withTtl(new MapStateDescriptor<unknown, number>('m'), ttl(100)));
  backend.setCurrentKey('a');
  map.put('old', 1);
  map.put(['tuple', 1], 10);
  clock.time = 60;
  map.putAll(new Map<unknown, number>([['young', 2]]));
  map.put(['tuple', 1], 11);
  clock.time = 120;
  t.equal(map.get('old'), undefined);
  t.equal(map.contains('old'), false);
  t.equal(map.get('young'), 2);
  t.ok(map.contains(['tuple', 1]), 'the rewrite at 60 keeps the tuple key alive');
  t.same([...map.entries()], [
    [['tuple', 1], 11],
    ['young', 2],
  ]);
  t.same([...map.keys()], [['tuple', 1], 'young']);
  t.same([...map.values()], [11, 2]);
  t.equal(map.isEmpty(), false);
  clock.time = 160;
  t.equal(map.isEmpty(), true, 'every entry has expired');
  t.equal(backend.numKeyValueStateEntries('m'), 0, 'and the key is gone');
  const strings = backend.getMapState(withTtl(new MapStateDescriptor<string, number>('s'), ttl(100)));
  strings.putAll({ x: 1, y: 2 });
  strings.remove('x');
  t.same([...strings.entries()], [['y', 2]]);
  strings.clear();
  t.equal(strings.isEmpty(), true);
});

t.test('reducing and aggregating state expire as a whole; adding after expiry starts afresh', async (t) => {
  const clock = new TestClock();
  const backend = backendWith(clock);
  const sum = backend.getReducingState(withTtl(new ReducingStateDescriptor<number>('sum', (a, b) => a + b), ttl(100)));
  const avg = backend.getAggregatingState(withTtl(new AggregatingStateDescriptor('avg', average), ttl(100)));
  backend.setCurrentKey('a');
  sum.add(1);
  avg.add(10);
  clock.time = 50;
  sum.add(2);
  avg.add(20);
  clock.time = 140;
  t.equal(sum.get(), 3, 'the add at 50 restarted the time-to-live');
  t.equal(avg.get(), 15);
  clock.time = 150;
  t.equal(sum.get(), undefined);
  t.equal(avg.get(), undefined);
  sum.add(1);
  avg.add(4);
  clock.time = 400;
  sum.add(5);
  avg.add(8);
  t.equal(sum.get(), 5, 'the expired 1 is not part of the sum');
  t.equal(avg.get(), 8, 'the expired accumulator was replaced by a new one');
  sum.clear();
  t.equal(sum.get(), undefined);
});

t.test('with ReturnExpiredIfNotCleanedUp an add folds into the expired value still there', async (t) => {
  const clock = new TestClock();
  const backend = backendWith(clock);
  const config = ttl(100, (b) => b.returnExpiredIfNotCleanedUp().disableCleanupInBackground());
  const sum = backend.getReducingState(withTtl(new ReducingStateDescriptor<number>('sum', (a, b) => a + b), config));
  const avg = backend.getAggregatingState(withTtl(new AggregatingStateDescriptor('avg', average), config));
  backend.setCurrentKey('a');
  sum.add(1);
  avg.add(2);
  clock.time = 500;
  sum.add(5);
  avg.add(4);
  t.equal(sum.get(), 6);
  t.equal(avg.get(), 3);
});

t.test('merging namespaces keeps timestamps of list elements and drops expired reduced values', async (t) => {
  const clock = new TestClock();
  const backend = backendWith(clock);
  const list = backend.getListState(withTtl(new ListStateDescriptor<string>('l'), ttl(100)));
  const sum = backend.getReducingState(withTtl(new ReducingStateDescriptor<number>('sum', (a, b) => a + b), ttl(100)));
  const avg = backend.getAggregatingState(withTtl(new AggregatingStateDescriptor('avg', average), ttl(100)));
  backend.setCurrentKey('a');
  backend.setCurrentNamespace('w1');
  list.add('from-w1');
  sum.add(1);
  avg.add(1);
  clock.time = 150;
  backend.setCurrentNamespace('w2');
  list.add('from-w2');
  sum.add(10);
  avg.add(10);
  clock.time = 160;
  for (const state of [list, sum, avg] as const) (state as unknown as { mergeNamespaces(target: unknown, sources: readonly unknown[]): void }).mergeNamespaces('w3', ['w1', 'w2']);
  backend.setCurrentNamespace('w3');
  t.same(list.get(), ['from-w2'], 'the element from w1 had expired at 100');
  t.equal(sum.get(), 10, 'the expired 1 from w1 took no part');
  t.equal(avg.get(), 10);
  backend.setCurrentNamespace('w1');
  t.equal(sum.get(), undefined, 'sources are emptied');
});

t.test('cleanupFullSnapshot leaves expired values out of a snapshot, judged at the time it was taken', async (t) => {
  const clock = new TestClock();
  const backend = backendWith(clock);
  const full = (b: StateTtlConfigBuilder): StateTtlConfigBuilder => b.cleanupFullSnapshot().disableCleanupInBackground();
  const value = backend.getState(withTtl(new ValueStateDescriptor<string>('value'), ttl(100, full)));
  const list = backend.getListState(withTtl(new ListStateDescriptor<string>('list'), ttl(100, full)));
  const map = backend.getMapState(withTtl(new MapStateDescriptor<string, number>('map'), ttl(100, full)));
  const kept = backend.getState(withTtl(new ValueStateDescriptor<string>('kept'), ttl(100)));
  for (const key of ['k1', 'k2', 'k3']) {
    backend.setCurrentKey(key);
    value.update(`${key}@0`);
    kept.update(`${key}@0`);
    list.add(`${key}@0`);
    map.put('early', 0);
  }
  clock.time = 60;
  for (const key of ['k2', 'k3']) {
    backend.setCurrentKey(key);
    value.update(`${key}@60`);
    list.add(`${key}@60`);
    map.put('late', 60);
  }
  clock.time = 120;
  const snapshot = backend.snapshot();
  // After the snapshot: k3 is read (captured on first access) and k2 changed; time moves far on.
  backend.setCurrentKey('k3');
  t.equal(value.value(), 'k3@60');
  t.same(list.get(), ['k3@60']);
  backend.setCurrentKey('k2');
  value.update('changed');
  clock.time = 10_000;

  t.equal(snapshot.states.find((s) => s.name === 'value')?.ttl, true, 'a TTL state is marked');
  t.same(sortedByKey(entriesOf(snapshot, 'value')), [
    ['k2', null, ['k2@60', 60]],
    ['k3', null, ['k3@60', 60]],
  ]);
  t.same(sortedByKey(entriesOf(snapshot, 'list')), [
    ['k2', null, [['k2@60', 60]]],
    ['k3', null, [['k3@60', 60]]],
  ]);
  t.same(sortedByKey(entriesOf(snapshot, 'map')), [
    ['k2', null, [['late', [60, 60]]]],
    ['k3', null, [['late', [60, 60]]]],
  ]);
  t.equal(entriesOf(snapshot, 'kept').length, 3, 'without cleanupFullSnapshot expired values stay in the snapshot');
  const group = snapshot.states.find((s) => s.name === 'value')!.keyGroups;
  const encoded = group.flatMap((g) => decode(encodedEntries(g)) as KeyedStateEntry[]);
  t.same(sortedByKey(encoded), sortedByKey(entriesOf(snapshot, 'value')), 'the encoded key groups agree');
  backend.setCurrentKey('k1');
  t.equal(backend.numKeyValueStateEntries('kept'), 3, 'the running state was not cleaned by the snapshot');
});

t.test('incremental cleanup checks cleanupSize entries per state access and removes the expired', async (t) => {
  const clock = new TestClock();
  const backend = backendWith(clock);
  const state = backend.getState(withTtl(new ValueStateDescriptor<number>('v'), ttl(100, (b) => b.cleanupIncrementally(10, false))));
  for (let i = 0; i < 100; i++) {
    backend.setCurrentKey(`key-${i}`);
    state.update(i);
  }
  t.equal(backend.numKeyValueStateEntries('v'), 100, 'nothing expired: nothing removed');
  clock.time = 200;
  backend.setCurrentKey('fresh');
  state.update(-1);
  t.equal(backend.numKeyValueStateEntries('v'), 91, 'one access removed 10 expired entries (and wrote one)');
  for (let i = 0; i < 20; i++) state.value();
  t.equal(backend.numKeyValueStateEntries('v'), 1, 'repeated accesses went round all entries');
  t.equal(state.value(), -1, 'the live entry stays');
  for (let i = 0; i < 5; i++) backend.setCurrentKey(`other-${i}`);
  t.equal(backend.setCurrentKey, HeapKeyedStateBackend.prototype.setCurrentKey, 'no per-record cleanup was asked for');
});

t.test('incremental cleanup is on by default with 5 entries per access, and off with disableCleanupInBackground', async (t) => {
  const clock = new TestClock();
  const backend = backendWith(clock);
  const byDefault = backend.getState(withTtl(new ValueStateDescriptor<number>('default'), StateTtlConfig.newBuilder(100).build()));
  const disabled = backend.getState(withTtl(new ValueStateDescriptor<number>('disabled'), ttl(100)));
  for (let i = 0; i < 20; i++) {
    backend.setCurrentKey(i);
    byDefault.update(i);
    disabled.update(i);
  }
  clock.time = 500;
  backend.setCurrentKey('reader');
  byDefault.value();
  disabled.value();
  t.equal(backend.numKeyValueStateEntries('default'), 15);
  t.equal(backend.numKeyValueStateEntries('disabled'), 20);
});

t.test('runCleanupForEveryRecord cleans up as records select keys, without touching the state', async (t) => {
  const clock = new TestClock();
  const backend = backendWith(clock);
  const perRecord = backend.getListState(withTtl(new ListStateDescriptor<number>('per-record'), ttl(100, (b) => b.cleanupIncrementally(5, true))));
  const onAccess = backend.getListState(withTtl(new ListStateDescriptor<number>('on-access'), ttl(100, (b) => b.cleanupIncrementally(5, false))));
  for (let i = 0; i < 50; i++) {
    backend.setCurrentKey(i);
    perRecord.add(i);
    onAccess.add(i);
    if (i % 2 === 0) {
      clock.time = 80;
      perRecord.add(-i);
      onAccess.add(-i);
      clock.time = 0;
    }
  }
  clock.time = 150;
  for (let i = 0; i < 10; i++) backend.setCurrentKey(`record-${i}`);
  t.equal(backend.numKeyValueStateEntries('per-record'), 25, 'keys whose elements all expired are gone');
  t.equal(backend.numKeyValueStateEntries('on-access'), 50, 'the state never accessed kept everything');
  const snapshot = backend.snapshot();
  const lists = entriesOf(snapshot, 'per-record').map((entry) => entry[2] as [number, number][]);
  t.ok(
    lists.every((elements) => elements.length === 1 && elements[0]![1] === 80),
    'half-expired lists were cut down to their live element',
  );
});

t.test('incremental cleanup does not change a snapshot taken before it', async (t) => {
  const clock = new TestClock();
  const backend = backendWith(clock);
  const state = backend.getState(withTtl(new ValueStateDescriptor<number>('v'), ttl(100, (b) => b.cleanupIncrementally(100, false))));
  for (let i = 0; i < 30; i++) {
    backend.setCurrentKey(i);
    state.update(i);
  }
  clock.time = 200;
  const snapshot = backend.snapshot();
  backend.setCurrentKey('x');
  state.value();
  t.equal(backend.numKeyValueStateEntries('v'), 0, 'the cleanup removed every entry');
  t.equal(entriesOf(snapshot, 'v').length, 30, 'the snapshot still holds them all, as they were');
});

t.test('a snapshot restores with its timestamps: values expire when they would have', async (t) => {
  const clock = new TestClock();
  const original = backendWith(clock);
  const descriptors = () => ({
    value: withTtl(new ValueStateDescriptor<string>('value'), ttl(100)),
    list: withTtl(new ListStateDescriptor<string>('list'), ttl(100)),
    map: withTtl(new MapStateDescriptor<string, string>('map'), ttl(100)),
    sum: withTtl(new ReducingStateDescriptor<number>('sum', (a, b) => a + b), ttl(100)),
    avg: withTtl(new AggregatingStateDescriptor('avg', average), ttl(100)),
  });
  const d1 = descriptors();
  original.setCurrentKey('a');
  original.getState(d1.value).update('v');
  original.getListState(d1.list).add('at-0');
  original.getMapState(d1.map).put('mk', 'at-0');
  original.getReducingState(d1.sum).add(3);
  original.getAggregatingState(d1.avg).add(4);
  clock.time = 50;
  original.getListState(d1.list).add('at-50');
  original.getMapState(d1.map).put('mk2', 'at-50');
  const snapshot = decode(encode(original.snapshot())) as KeyedStateSnapshot;
  t.same(entriesOf(snapshot, 'value'), [['a', null, ['v', 0]]], 'values as [value, lastAccessTimestamp]');
  t.same(entriesOf(snapshot, 'list'), [['a', null, [['at-0', 0], ['at-50', 50]]]]);
  t.same(entriesOf(snapshot, 'map'), [['a', null, [['mk', ['at-0', 0]], ['mk2', ['at-50', 50]]]]]);
  t.same(entriesOf(snapshot, 'avg'), [['a', null, [{ sum: 4, count: 1 }, 0]]]);
  t.ok(snapshot.states.every((s) => s.ttl === true));

  const restoredClock = new TestClock(90);
  const restored = backendWith(restoredClock);
  restored.restore([snapshot]);
  const d2 = descriptors();
  restored.setCurrentKey('a');
  t.equal(restored.getState(d2.value).value(), 'v');
  t.equal(restored.getReducingState(d2.sum).get(), 3);
  t.equal(restored.getAggregatingState(d2.avg).get(), 4);
  restoredClock.time = 100;
  t.equal(restored.getState(d2.value).value(), undefined, 'written at 0, gone at 100 after the restore too');
  t.same(restored.getListState(d2.list).get(), ['at-50']);
  t.same([...restored.getMapState(d2.map).entries()], [['mk2', 'at-50']]);
  t.equal(restored.getReducingState(d2.sum).get(), undefined);
  restoredClock.time = 150;
  t.same(restored.getListState(d2.list).get(), []);
});

t.test('restoring TTL state without TTL, or the reverse, fails naming the state and the fix', async (t) => {
  const clock = new TestClock();
  const withTtlBackend = backendWith(clock);
  withTtlBackend.setCurrentKey('a');
  withTtlBackend.getState(withTtl(new ValueStateDescriptor<number>('count'), ttl(100))).update(1);
  const ttlSnapshot = withTtlBackend.snapshot();
  const plainBackend = backendWith(clock);
  plainBackend.setCurrentKey('a');
  plainBackend.getState(new ValueStateDescriptor<number>('count')).update(1);
  const plainSnapshot = plainBackend.snapshot();

  const a = backendWith(clock);
  a.restore([ttlSnapshot]);
  const e1 = t.throws(() => a.getState(new ValueStateDescriptor<number>('count')), StateRestoreError) as StateRestoreError;
  t.match(e1.message, /'count' was written with a time-to-live.*enableTimeToLive/);
  t.equal(e1.stateName, 'count');

  const b = backendWith(clock);
  b.restore([plainSnapshot]);
  t.throws(() => b.getState(withTtl(new ValueStateDescriptor<number>('count'), ttl(100))), {
    name: 'StateRestoreError',
    message: /'count' was written without a time-to-live.*remove enableTimeToLive/,
  });

  const c = backendWith(clock);
  c.getState(withTtl(new ValueStateDescriptor<number>('count'), ttl(100)));
  t.throws(() => c.restore([plainSnapshot]), { name: 'StateRestoreError', message: /without a time-to-live but is registered with one/ });

  const d = backendWith(clock);
  d.restore([ttlSnapshot]);
  t.equal(d.snapshot().states[0]?.ttl, true, 'a restored TTL state nobody asked for yet stays marked');
  const e = backendWith(clock);
  e.restore([ttlSnapshot]);
  const state = e.getState(withTtl(new ValueStateDescriptor<number>('count'), ttl(100)));
  e.setCurrentKey('a');
  t.equal(state.value(), 1, 'matching TTL restores');

  const malformed = { ...ttlSnapshot, states: [{ ...ttlSnapshot.states[0]!, keyGroups: ttlSnapshot.states[0]!.keyGroups.map((g) => ({ keyGroup: g.keyGroup, entries: [['a', null, 5]] })) }] };
  t.throws(() => backendWith(clock).restore([malformed as unknown as KeyedStateSnapshot]), { name: 'StateRestoreError', message: /not a \[value, lastAccessTimestamp\] pair/ });
});

t.test('dropExpired and the compaction filter give the RocksDB backend the stored value without what expired', async (t) => {
  const list: [string, number][] = [
    ['old', 0],
    ['new', 90],
  ];
  t.equal(dropExpired('LIST', 100, list, 50), list, 'nothing expired: the same object');
  t.same(dropExpired('LIST', 100, list, 120), [['new', 90]]);
  t.same(list, [
    ['old', 0],
    ['new', 90],
  ], 'the given value is not changed');
  t.equal(dropExpired('LIST', 100, list, 500), undefined);
  t.equal(dropExpired('VALUE', 100, ['v', 0], 99)?.toString(), 'v,0');
  t.equal(dropExpired('AGGREGATING', 100, [{}, 0], 100), undefined);
  const live = new Map([
    ['a', ['x', 0] as [string, number]],
    ['b', ['y', 90] as [string, number]],
  ]);
  t.same([...(dropExpired('MAP', 100, live, 120) as Map<string, unknown>).entries()], [['b', ['y', 90]]]);
  t.equal(live.size, 2);
  t.same(dropExpired('MAP', 100, [['a', ['x', 0]], ['b', ['y', 90]]], 120), [['b', ['y', 90]]], 'the canonical pair form works too');

  const clock = new TestClock(120);
  const filter = new TtlCompactionFilter('VALUE', 100, 3, clock);
  const results = [filter.filter(['a', 0]), filter.filter(['b', 50]), filter.filter(['c', 0])];
  t.same(results, [undefined, ['b', 50], undefined]);
  t.equal(clock.reads, 1, 'one clock read for three entries');
  filter.filter(['d', 0]);
  t.equal(clock.reads, 2);

  t.type(ttlCompactionFilterFor('MAP', StateTtlConfig.newBuilder(5).build(), clock), TtlCompactionFilter, 'on by default');
  t.equal(ttlCompactionFilterFor('MAP', ttl(5), clock), undefined, 'off with background cleanup disabled');
  t.equal(ttlCompactionFilterFor('MAP', undefined, clock), undefined);
  t.type(ttlCompactionFilterFor('MAP', ttl(5, (b) => b.cleanupInRocksdbCompactFilter(10).disableCleanupInBackground()), clock), TtlCompactionFilter);
});
