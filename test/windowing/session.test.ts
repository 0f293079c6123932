/**
 * Event-time session windows over out-of-order events: sessions merge as late-arriving events
 * bridge them. Checked against sessions found by sorting each key's events by time.
 */
import t from 'tap';
import { EventTimeSessionWindows } from '../../src/index.js';
import { allEvents, byVariant, eventStream, expectedLines, firedMidStream, groupSessions, VARIANTS, windowEnv, windowVariants } from '../helpers/windows.js';

// Odd, so that no (even) timestamp lands exactly on a session's end: see event().
const GAP = 61;

for (const p of [1, 3]) {
  t.test(`session windows at parallelism ${p} match sessions found by sorting each key's events, for reduce, aggregate, process and incremental + process`, async (t) => {
    const watermarks: number[] = [];
    const out = await windowVariants(eventStream(windowEnv(p)), EventTimeSessionWindows.withGap(GAP), watermarks).executeAndCollect();
    const groups = groupSessions(allEvents(), GAP);
    const expected = expectedLines(groups);
    const actual = byVariant(out);
    for (const variant of VARIANTS) t.same(actual[variant], expected[variant], `${variant}: one result per key and session, with the session's max timestamp`);
    t.ok(firedMidStream(watermarks), 'periodic watermarks fired sessions before the end of input');
    t.ok(groups.some((g) => g.events.length >= 5) && groups.some((g) => g.events.length === 1), 'long sessions and lone events alike');
  });
}

t.test('sessions with a dynamic gap use each event\'s own gap', async (t) => {
  const gapOf = (key: string): number => (key === 'k0' ? 201 : 31);
  const out = await windowVariants(
    eventStream(windowEnv(2)),
    EventTimeSessionWindows.withDynamicGap((e: { key: string }) => gapOf(e.key)),
  ).executeAndCollect();
  const events = allEvents();
  const groups = [...groupSessions(events.filter((e) => e.key === 'k0'), 201), ...groupSessions(events.filter((e) => e.key !== 'k0'), 31)];
  t.same(byVariant(out).process, expectedLines(groups).process);
});
