import t from 'tap';
import { JobExecutionException, RichMapFunction, type Collector } from '../../src/index.js';
import { env, sortedJson } from '../helpers/jobs.js';

for (const p of [1, 3]) {
  t.test(`map, flatMap and filter transform every record at parallelism ${p}`, async (t) => {
    const out = await env(p)
      .fromSequence(1, 1000)
      .map((n) => n * 2)
      .flatMap((n: number, c: Collector<number>) => {
        c.collect(n);
        if (n % 10 === 0) c.collect(-n);
      })
      .filter((n) => n % 4 === 0 || n < 0)
      .executeAndCollect();
    const expected: number[] = [];
    for (let n = 1; n <= 1000; n++) {
      const d = n * 2;
      if (d % 4 === 0) expected.push(d);
      if (d % 10 === 0) expected.push(-d);
    }
    t.same(out.sort((a, b) => a - b), expected.sort((a, b) => a - b));
  });

  t.test(`keyBy().reduce() keeps a running value per key across parallel instances at parallelism ${p}`, async (t) => {
    const words = ['a', 'b', 'a', 'c', 'b', 'a', 'd', 'a'];
    const out = await env(p)
      .fromCollection(words)
      .map((w) => [w, 1] as [string, number])
      .keyBy((x) => x[0])
      .reduce((x, y) => [x[0], x[1] + y[1]])
      .executeAndCollect();
    const finals = new Map<string, number>();
    for (const [w, n] of out) finals.set(w, Math.max(finals.get(w) ?? 0, n));
    t.same(Object.fromEntries([...finals].sort()), { a: 4, b: 2, c: 1, d: 1 });
    t.equal(out.length, words.length, 'one update per input record in streaming mode');
  });
}

t.test('sum, min, max, minBy and maxBy aggregate a field per key as Flink does', async (t) => {
  const rows: Array<[string, number, string]> = [
    ['x', 3, 'first'],
    ['x', 1, 'second'],
    ['y', 5, 'third'],
    ['x', 7, 'fourth'],
    ['y', 2, 'fifth'],
  ];
  const last = async (agg: 'sum' | 'min' | 'max' | 'minBy' | 'maxBy') => {
    const e = env(2);
    e.setRuntimeMode('BATCH');
    const out = await e.fromCollection(rows).keyBy((r) => r[0])[agg](1).executeAndCollect();
    return Object.fromEntries(out.map((r) => [r[0], r]));
  };
  t.same(await last('sum'), { x: ['x', 11, 'first'], y: ['y', 7, 'third'] }, 'sum keeps the first record\'s other fields');
  t.same(await last('min'), { x: ['x', 1, 'first'], y: ['y', 2, 'third'] });
  t.same(await last('max'), { x: ['x', 7, 'first'], y: ['y', 5, 'third'] });
  t.same(await last('minBy'), { x: ['x', 1, 'second'], y: ['y', 2, 'fifth'] }, 'minBy keeps the whole record');
  t.same(await last('maxBy'), { x: ['x', 7, 'fourth'], y: ['y', 5, 'third'] });
});

t.test('union merges streams and every record arrives once', async (t) => {
  const e = env(2);
  const a = e.fromCollection([1, 2, 3]);
  const b = e.fromCollection([10, 20]);
  const c = e.fromSequence(100, 104);
  const out = await a.union(b, c).map((n) => n + 0).executeAndCollect();
  t.same(out.sort((x, y) => x - y), [1, 2, 3, 10, 20, 100, 101, 102, 103, 104]);
});

t.test('a bounded job ends by itself when its inputs end, also through several shuffles', async (t) => {
  const out = await env(2)
    .fromSequence(0, 9999)
    .rebalance()
    .map((n) => n % 7)
    .keyBy((n) => n)
    .map((n) => n)
    .shuffle()
    .filter(() => true)
    .executeAndCollect();
  t.equal(out.length, 10_000);
});

t.test('a user function that throws fails the job with its error and stack, and the next job runs', async (t) => {
  class Boom extends RichMapFunction<number, number> {
    map(n: number): number {
      if (n === 42) throw new RangeError(`no ${n} here`);
      return n;
    }
  }
  const err = await env(2)
    .fromSequence(1, 100)
    .map(new Boom())
    .executeAndCollect()
    .then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof JobExecutionException, 'a JobExecutionException');
  const cause = (err as Error).cause as Error;
  t.match(cause.message, 'no 42 here');
  t.match(String(cause.stack), /transformations\.test\.ts/, "the cause's stack points at the user function");
  t.match((err as Error).message, /failed: no 42 here/);
  t.same(sortedJson(await env(2).fromElements(1, 2, 3).executeAndCollect()), ['1', '2', '3'], 'the next job runs');
});

t.test('rich functions see their subtask index and parallelism', async (t) => {
  class Where extends RichMapFunction<number, string> {
    map(): string {
      const ctx = this.getRuntimeContext();
      return `${ctx.getIndexOfThisSubtask()}/${ctx.getNumberOfParallelSubtasks()}`;
    }
  }
  const out = await env(3).fromSequence(1, 300).map(new Where()).executeAndCollect();
  t.same([...new Set(out)].sort(), ['0/3', '1/3', '2/3']);
});

t.test('chained plain maps and filters (run as one fused function) keep their semantics and errors', async (t) => {
  const out = await env(1)
    .fromSequence(1, 20)
    .map((n) => n * 10)
    .filter((n) => n % 20 === 0)
    .map((n) => `v${n}`)
    .filter((s) => s !== 'v100')
    .executeAndCollect();
  t.same(out, ['v20', 'v40', 'v60', 'v80', 'v120', 'v140', 'v160', 'v180', 'v200'], 'order and values as without fusion');
  const err = await env(1)
    .fromSequence(1, 10)
    .map((n) => n + 1)
    .map((n) => {
      if (n === 7) throw new SyntaxError('seven is not allowed');
      return n;
    })
    .executeAndCollect()
    .then(() => undefined, (e: unknown) => e);
  t.match(((err as Error).cause as Error).message, 'seven is not allowed');
  t.match(String(((err as Error).cause as Error).stack), /transformations\.test\.ts/, 'the stack still names the user function');
});
