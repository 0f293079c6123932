/**
 * Sliding event-time windows over out-of-order events, checked against grouping the same events
 * into every window that contains them, for every kind of window function.
 */
import t from 'tap';
import { SlidingEventTimeWindows } from '../../src/index.js';
import { allEvents, byVariant, eventStream, expectedLines, firedMidStream, groupBySpans, slidingSpans, VARIANTS, windowEnv, windowVariants } from '../helpers/windows.js';

for (const p of [1, 3]) {
  t.test(`sliding event-time windows at parallelism ${p} match grouping into every window containing an event, for reduce, aggregate, process and incremental + process`, async (t) => {
    const watermarks: number[] = [];
    const out = await windowVariants(eventStream(windowEnv(p)), SlidingEventTimeWindows.of(300, 100), watermarks).executeAndCollect();
    const groups = groupBySpans(allEvents(), (ts) => slidingSpans(ts, 300, 100));
    const expected = expectedLines(groups);
    const actual = byVariant(out);
    for (const variant of VARIANTS) t.same(actual[variant], expected[variant], `${variant}: one result per key and window, with the window's max timestamp`);
    t.ok(firedMidStream(watermarks), 'periodic watermarks fired windows before the end of input');
    t.ok(groups.length > 3 * new Set(groups.map((g) => `${g.key}|${Math.floor(g.start / 300)}`)).size / 2, 'windows overlap: an event counts in several');
  });
}
