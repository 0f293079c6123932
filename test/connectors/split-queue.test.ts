import t from 'tap';
import {
  AvailabilitySignal,
  CollectionSource,
  StaticSplitEnumerator,
  cutRange,
  type ReaderOutput,
  type SourceSplit,
  type SplitEnumeratorContext,
} from '../../src/connectors/index.js';

interface Split extends SourceSplit {
  readonly n: number;
}

function fakeContext(readers: number[]): SplitEnumeratorContext<Split> & {
  log: string[];
  async: Array<() => void>;
} {
  const log: string[] = [];
  const async: Array<() => void> = [];
  return {
    log,
    async,
    currentParallelism: () => readers.length,
    registeredReaders: () => readers,
    assignSplits: (assignment) => {
      for (const [subtask, splits] of Object.entries(assignment)) log.push(`${subtask}:${splits.map((s) => s.splitId).join(',')}`);
    },
    signalNoMoreSplits: (subtask) => void log.push(`${subtask}:none`),
    callAsync: (callable, handler) => {
      void callable().then(
        (r) => async.push(() => handler(r, undefined)),
        (e: unknown) => async.push(() => handler(undefined, e)),
      );
    },
  };
}

const split = (n: number): Split => ({ splitId: `s${n}`, n });

t.test('the enumerator hands out one split per request, then no more splits', async (t) => {
  const ctx = fakeContext([0, 1]);
  const e = new StaticSplitEnumerator(ctx, { kind: 'static', splits: [split(1), split(2)] });
  e.start();
  e.handleSplitRequest(1);
  e.handleSplitRequest(0);
  e.handleSplitRequest(1);
  e.handleSplitRequest(0);
  t.same(ctx.log, ['1:s1', '0:s2', '1:none', '0:none']);
});

t.test("with firstSplitPerReader, each reader's first split is kept for it and the others get only the rest", async (t) => {
  const ctx = fakeContext([0, 1]);
  const e = new StaticSplitEnumerator(ctx, { kind: 'static', splits: [split(1), split(2), split(3), split(4)], firstSplitPerReader: true });
  e.start();
  e.handleSplitRequest(0);
  e.handleSplitRequest(0);
  t.same(e.snapshotState(1), { pendingSplits: [split(2), split(4)], splitsDiscovered: true }, 'a kept split is pending, in order');
  e.handleSplitRequest(0);
  e.handleSplitRequest(0);
  t.equal(e.pendingSplitCount, 1);
  e.handleSplitRequest(1);
  e.handleSplitRequest(1);
  t.same(ctx.log, ['0:s1', '0:s3', '0:s4', '0:none', '1:s2', '1:none']);
});

t.test('a restored enumerator keeps no split for anyone', async (t) => {
  const ctx = fakeContext([0, 1]);
  const restored = { pendingSplits: [split(2), split(4)], splitsDiscovered: true };
  const e = new StaticSplitEnumerator(ctx, { kind: 'static', splits: [], firstSplitPerReader: true }, restored);
  e.handleSplitRequest(0);
  e.handleSplitRequest(0);
  e.handleSplitRequest(1);
  t.same(ctx.log, ['0:s2', '0:s4', '1:none']);
});

t.test('splits given back go to the front of the queue', async (t) => {
  const ctx = fakeContext([0]);
  const e = new StaticSplitEnumerator(ctx, { kind: 'static', splits: [split(1), split(2), split(3)] });
  e.start();
  e.handleSplitRequest(0);
  e.addSplitsBack([split(1)], 0);
  t.same(e.snapshotState(1), { pendingSplits: [split(1), split(2), split(3)], splitsDiscovered: true });
});

t.test('a request from a reader that is not registered is ignored', async (t) => {
  const ctx = fakeContext([0]);
  const e = new StaticSplitEnumerator(ctx, { kind: 'static', splits: [split(1)] });
  e.start();
  e.handleSplitRequest(4);
  t.same(ctx.log, []);
  t.equal(e.pendingSplitCount, 1);
});

