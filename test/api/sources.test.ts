/**
 * The built-in sources and sinks through the DataStream API: collections, sequences, text
 * files and folders, a socket, the data generator, the file sink and print().
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { DefaultRollingPolicy, FileSink, RichMapFunction } from '../../src/index.js';
import { env } from '../helpers/jobs.js';
import { startNode } from '../helpers/process.js';

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

t.test('fromElements keeps the order of its elements at parallelism 1', async (t) => {
  const elements = ['delta', 'alpha', 'charlie', 'bravo', 'echo', 'alpha'];
  t.same(await env(1).fromElements(...elements).executeAndCollect(), elements);
  t.same(await env(1).fromElements(3, 1, 2).map((n) => n * 10).executeAndCollect(), [30, 10, 20], 'also through a chained map');
});

t.test('fromCollection emits every element of any iterable once, also into a parallel job', async (t) => {
  const set = new Set(range(1, 500));
  const out = await env(3).fromCollection(set).rebalance().map((n) => n + 0).executeAndCollect();
  t.same(out.sort((a, b) => a - b), range(1, 500));
  const objects = await env(1).fromCollection([{ a: 1 }, { a: 2 }]).executeAndCollect();
  t.same(objects, [{ a: 1 }, { a: 2 }], 'objects arrive as equal values');
});

for (const p of [1, 3]) {
  t.test(`fromSequence emits every number of the range exactly once at parallelism ${p}`, async (t) => {
    class Where extends RichMapFunction<number, [number, number]> {
      map(n: number): [number, number] {
        return [n, this.getRuntimeContext().getIndexOfThisSubtask()];
      }
    }
    const out = await env(p).fromSequence(-50, 4949).map(new Where()).executeAndCollect();
    t.same(out.map(([n]) => n).sort((a, b) => a - b), range(-50, 4949));
    t.ok(out.every(([, s]) => s < p), 'read by the source instances');
  });
}

t.test('readTextFile reads the lines of one file, empty lines and a last line without newline included', async (t) => {
  const dir = t.testdir({ 'poem.txt': 'roses are red\r\nviolets are blue\n\nsugar is sweet' });
  const out = await env(2).readTextFile(join(dir, 'poem.txt')).executeAndCollect();
  t.same(out, ['roses are red', 'violets are blue', '', 'sugar is sweet']);
});

t.test('readTextFile reads every visible file of a folder and skips hidden ones', async (t) => {
  const dir = t.testdir({
    'a.txt': 'a1\na2\na3\n',
    'b.txt': 'b1\nb2\n',
    'c.log': 'c1\n',
    '.hidden.txt': 'secret\n',
    '_SUCCESS': 'marker\n',
    '.part-1234.inprogress': 'half written\n',
  });
  const lots = range(1, 2000).map((n) => `line ${n}`);
  await writeFile(join(dir, 'd.txt'), lots.join('\n') + '\n');
  const out = await env(3).readTextFile(dir).executeAndCollect();
  t.same(out.sort(), ['a1', 'a2', 'a3', 'b1', 'b2', 'c1', ...lots].sort());
});

t.test('readTextFile of a path that does not exist fails the job naming the path', async (t) => {
  const missing = join(t.testdir(), 'nope');
  const err = await env(1).readTextFile(missing).executeAndCollect().then(() => undefined, (e: unknown) => e);
  t.match(String((err as Error | undefined)?.cause), /nope/);
});

t.test('socketTextStream reads the lines a TCP server writes until it closes the connection', async (t) => {
  const lines = range(1, 300).map((n) => `message ${n}`);
  const server = createServer((socket) => socket.end(lines.join('\n') + '\nunterminated'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  const out = await env(2).socketTextStream('127.0.0.1', port).map((l) => l.toUpperCase()).executeAndCollect();
  t.same(out.sort(), [...lines, 'unterminated'].map((l) => l.toUpperCase()).sort());
});

t.test('fromGenerator emits generator(i) for every i below the count, once', async (t) => {
  const out = await env(3)
    .fromGenerator((i) => ({ i, square: i * i }), 1000)
    .executeAndCollect();
  t.same(out.sort((a, b) => a.i - b.i), range(0, 999).map((i) => ({ i, square: i * i })));
  const throttled = await env(2).fromGenerator((i) => i, 40, 400).executeAndCollect();
  t.same(throttled.sort((a, b) => a - b), range(0, 39), 'a rate limit delays but loses nothing');
});

t.test('a FileSink writes every record exactly once into visible part files and leaves no in-progress file', async (t) => {
  const dir = join(t.testdir(), 'out');
  await mkdir(dir);
  const e = env(3);
  e.fromSequence(1, 5000)
    .map((n) => `record-${n}`)
    .sinkTo(
      FileSink.forRowFormat<string>(dir)
        .withRollingPolicy(DefaultRollingPolicy.builder().withMaxPartSize(8 * 1024).build())
        .build(),
    );
  await e.execute('file sink');
  const names = await readdir(dir);
  const visible = names.filter((n) => !n.startsWith('.') && !n.startsWith('_'));
  t.same(names.filter((n) => !visible.includes(n)), [], 'no hidden (in-progress) files left');
  t.ok(visible.every((n) => /^part-[0-9a-f]{8}-a\d+-[0-2]-\d+$/.test(n)), `part files named as Flink names them: ${visible.slice(0, 3).join(', ')}`);
  t.ok(visible.length > 3, `the rolling policy rolled parts: ${visible.length} files`);
  const lines: string[] = [];
  for (const name of visible) {
    const text = await readFile(join(dir, name), 'utf8');
    t.ok(text.endsWith('\n'), `${name} ends with a whole line`);
    lines.push(...text.split('\n').slice(0, -1));
  }
  t.same(lines.sort(), range(1, 5000).map((n) => `record-${n}`).sort(), 'every record exactly once across the files');
});

t.test('a FileSink with an encoder writes its rows', async (t) => {
  const dir = t.testdir();
  const e = env(1);
  e.fromElements({ k: 'a', v: 1 }, { k: 'b', v: 2 }).sinkTo(FileSink.forRowFormat(dir, (r: { k: string; v: number }) => `${r.k},${r.v}\n`).build());
  await e.execute();
  const files = (await readdir(dir)).filter((n) => !n.startsWith('.'));
  t.equal(files.length, 1);
  t.equal(await readFile(join(dir, files[0]!), 'utf8'), 'a,1\nb,2\n');
});

t.test('print() at parallelism 2 writes each record on one stdout line prefixed with its subtask "N> "', async (t) => {
  const job = startNode(t, 'test/fixtures/jobs/print.ts', ['--parallelism', '2', '--count', '40'], { RUNNEL_SLOT_MODE: 'inline' });
  t.equal(await job.exited, 0, 'the job exits cleanly');
  const printed = job.lines.filter((l) => /^\d+> /.test(l));
  t.equal(printed.length, 40, 'one line per record');
  t.same(printed.map((l) => Number(l.slice(l.indexOf('> ') + 2))).sort((a, b) => a - b), range(1, 40), 'every record printed once');
  t.same([...new Set(printed.map((l) => l.slice(0, l.indexOf('> '))))].sort(), ['1', '2'], 'prefixes 1> and 2> (subtask index + 1)');
  t.ok(job.lines.includes('print job finished'), 'execute() returned after the output');
});

t.test('print(identifier) prefixes "identifier:N> " and shows objects as console.log does', async (t) => {
  const job = startNode(t, 'test/fixtures/jobs/print.ts', ['--parallelism', '2', '--count', '6', '--identifier', 'nums'], { RUNNEL_SLOT_MODE: 'inline' });
  t.equal(await job.exited, 0);
  const printed = job.lines.filter((l) => l.startsWith('nums:'));
  t.equal(printed.length, 6);
  t.ok(printed.every((l) => /^nums:[12]> \{ n: [1-6] \}$/.test(l)), printed.join('\n'));
});
