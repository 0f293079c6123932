/**
 * Operators' snapshot and restore hooks: a window operator's contents, merging window sets
 * and timers survive a snapshot, its CBOR encoding and a restore into a new operator.
 */
import type { KeyedStateSnapshot } from '../../src/state/index.js';
import t from 'tap';
import { EventTimeSessionWindows, TumblingEventTimeWindows, TumblingProcessingTimeWindows, type Window, type WindowAssigner } from '../../src/index.js';
import { decode, encode } from '../../src/net/index.js';
import type { OperatorSnapshot, RestoredOperatorState } from '../../src/operators/operator.js';
import { PassThroughWindowFunction } from '../../src/operators/windowing/window-functions.js';
import { WindowOperator } from '../../src/operators/windowing/window-operator.js';
import { OneInputHarness } from '../helpers/operator-harness.js';

type Event = [key: string, n: number];
const byKey = (e: unknown): unknown => (e as Event)[0];
const sum = { reduce: (a: unknown, b: unknown): unknown => [(a as Event)[0], (a as Event)[1] + (b as Event)[1]] };

async function windowHarness(assigner: WindowAssigner<unknown, Window>, startTime = 0): Promise<OneInputHarness> {
  const operator = new WindowOperator({
    assigner,
    trigger: assigner.getDefaultTrigger(),
    allowedLateness: 0,
    lateDataTag: undefined,
    contents: { kind: 'reduce', reduce: sum },
    function: new PassThroughWindowFunction(),
  });
  const h = new OneInputHarness(operator, byKey, { startTime });
  await h.open();
  return h;
}

/** Snapshot, through CBOR as in a state file, into a new operator. */
async function restoredInto(from: OneInputHarness, to: OneInputHarness): Promise<void> {
  const snapshot = (await from.operator.snapshotState!(1)) as OperatorSnapshot;
  const copy = decode(encode(snapshot)) as OperatorSnapshot;
  const restored: RestoredOperatorState = { checkpointId: 1, keyed: [copy.keyed as KeyedStateSnapshot], operator: undefined, splits: [], committables: [] };
  await to.operator.initializeState!(restored);
}

const values = (h: OneInputHarness): unknown[] => h.takeOutput().map((e) => e.value);

t.test('an event-time window restored from a snapshot fires with the contents and timer it had', async (t) => {
  const before = await windowHarness(TumblingEventTimeWindows.of(1000));
  before.processElement(['a', 1], 100);
  before.processElement(['a', 2], 900);
  before.processElement(['b', 5], 1500);
  const after = await windowHarness(TumblingEventTimeWindows.of(1000));
  await restoredInto(before, after);
  // Processed after the snapshot: not in it.
  before.processElement(['a', 100], 200);
  after.processElement(['a', 3], 500);
  after.processWatermark(999);
  t.same(values(after), [['a', 6]], 'the restored window timer fires with 1 + 2 + 3');
  after.processWatermark(1999);
  t.same(values(after), [['b', 5]]);
});

t.test('session windows keep their merging window set across a restore', async (t) => {
  const before = await windowHarness(EventTimeSessionWindows.withGap(100));
  before.processElement(['a', 1], 0);
  before.processElement(['a', 2], 50);
  const after = await windowHarness(EventTimeSessionWindows.withGap(100));
  await restoredInto(before, after);
  after.processElement(['a', 4], 120);
  after.processWatermark(1000);
  t.same(values(after), [['a', 7]], 'the record after the restore merged into the restored session');
});

t.test('restored processing-time timers are scheduled again', async (t) => {
  const before = await windowHarness(TumblingProcessingTimeWindows.of(1000), 10);
  before.processElement(['a', 1]);
  before.processElement(['a', 2]);
  const after = await windowHarness(TumblingProcessingTimeWindows.of(1000), 20);
  await restoredInto(before, after);
  after.setProcessingTime(999);
  t.same(values(after), [['a', 3]], 'the window fires at its end without a new record registering a timer');
});
