/**
 * How each partitioner distributes records over the parallel instances downstream, measured by
 * a rich function that records the subtask it runs in.
 */
import t from 'tap';
import { JobExecutionException, RichMapFunction } from '../../src/index.js';
import { assignToKeyGroup, computeOperatorIndexForKeyGroup } from '../../src/state/index.js';
import { env } from '../helpers/jobs.js';

/** A record and the subtask that saw it. */
interface Seen<T> {
  readonly value: T;
  readonly subtask: number;
}

class Where<T> extends RichMapFunction<T, Seen<T>> {
  map(value: T): Seen<T> {
    return { value, subtask: this.getRuntimeContext().getIndexOfThisSubtask() };
  }
}

/** Tags a record with the upstream subtask that sent it. */
class From extends RichMapFunction<number, { n: number; from: number }> {
  map(n: number): { n: number; from: number } {
    return { n, from: this.getRuntimeContext().getIndexOfThisSubtask() };
  }
}

function countBySubtask<T>(records: readonly Seen<T>[], parallelism: number): number[] {
  const counts = new Array<number>(parallelism).fill(0);
  for (const r of records) counts[r.subtask]!++;
  return counts;
}

const N = 1200;
const all = (): number[] => Array.from({ length: N }, (_, i) => i + 1);

t.test('rebalance() spreads records round-robin: every subtask gets its share, give or take one per sender', async (t) => {
  const out = await env(2).fromSequence(1, N).rebalance().map(new Where<number>()).setParallelism(4).executeAndCollect();
  t.same(out.map((r) => r.value).sort((a, b) => a - b), all(), 'every record once');
  const counts = countBySubtask(out, 4);
  t.ok(counts.every((c) => c > 0), `every subtask gets records: ${counts.join(', ')}`);
  t.ok(Math.max(...counts) - Math.min(...counts) <= 2, `counts differ by at most the number of senders: ${counts.join(', ')}`);
});

t.test('rebalance() from one sender gives each of three subtasks exactly a third', async (t) => {
  const out = await env(1).fromSequence(1, 900).rebalance().map(new Where<number>()).setParallelism(3).executeAndCollect();
  t.same(countBySubtask(out, 3), [300, 300, 300]);
});

t.test('rescale() is pointwise: from 2 upstream subtasks to 4, each sends only to its own two, round-robin', async (t) => {
  const out = await env(2)
    .fromSequence(1, N)
    .rebalance()
    .map(new From())
    .rescale()
    .map(new Where<{ n: number; from: number }>())
    .setParallelism(4)
    .executeAndCollect();
  t.same(out.map((r) => r.value.n).sort((a, b) => a - b), all(), 'every record once');
  for (const from of [0, 1]) {
    const mine = out.filter((r) => r.value.from === from);
    const targets = [...new Set(mine.map((r) => r.subtask))].sort();
    t.same(targets, [2 * from, 2 * from + 1], `upstream ${from} sends to subtasks ${2 * from} and ${2 * from + 1} only`);
    const counts = [2 * from, 2 * from + 1].map((s) => mine.filter((r) => r.subtask === s).length);
    t.ok(Math.abs(counts[0]! - counts[1]!) <= 1, `round-robin between the two: ${counts.join(', ')}`);
  }
});

t.test('rescale() from 4 upstream subtasks to 2 sends two upstreams to each downstream', async (t) => {
  const out = await env(4)
    .fromSequence(1, N)
    .rebalance()
    .map(new From())
    .rescale()
    .map(new Where<{ n: number; from: number }>())
    .setParallelism(2)
    .executeAndCollect();
  t.equal(out.length, N);
  t.ok(out.every((r) => r.subtask === Math.floor(r.value.from / 2)), 'upstream i goes to downstream floor(i / 2)');
  t.equal(new Set(out.map((r) => r.value.from)).size, 4, 'every upstream subtask sent records');
});

t.test('shuffle() sends records to random subtasks: every subtask gets some', async (t) => {
  const out = await env(1).fromSequence(1, N).shuffle().map(new Where<number>()).setParallelism(3).executeAndCollect();
  t.same(out.map((r) => r.value).sort((a, b) => a - b), all(), 'every record once');
  const counts = countBySubtask(out, 3);
  t.ok(counts.every((c) => c > N / 6), `each subtask gets a fair part: ${counts.join(', ')}`);
});

t.test('broadcast() sends every record to every subtask', async (t) => {
  const out = await env(2).fromSequence(1, 300).broadcast().map(new Where<number>()).setParallelism(3).executeAndCollect();
  t.equal(out.length, 900);
  for (let s = 0; s < 3; s++) {
    t.same(out.filter((r) => r.subtask === s).map((r) => r.value).sort((a, b) => a - b), Array.from({ length: 300 }, (_, i) => i + 1), `subtask ${s} got every record`);
  }
});

