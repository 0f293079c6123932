/**
 * The SharedStateRegistry on its own: which shared files it removes, and when, observed through
 * the `remove` it is given.
 */
import t from 'tap';
import { SharedStateRegistry } from '../../../src/actors/checkpoint/shared-state.js';

const SHARED = '/checkpoints/job/shared';
const file = (name: string): string => `${SHARED}/${name}.sst`;

function setUp(fail: ReadonlySet<string> = new Set()) {
  const removed: string[] = [];
  const warnings: string[] = [];
  const registry = new SharedStateRegistry({
    sharedDir: SHARED,
    remove: async (path) => {
      if (fail.has(path)) throw new Error('EACCES: permission denied');
      removed.push(path);
    },
    warn: (message) => warnings.push(message),
  });
  return { registry, removed, warnings };
}

t.test('a file goes only when the last checkpoint referencing it is unregistered', async (t) => {
  const { registry, removed } = setUp();
  registry.register(1, [file('a'), file('b')]);
  registry.register(2, [file('b'), file('c')]);
  registry.register(3, [file('c'), file('d')]);
  t.equal(registry.references(file('b')), 2);
  t.equal(registry.references(file('c')), 2);

  t.same(await registry.unregister(1), [file('a')], 'b is still referenced by checkpoint 2');
  t.same(removed, [file('a')]);
  t.equal(registry.references(file('b')), 1);

  t.same(await registry.unregister(2), [file('b')], 'c is still referenced by checkpoint 3');
  t.same(removed, [file('a'), file('b')]);
  t.equal(registry.references(file('c')), 1);
  t.same(registry.registered(), [3]);
});

t.test('a path named twice by one checkpoint counts once, however it is spelled', async (t) => {
  const { registry, removed } = setUp();
  registry.register(1, [file('a'), file('a'), `${SHARED}/./a.sst`]);
  registry.register(2, [file('a')]);
  t.equal(registry.references(file('a')), 2);
  t.same(await registry.unregister(1), []);
  t.same(await registry.unregister(2), [file('a')]);
  t.same(removed, [file('a')], 'removed once');
});

t.test('the counts change at once; only the removal waits', async (t) => {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const removed: string[] = [];
  const registry = new SharedStateRegistry({
    sharedDir: SHARED,
    remove: async (path) => {
      await gate;
      removed.push(path);
    },
    warn: () => {},
  });
  registry.register(1, [file('a')]);
  const unregistered = registry.unregister(1);
  t.equal(registry.references(file('a')), 0, 'no longer referenced before the file is gone');
  t.same(registry.registered(), []);
  t.same(removed, []);
  open();
  t.same(await unregistered, [file('a')]);
  t.same(removed, [file('a')]);
});

t.test('unregistering a checkpoint that never registered, or twice, removes nothing', async (t) => {
  const { registry, removed } = setUp();
  registry.register(1, [file('a')]);
  t.same(await registry.unregister(7), []);
  t.same(await registry.unregister(1), [file('a')]);
  t.same(await registry.unregister(1), []);
  t.same(removed, [file('a')]);
});

t.test('registering the same checkpoint twice is a bug and throws', async (t) => {
  const { registry } = setUp();
  registry.register(1, [file('a')]);
  t.throws(() => registry.register(1, [file('b')]), /Checkpoint 1 registered its shared state files twice/);
  t.equal(registry.references(file('b')), 0);
});

t.test('an aborted checkpoint takes only the files no completed checkpoint references', async (t) => {
  const { registry, removed } = setUp();
  registry.register(1, [file('a'), file('b')]);
  // Checkpoint 2 reused a and uploaded x and y, then was aborted.
  const discarded = await registry.discardUnregistered(2, [file('a'), file('x'), file('y'), file('x')]);
  t.same(discarded.sort(), [file('x'), file('y')]);
  t.same(removed.sort(), [file('x'), file('y')]);
  t.equal(registry.references(file('a')), 1, 'a reused file keeps its count');
  t.same(await registry.unregister(1), [file('a'), file('b')], 'and goes with its last checkpoint');
});

t.test('files outside the shared folder are never removed, and the registry says why', async (t) => {
  const { registry, removed, warnings } = setUp();
  const outside = ['/checkpoints/other-job/shared/a.sst', '/checkpoints/job/chk-1/state', `${SHARED}/../chk-2/x`, SHARED, '/checkpoints/job/shared-x/a.sst', 'shared/relative.sst'];
  registry.register(1, [...outside, file('in')]);
  t.same(await registry.unregister(1), [file('in')]);
  t.same(await registry.discardUnregistered(2, outside), []);
  t.same(removed, [file('in')]);
  t.equal(warnings.length, outside.length * 2, 'one warning per kept file, each time');
  t.match(warnings[0], /Keeping \/checkpoints\/other-job\/shared\/a\.sst although no retained checkpoint references it since checkpoint 1 was discarded: it is not under the job's shared folder \/checkpoints\/job\/shared/);
  t.match(warnings.at(-1), /Keeping shared\/relative\.sst although checkpoint 2 uploaded it and did not complete/);
});

t.test('a file that cannot be removed is reported, and the others still go', async (t) => {
  const { registry, removed, warnings } = setUp(new Set([file('stuck')]));
  registry.register(1, [file('stuck'), file('a')]);
  t.same(await registry.unregister(1), [file('a')]);
  t.same(removed, [file('a')]);
  t.match(warnings, [/Could not remove the shared state file .*stuck\.sst .*permission denied/]);
  t.equal(registry.references(file('stuck')), 0, 'not referenced any more, even if it is still there');
});
