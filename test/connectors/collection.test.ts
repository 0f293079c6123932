import t from 'tap';
import { CollectionSource, type CollectionEnumState, type CollectionSplit } from '../../src/connectors/index.js';
import { SourceHarness, range, sorted } from './harness.js';

type Harness<T> = SourceHarness<T, CollectionSplit, CollectionEnumState>;

const words = range(0, 2_500).map((i) => `w${i}`);

for (const parallelism of [1, 2, 3]) {
  t.test(`every item arrives exactly once with ${parallelism} reader(s)`, async (t) => {
    const h: Harness<string> = new SourceHarness(new CollectionSource(words, { recordsPerPoll: 33 }), parallelism);
    h.addAllReaders();
    await h.runAll({ interleave: true });
    t.same(sorted(h.allOutput()), sorted(words));
    await h.close();
  });
}

t.test('with one reader the items keep their order, as one split', async (t) => {
  const h: Harness<string> = new SourceHarness(new CollectionSource(words, { recordsPerPoll: 10 }), 1);
  h.addAllReaders();
  await h.runAll();
  t.same(h.output(0), words);
  t.same(h.assignments.map((a) => a.splits), [[{ splitId: '0', start: 0, end: 2_500 }]]);
  await h.close();
});

t.test('items are taken from the source object, not from the splits, and copied at construction', async (t) => {
  const items = [{ id: 1 }, { id: 2 }, { id: 3 }];
  const source = new CollectionSource(items);
  items.push({ id: 4 });
  const h: Harness<{ id: number }> = new SourceHarness(source, 1);
  h.addAllReaders();
  await h.runAll();
  t.same(h.output(0), [{ id: 1 }, { id: 2 }, { id: 3 }]);
  t.equal(h.output(0)[0], items[0], 'the very objects, not copies that travelled');
  t.equal(source.size, 3);
});

t.test('a reader restored from a snapshot continues without loss or repeat, in order', async (t) => {
  const source = new CollectionSource(words, { recordsPerPoll: 40 });
  const first: Harness<string> = new SourceHarness(source, 1);
  first.addAllReaders();
  await first.run(0, { stopAfter: 1_000 });
  await first.settle();
  const readerState = first.snapshotReader(0, 3);
  const enumState = first.snapshotEnumerator(3);
  const beforeCheckpoint = first.output(0).slice();
  t.same(readerState, [{ splitId: '0', start: 1_000, end: 2_500 }]);
  await first.run(0, { stopAfter: 1_500 });
  await first.close();

  const second: Harness<string> = new SourceHarness(source, 1, enumState);
  second.addReader(0, readerState);
  await second.runAll();
  t.same([...beforeCheckpoint, ...second.output(0)], words);
});

t.test('two readers restored after a checkpoint continue exactly once', async (t) => {
  const source = new CollectionSource(words, { recordsPerPoll: 25 });
  const first: Harness<string> = new SourceHarness(source, 2);
  first.addAllReaders();
  await Promise.all([first.run(0, { stopAfter: 300, interleave: true }), first.run(1, { stopAfter: 500, interleave: true })]);
  await first.settle();
  const states = [first.snapshotReader(0, 1), first.snapshotReader(1, 1)];
  const enumState = first.snapshotEnumerator(1);
  const beforeCheckpoint = first.allOutput();
  await first.close();

  const second: Harness<string> = new SourceHarness(source, 2, enumState);
  second.addReader(0, states[0]);
  second.addReader(1, states[1]);
  await second.runAll({ interleave: true });
  t.same(sorted([...beforeCheckpoint, ...second.allOutput()]), sorted(words));
});

t.test('an empty collection ends every reader at once', async (t) => {
  const h: Harness<number> = new SourceHarness(new CollectionSource<number>([]), 3);
  h.addAllReaders();
  t.same(await h.runAll(), ['END_OF_INPUT', 'END_OF_INPUT', 'END_OF_INPUT']);
  t.same(h.allOutput(), []);
  t.equal(h.assignments.length, 0);
});