t.test('requests made before asynchronous discovery finishes are answered when it does', async (t) => {
  const ctx = fakeContext([0, 1]);
  let release!: (splits: Split[]) => void;
  const discovered = new Promise<Split[]>((r) => (release = r));
  const e = new StaticSplitEnumerator(ctx, { kind: 'async', discover: () => discovered });
  e.start();
  e.handleSplitRequest(1);
  e.handleSplitRequest(1);
  e.handleSplitRequest(0);
  t.same(ctx.log, []);
  t.same(e.snapshotState(1), { pendingSplits: [], splitsDiscovered: false }, 'a checkpoint now would discover again');
  release([split(7)]);
  await discovered;
  await new Promise<void>((r) => setImmediate(r));
  for (const deliver of ctx.async.splice(0)) deliver();
  t.same(ctx.log, ['1:s7', '0:none'], 'each parked reader is answered once, in order');
});

t.test('a failed discovery fails the coordinator through callAsync', async (t) => {
  const ctx = fakeContext([0]);
  const e = new StaticSplitEnumerator<Split>(ctx, { kind: 'async', discover: () => Promise.reject(new Error('no such folder')) });
  e.start();
  await new Promise<void>((r) => setImmediate(r));
  t.throws(() => ctx.async[0]?.(), /no such folder/);
});

t.test('cutRange covers the range with near-equal, non-empty, ordered pieces', async (t) => {
  t.same(cutRange(0, 10, 3), [
    { start: 0, end: 4 },
    { start: 4, end: 7 },
    { start: 7, end: 10 },
  ]);
  t.same(cutRange(5, 7, 8), [
    { start: 5, end: 6 },
    { start: 6, end: 7 },
  ]);
  t.same(cutRange(3, 3, 4), []);
  const huge = cutRange(0, 2 ** 53, 12);
  t.equal(huge.length, 12);
  t.equal(huge[11]?.end, 2 ** 53);
  t.ok(huge.every((r, i) => i === 0 || r.start === huge[i - 1]?.end));
});

t.test('an availability notification that comes before the runtime asks is not lost', async (t) => {
  const signal = new AvailabilitySignal();
  signal.markUnavailable();
  signal.notifyAvailable();
  let resolved = false;
  await signal.future().then(() => (resolved = true));
  t.ok(resolved);
  signal.markUnavailable();
  const waiting = signal.future();
  t.equal(signal.future(), waiting, 'one promise per wait');
  setImmediate(() => signal.notifyAvailable());
  await waiting;
});

t.test('a reader waits for its first split through isAvailable and ends after notifyNoMoreSplits', async (t) => {
  const requests: number[] = [];
  const reader = new CollectionSource(['a', 'b']).createReader({
    indexOfSubtask: 0,
    parallelism: 1,
    sendSplitRequest: () => void requests.push(1),
    sendSourceEventToCoordinator: () => undefined,
  });
  const out: string[] = [];
  const output: ReaderOutput<string> = { collect: (r) => void out.push(r) };
  reader.start();
  t.equal(requests.length, 1, 'start asks for a split');
  t.equal(reader.pollNext(output), 'NOTHING_AVAILABLE');
  t.equal(reader.pollNext(output), 'NOTHING_AVAILABLE');
  t.equal(requests.length, 1, 'no second request while one is outstanding');
  const available = reader.isAvailable();
  reader.addSplits([{ splitId: '0', start: 0, end: 2 }]);
  await available;
  t.equal(reader.pollNext(output), 'NOTHING_AVAILABLE', 'the split is done; the next is requested');
  t.same(out, ['a', 'b']);
  t.equal(requests.length, 2);
  t.same(reader.snapshotState(1), [], 'nothing owned between splits');
  reader.notifyNoMoreSplits();
  await reader.isAvailable();
  t.equal(reader.pollNext(output), 'END_OF_INPUT');
  await reader.close();
});

t.test('a reader given restored splits before start does not ask for more until it used them', async (t) => {
  const requests: number[] = [];
  const reader = new CollectionSource(['a', 'b', 'c']).createReader({
    indexOfSubtask: 0,
    parallelism: 1,
    sendSplitRequest: () => void requests.push(1),
    sendSourceEventToCoordinator: () => undefined,
  });
  reader.addSplits([{ splitId: '0', start: 1, end: 3 }]);
  reader.start();
  t.equal(requests.length, 0);
  const out: string[] = [];
  reader.pollNext({ collect: (r) => void out.push(r) });
  t.same(out, ['b', 'c']);
  t.equal(requests.length, 1);
});
