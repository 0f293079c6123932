import t from 'tap';
import { ConnectorArgumentError, NumberSequenceSource, type NumberSequenceEnumState, type NumberSequenceSplit } from '../../src/connectors/index.js';
import { SourceHarness, numeric, range, sorted } from './harness.js';

type Harness = SourceHarness<number, NumberSequenceSplit, NumberSequenceEnumState>;

for (const parallelism of [1, 2, 3]) {
  t.test(`every number of the sequence arrives exactly once with ${parallelism} reader(s)`, async (t) => {
    const h: Harness = new SourceHarness(new NumberSequenceSource(-50, 9_999, { recordsPerPoll: 97 }), parallelism);
    h.addAllReaders();
    t.same(await h.runAll({ interleave: true }), Array(parallelism).fill('END_OF_INPUT'));
    t.same(sorted(h.allOutput(), numeric), range(-50, 10_000));
    if (parallelism > 1) {
      for (let i = 0; i < parallelism; i++) t.ok(h.output(i).length > 0, `reader ${i} got work`);
    }
    await h.close();
  });
}

t.test('a single reader emits the sequence in order', async (t) => {
  const h: Harness = new SourceHarness(new NumberSequenceSource(1, 5_000, { recordsPerPoll: 64 }), 1);
  h.addAllReaders();
  await h.runAll();
  t.same(h.output(0), range(1, 5_001));
  t.equal(h.assignments.length, 1, 'one split for one reader');
  await h.close();
});

t.test('the enumerator cuts the range into a few splits per reader', async (t) => {
  const h: Harness = new SourceHarness(new NumberSequenceSource(0, 99, { splitsPerReader: 3 }), 2);
  h.addAllReaders();
  await h.runAll();
  const splits = h.assignments.flatMap((a) => a.splits);
  t.equal(splits.length, 6);
  t.same(
    sorted(splits, (a, b) => a.from - b.from).map((s) => [s.from, s.to]),
    [[0, 16], [17, 33], [34, 50], [51, 67], [68, 83], [84, 99]],
  );
  await h.close();
});

t.test('a reader that starts late still gets its own split: the reader that started first takes only the leftovers', async (t) => {
  // 1..20 at parallelism 2: 8 splits (3,3,3,3,2,2,2,2 numbers); split '1' is reader 1's first.
  const h: Harness = new SourceHarness(new NumberSequenceSource(1, 20), 2);
  h.addReader(0);
  t.equal(await h.run(0), 'END_OF_INPUT', 'reader 0 reads to its end before reader 1 is deployed');
  h.addReader(1);
  t.equal(await h.run(1), 'END_OF_INPUT');
  t.same(h.output(1), [4, 5, 6], 'reader 1 reads the split kept for it');
  const given = (subtask: number) => h.assignments.filter((a) => a.subtask === subtask).flatMap((a) => a.splits.map((s) => s.splitId));
  t.same(given(0), ['0', '2', '3', '4', '5', '6', '7']);
  t.same(given(1), ['1']);
  t.same(sorted(h.allOutput(), numeric), range(1, 21), 'every number exactly once');
  await h.close();
});

t.test('a reader restored from a snapshot continues without loss or repeat', async (t) => {
  const source = new NumberSequenceSource(0, 2_999, { recordsPerPoll: 50 });
  const first: Harness = new SourceHarness(source, 1);
  first.addAllReaders();
  t.equal(await first.run(0, { stopAfter: 1_234 }), 'STOPPED');
  await first.settle();
  const readerState = first.snapshotReader(0, 1);
  const enumState = first.snapshotEnumerator(1);
  const beforeCheckpoint = first.output(0).slice();
  t.same(readerState, [{ splitId: '0', from: beforeCheckpoint.length, to: 2_999 }], 'the position is the next number');
  // Records after the checkpoint are lost with the failure; the restored reader emits them again.
  await first.run(0, { stopAfter: 2_000 });
  await first.close();

  const second: Harness = new SourceHarness(source, 1, enumState);
  second.addReader(0, readerState);
  await second.runAll();
  t.same([...beforeCheckpoint, ...second.output(0)], range(0, 3_000));
  await second.close();
});

t.test('three readers checkpointed mid-way and restored continue exactly once', async (t) => {
  const source = new NumberSequenceSource(1, 30_000, { recordsPerPoll: 100 });
  const first: Harness = new SourceHarness(source, 3);
  first.addAllReaders();
  await Promise.all([0, 1, 2].map((i) => first.run(i, { stopAfter: 2_000 + i * 1_000, interleave: true })));
  await first.settle();
  const states = [0, 1, 2].map((i) => first.snapshotReader(i, 7));
  const enumState = first.snapshotEnumerator(7);
  const beforeCheckpoint = first.allOutput();
  await first.close();

  const second: Harness = new SourceHarness(source, 3, enumState);
  for (const i of [0, 1, 2]) second.addReader(i, states[i]);
  await second.runAll({ interleave: true });
  t.same(sorted([...beforeCheckpoint, ...second.allOutput()], numeric), range(1, 30_001));
  await second.close();
});

t.test('a sequence of one number and the largest safe bounds work', async (t) => {
  const one: Harness = new SourceHarness(new NumberSequenceSource(7, 7), 3);
  one.addAllReaders();
  await one.runAll();
  t.same(one.allOutput(), [7]);
  const top = Number.MAX_SAFE_INTEGER;
  const edge: Harness = new SourceHarness(new NumberSequenceSource(top - 2, top), 2);
  edge.addAllReaders();
  await edge.runAll();
  t.same(sorted(edge.allOutput(), numeric), [top - 2, top - 1, top]);
});

t.test('bad bounds are rejected with the argument named', async (t) => {
  t.throws(() => new NumberSequenceSource(5, 4), ConnectorArgumentError);
  t.throws(() => new NumberSequenceSource(0.5, 4), /invalid from/);
  t.throws(() => new NumberSequenceSource(0, 2 ** 60), /invalid to/);
  t.throws(() => new NumberSequenceSource(-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER), /more than 2\^53/);
  t.throws(() => new NumberSequenceSource(0, 1, { recordsPerPoll: 0 }), /recordsPerPoll/);
  t.equal(new NumberSequenceSource(0, 1).getBoundedness(), 'BOUNDED');
});
