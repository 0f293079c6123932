/**
 * Tumbling event-time windows over out-of-order events, checked against grouping the same
 * events by key and window in plain code, for every kind of window function.
 */
import t from 'tap';
import { TumblingEventTimeWindows } from '../../src/index.js';
import { allEvents, BOUND, byVariant, firedMidStream, eventStream, expectedLines, groupBySpans, tumblingSpans, VARIANTS, windowEnv, windowVariants } from '../helpers/windows.js';

for (const p of [1, 3]) {
  t.test(`tumbling event-time windows at parallelism ${p} match grouping by key and window, for reduce, aggregate, process and incremental + process`, async (t) => {
    const watermarks: number[] = [];
    const out = await windowVariants(eventStream(windowEnv(p)), TumblingEventTimeWindows.of(100), watermarks).executeAndCollect();
    const expected = expectedLines(groupBySpans(allEvents(), (ts) => tumblingSpans(ts, 100)));
    const actual = byVariant(out);
    for (const variant of VARIANTS) t.same(actual[variant], expected[variant], `${variant}: one result per key and window, with the window's max timestamp`);
    t.ok(firedMidStream(watermarks), 'periodic watermarks fired windows before the end of input');
  });
}

t.test('the test events are out of order, by less than the watermark bound', async (t) => {
  const events = allEvents();
  let maxSeen = Number.NEGATIVE_INFINITY;
  let disordered = 0;
  let worst = 0;
  for (const e of events) {
    if (e.ts < maxSeen) disordered++;
    worst = Math.max(worst, maxSeen - e.ts);
    maxSeen = Math.max(maxSeen, e.ts);
  }
  t.ok(disordered > events.length / 4, `${disordered} events arrive after a later one`);
  t.ok(worst < BOUND, `at most ${worst} ms out of order: no event is late`);
});

t.test('tumbling windows with an offset are shifted by it', async (t) => {
  const out = await windowVariants(eventStream(windowEnv(2)), TumblingEventTimeWindows.of(100, 30)).executeAndCollect();
  const expected = expectedLines(groupBySpans(allEvents(), (ts) => tumblingSpans(ts, 100, 30)));
  const actual = byVariant(out);
  t.same(actual.process, expected.process);
  t.same(actual.reduce, expected.reduce);
  t.ok(actual.process.every((line) => /\|\d*30-\d*30\|/.test(line)), 'every window starts and ends at ...30');
});