t.test('forward() keeps each record on the subtask with the same index, across a real channel', async (t) => {
  const out = await env(3)
    .fromSequence(1, N)
    .rebalance()
    .map(new From())
    .forward()
    .map(new Where<{ n: number; from: number }>())
    .disableChaining()
    .executeAndCollect();
  t.equal(out.length, N);
  t.ok(out.every((r) => r.subtask === r.value.from), 'downstream index = upstream index');
  t.equal(new Set(out.map((r) => r.subtask)).size, 3, 'all three pairs carried records');
});

t.test('forward() between different parallelisms is refused when the job is built', async (t) => {
  const e = env(3);
  e.fromSequence(1, 10).forward().map((n) => n).setParallelism(2);
  t.throws(() => e.getExecutionPlan(), /forward\(\) from 'Sequence Source' \(parallelism 3\) to 'Map' \(parallelism 2\) would change the parallelism; use rebalance\(\) or rescale\(\)/);
});

t.test('global() sends everything to subtask 0', async (t) => {
  const out = await env(3).fromSequence(1, N).global().map(new Where<number>()).executeAndCollect();
  t.equal(out.length, N);
  t.same(countBySubtask(out, 3), [N, 0, 0]);
});

t.test('partitionCustom() sends each record to exactly the partition its function returns', async (t) => {
  const partitioner = (key: number, numPartitions: number): number => (key * 7) % numPartitions;
  const out = await env(2)
    .fromSequence(1, N)
    .partitionCustom(partitioner, (n) => n % 11)
    .map(new Where<number>())
    .setParallelism(4)
    .executeAndCollect();
  t.equal(out.length, N);
  const wrong = out.filter((r) => r.subtask !== partitioner(r.value % 11, 4));
  t.same(wrong, [], 'no record on another subtask');
  t.equal(new Set(out.map((r) => r.subtask)).size, 4, 'the function used every partition');

  const byObject = await env(1)
    .fromElements('a', 'bb', 'ccc', 'dddd')
    .partitionCustom({ partition: (len: number) => len - 1 }, (s) => s.length)
    .map(new Where<string>())
    .setParallelism(4)
    .executeAndCollect();
  t.same(byObject.map((r) => `${r.value}@${r.subtask}`).sort(), ['a@0', 'bb@1', 'ccc@2', 'dddd@3'], 'a Partitioner object works too');
});

t.test('a custom partitioner returning a partition that does not exist fails the job', async (t) => {
  const err = await env(1)
    .fromSequence(1, 10)
    .partitionCustom((k: number) => k, (n) => n)
    .map((n) => n)
    .setParallelism(2)
    .executeAndCollect()
    .then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof JobExecutionException);
  t.match(String((err as Error).cause), /custom partitioner returned \d+; it must be an integer from 0 to 1/);
});

for (const p of [1, 3, 4]) {
  t.test(`keyBy() puts each key always on one subtask, the one its key group belongs to, at parallelism ${p}`, async (t) => {
    const keys = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? `user-${i}` : i * 1000 + 7));
    const out = await env(2)
      .fromSequence(0, N - 1)
      .map((i) => keys[i % keys.length]!)
      .keyBy((k) => k)
      .map(new Where<string | number>())
      .setParallelism(p)
      .executeAndCollect();
    t.equal(out.length, N);
    const placed = new Map<string | number, Set<number>>();
    for (const r of out) placed.set(r.value, (placed.get(r.value) ?? new Set()).add(r.subtask));
    t.equal(placed.size, keys.length, 'every key arrived');
    const misplaced: string[] = [];
    for (const [key, subtasks] of placed) {
      const expected = computeOperatorIndexForKeyGroup(128, p, assignToKeyGroup(key, 128));
      if (subtasks.size !== 1 || !subtasks.has(expected)) misplaced.push(`${String(key)} on ${[...subtasks].join('/')} instead of ${expected}`);
    }
    t.same(misplaced, [], 'each key on exactly its key group’s subtask');
    t.equal(new Set(out.map((r) => r.subtask)).size, p, 'the keys cover every subtask');
  });
}

t.test('keyBy() follows the max parallelism: key groups are computed against setMaxParallelism()', async (t) => {
  const e = env(1);
  e.setMaxParallelism(16);
  const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
  const out = await e
    .fromCollection(keys)
    .keyBy((k) => k)
    .map(new Where<string>())
    .setParallelism(3)
    .executeAndCollect();
  const misplaced = out.filter((r) => r.subtask !== computeOperatorIndexForKeyGroup(16, 3, assignToKeyGroup(r.value, 16)));
  t.same(misplaced, []);
  t.equal(out.length, keys.length);
});
