/**
 * The sequence-check source: every key's events 1..N exactly once, each key's from one reader
 * and in order, positions that survive a checkpoint, and a total rate.
 */
import t from 'tap';
import {
  ConnectorArgumentError,
  KeyedSequenceSource,
  type KeyedSequenceEnumState,
  type KeyedSequenceEvent,
  type KeyedSequenceSplit,
} from '../../src/connectors/index.js';
import { ManualSourceClock, SourceHarness } from './harness.js';

type Harness = SourceHarness<KeyedSequenceEvent, KeyedSequenceSplit, KeyedSequenceEnumState>;

/** Per key, the seqs in the order one reader emitted them; fails if a key came from two readers. */
function perKey(h: Harness, parallelism: number): Map<number, number[]> {
  const seqs = new Map<number, number[]>();
  const owner = new Map<number, number>();
  for (let subtask = 0; subtask < parallelism; subtask++) {
    for (const { key, seq } of h.output(subtask)) {
      if ((owner.get(key) ?? subtask) !== subtask) throw new Error(`key ${key} came from readers ${owner.get(key)} and ${subtask}`);
      owner.set(key, subtask);
      seqs.set(key, [...(seqs.get(key) ?? []), seq]);
    }
  }
  return seqs;
}

const oneToN = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

for (const parallelism of [1, 3]) {
  t.test(`at parallelism ${parallelism}, every key gets 1..N in order from a single reader`, async (t) => {
    const h: Harness = new SourceHarness(new KeyedSequenceSource(10, 50, { recordsPerPoll: 7 }), parallelism);
    h.addAllReaders();
    await h.runAll({ interleave: true });
    const seqs = perKey(h, parallelism);
    t.same([...seqs.keys()].sort((a, b) => a - b), oneToN(10).map((k) => k - 1));
    for (const [key, list] of seqs) t.same(list, oneToN(50), `key ${key}`);
    t.same(h.coordinatorFailures, []);
    await h.close();
  });
}

t.test('a split emits its keys round-robin', async (t) => {
  const h: Harness = new SourceHarness(new KeyedSequenceSource(3, 2), 1);
  h.addAllReaders();
  await h.runAll();
  t.same(h.output(0), [
    { key: 0, seq: 1 },
    { key: 1, seq: 1 },
    { key: 2, seq: 1 },
    { key: 0, seq: 2 },
    { key: 1, seq: 2 },
    { key: 2, seq: 2 },
  ]);
});

t.test('a restore from a checkpoint continues each key where it stopped', async (t) => {
  const source = new KeyedSequenceSource(6, 40, { recordsPerPoll: 5 });
  const first: Harness = new SourceHarness(source, 2);
  first.addAllReaders();
  await Promise.all([first.run(0, { stopAfter: 37 }), first.run(1, { stopAfter: 51 })]);
  await first.settle();
  const readers = [first.snapshotReader(0, 1), first.snapshotReader(1, 1)];
  const enumState = first.snapshotEnumerator(1);
  const before = perKey(first, 2);
  await first.close();

  const second: Harness = new SourceHarness(source, 2, enumState);
  second.addReader(0, readers[0]);
  second.addReader(1, readers[1]);
  await second.runAll();
  const after = perKey(second, 2);
  for (let key = 0; key < 6; key++) {
    t.same([...(before.get(key) ?? []), ...(after.get(key) ?? [])], oneToN(40), `key ${key}: no loss, no repeat`);
  }
  await second.close();
});

t.test('the rate is the total over all readers', async (t) => {
  const clock = new ManualSourceClock();
  const h: Harness = new SourceHarness(new KeyedSequenceSource(4, 1000, { ratePerSecond: 2000, clock }), 2);
  h.addAllReaders();
  const done = h.runAll();
  await h.settle();
  const emitted = (): number => h.allOutput().length;
  const atStart = emitted();
  t.ok(atStart <= 2, `only the first event of each reader goes out at once (${atStart})`);
  for (let ms = 0; ms < 500; ms += 10) {
    clock.advance(10);
    await h.settle();
  }
  const afterHalfASecond = emitted();
  t.ok(afterHalfASecond >= 900 && afterHalfASecond <= 1100, `about 1000 events in 500 ms (${afterHalfASecond})`);
  for (let i = 0; i < 200 && emitted() < 4000; i++) {
    clock.advance(100);
    await h.settle();
  }
  await done;
  t.equal(emitted(), 4000);
  await h.close();
});

t.test('bad arguments are rejected where the source is built', async (t) => {
  t.throws(() => new KeyedSequenceSource(0, 10), ConnectorArgumentError);
  t.throws(() => new KeyedSequenceSource(3, 0), /eventsPerKey/);
  t.throws(() => new KeyedSequenceSource(1.5, 10), /keys/);
  t.throws(() => new KeyedSequenceSource(3, 10, { ratePerSecond: 0 }), /ratePerSecond/);
  t.throws(() => new KeyedSequenceSource(2 ** 30, 2 ** 30), /2\^53/);
});
