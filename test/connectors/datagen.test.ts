import t from 'tap';
import {
  ConnectorArgumentError,
  DataGeneratorSource,
  type DataGeneratorEnumState,
  type DataGeneratorSplit,
  type ReaderOutput,
} from '../../src/connectors/index.js';
import { ManualSourceClock, SourceHarness, range, sorted } from './harness.js';

type Harness<T> = SourceHarness<T, DataGeneratorSplit, DataGeneratorEnumState>;

const event = (i: number): string => `event-${i}`;
const expected = (n: number): string[] => sorted(range(0, n).map(event));

for (const parallelism of [1, 2, 3]) {
  t.test(`every generated record arrives exactly once with ${parallelism} reader(s)`, async (t) => {
    const h: Harness<string> = new SourceHarness(new DataGeneratorSource(event, 7_777, undefined, { recordsPerPoll: 100 }), parallelism);
    h.addAllReaders();
    await h.runAll({ interleave: true });
    t.same(sorted(h.allOutput()), expected(7_777));
    await h.close();
  });
}

t.test('a reader restored from a snapshot continues at the next index', async (t) => {
  const source = new DataGeneratorSource((i) => i * 2, 1_000, undefined, { recordsPerPoll: 30 });
  const first: Harness<number> = new SourceHarness(source, 1);
  first.addAllReaders();
  await first.run(0, { stopAfter: 450 });
  await first.settle();
  const readerState = first.snapshotReader(0, 1);
  const enumState = first.snapshotEnumerator(1);
  const before = first.output(0).slice();
  t.same(readerState, [{ splitId: '0', start: before.length, end: 1_000 }]);
  await first.run(0, { stopAfter: 600 });
  await first.close();

  const second: Harness<number> = new SourceHarness(source, 1, enumState);
  second.addReader(0, readerState);
  await second.runAll();
  t.same([...before, ...second.output(0)], range(0, 1_000).map((i) => i * 2));
});

t.test('rate limiting: 200 records at 1000 per second take at least 150 ms', async (t) => {
  for (const parallelism of [1, 2]) {
    const h: Harness<string> = new SourceHarness(new DataGeneratorSource(event, 200, 1_000), parallelism);
    h.addAllReaders();
    const started = performance.now();
    await h.runAll();
    const elapsed = performance.now() - started;
    t.same(sorted(h.allOutput()), expected(200));
    t.ok(elapsed >= 150, `${parallelism} reader(s) took ${elapsed.toFixed(0)} ms`);
    await h.close();
  }
});

t.test('a throttled reader emits small bursts on one timer at a time, never a timer per record', async (t) => {
  const clock = new ManualSourceClock();
  const source = new DataGeneratorSource(event, 10_000, 2_000, { clock });
  // Two readers share 2000/s: this one may emit 1000 per second.
  const reader = source.createReader({
    indexOfSubtask: 0,
    parallelism: 2,
    sendSplitRequest: () => undefined,
    sendSourceEventToCoordinator: () => undefined,
  });
  reader.addSplits([{ splitId: '0', start: 0, end: 5_000 }]);
  reader.start();
  const out: string[] = [];
  const output: ReaderOutput<string> = { collect: (r) => void out.push(r) };

  t.equal(reader.pollNext(output), 'MORE_AVAILABLE', 'the first record is not delayed');
  t.equal(out.length, 1);
  t.equal(reader.pollNext(output), 'NOTHING_AVAILABLE');
  t.equal(reader.pollNext(output), 'NOTHING_AVAILABLE');
  t.equal(clock.pendingTimers, 1, 'one timer, however often it is polled');
  let woken = false;
  void reader.isAvailable().then(() => (woken = true));
  clock.advance(10);
  await Promise.resolve();
  t.ok(woken, 'isAvailable resolves on the timer');
  t.equal(reader.pollNext(output), 'MORE_AVAILABLE');
  t.equal(out.length, 11, 'a burst of 10 ms worth');

  // Over a simulated second, about 1000 records go out, in bursts.
  const start = out.length;
  let polls = 0;
  for (let ms = 0; ms < 1_000; ms += 10) {
    clock.advance(10);
    while (reader.pollNext(output) === 'MORE_AVAILABLE') polls++;
  }
  const perSecond = out.length - start;
  t.ok(perSecond >= 990 && perSecond <= 1_010, `${perSecond} records in one second`);
  t.ok(polls <= 110, `${polls} bursts`);

  // Tokens saved while nobody polled are capped (about 100 ms worth).
  clock.advance(5_000);
  const burstStart = out.length;
  while (reader.pollNext(output) === 'MORE_AVAILABLE');
  t.ok(out.length - burstStart <= 101, `${out.length - burstStart} records after a long pause`);
  await reader.close();
  t.equal(clock.pendingTimers, 0, 'close cancels the timer');
});

t.test('an unbounded generator is CONTINUOUS_UNBOUNDED and keeps going', async (t) => {
  const source = new DataGeneratorSource((i) => i, Infinity, undefined, { recordsPerPoll: 500 });
  t.equal(source.getBoundedness(), 'CONTINUOUS_UNBOUNDED');
  const h: Harness<number> = new SourceHarness(source, 2);
  h.addAllReaders();
  t.same(await h.runAll({ stopAfter: 5_000 }), ['STOPPED', 'STOPPED']);
  const all = h.allOutput();
  t.equal(new Set(all).size, all.length, 'no repeats across readers');
  t.same(h.snapshotEnumerator(1).pendingSplits.length, 6, 'the rest of 2^53 indexes waits in splits');
  await h.close();
});

t.test('bad arguments are rejected', async (t) => {
  t.throws(() => new DataGeneratorSource(event, -1), ConnectorArgumentError);
  t.throws(() => new DataGeneratorSource(event, 1.5), /invalid count/);
  t.throws(() => new DataGeneratorSource(event, 10, 0), /invalid ratePerSecond/);
  t.throws(() => new DataGeneratorSource(event, 10, Infinity), /invalid ratePerSecond/);
  const empty: Harness<string> = new SourceHarness(new DataGeneratorSource(event, 0), 2);
  empty.addAllReaders();
  t.same(await empty.runAll(), ['END_OF_INPUT', 'END_OF_INPUT']);
});
