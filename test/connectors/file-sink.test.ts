import { readdirSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import {
  DefaultRollingPolicy,
  FileSink,
  FileSinkError,
  TextLineFileSource,
  listInputFiles,
  type FileSourceEnumState,
  type FileSourceSplit,
} from '../../src/connectors/index.js';
import { SourceHarness, range, sorted } from './harness.js';

const context = (indexOfSubtask: number, parallelism = 1) => ({ indexOfSubtask, parallelism, attemptNumber: 0 });
/** The writer's uid: random hex digits and the attempt number. */
const UUID = '[0-9a-f]{8}-a\\d+';

async function names(dir: string): Promise<string[]> {
  return sorted(await readdir(dir));
}

/** Part files in `dir` ordered by subtask, then part counter. */
async function partsInOrder(dir: string): Promise<string[]> {
  const parts = (await readdir(dir)).filter((n) => !n.startsWith('.'));
  const key = (name: string): number[] => name.split('-').slice(-2).map(Number);
  return parts.sort((a, b) => {
    const [sa = 0, ca = 0] = key(a);
    const [sb = 0, cb = 0] = key(b);
    return sa - sb || ca - cb;
  });
}

t.test('writes rows into a part file that appears only at end of input', async (t) => {
  const dir = join(t.testdir(), 'out');
  const writer = FileSink.forRowFormat<number>(dir).build().createWriter(context(0));
  for (const i of range(0, 1_000)) writer.write(i);
  await writer.flush(false);
  const during = await names(dir);
  t.equal(during.length, 1);
  t.match(during[0], new RegExp(`^\\.part-${UUID}-0-0\\.inprogress$`), 'a hidden in-progress file');
  t.same(await listInputFiles(dir), [], 'nothing visible to a reader of the folder');
  t.equal(await readFile(join(dir, during[0] ?? ''), 'utf8'), range(0, 1_000).join('\n') + '\n', 'the data is already on disk');

  await writer.flush(true);
  const after = await names(dir);
  t.equal(after.length, 1);
  t.match(after[0], new RegExp(`^part-${UUID}-0-0$`), "Flink's part file name");
  t.equal(after[0], `part-${writer.uid}-0-0`);
  t.equal(await readFile(join(dir, after[0] ?? ''), 'utf8'), range(0, 1_000).join('\n') + '\n');
  await writer.close();
});

t.test('rolls to a new part once a part holds more than maxPartSize bytes', async (t) => {
  const dir = t.testdir();
  const sink = FileSink.forRowFormat<string>(dir)
    .withRollingPolicy(DefaultRollingPolicy.builder().withMaxPartSize(100).build())
    .build();
  const writer = sink.createWriter(context(2, 3));
  const rows = range(0, 95).map((i) => `row-${i}`);
  for (const row of rows) writer.write(row);
  await writer.flush(true);
  const parts = await partsInOrder(dir);
  t.ok(parts.length >= 5, `several parts (${parts.length})`);
  t.same(
    parts.map((p) => p.split('-').slice(-2).join('-')),
    parts.map((_, i) => `2-${i}`),
    'subtask index and a part counter from 0',
  );
  let all = '';
  for (const [i, part] of parts.entries()) {
    const content = await readFile(join(dir, part), 'utf8');
    all += content;
    const size = Buffer.byteLength(content);
    if (i < parts.length - 1) {
      t.ok(size > 100, `part ${i} was filled past the limit (${size})`);
      t.ok(size - 7 <= 100, `by at most one row (${size})`);
    }
  }
  t.equal(all, rows.join('\n') + '\n', 'rows in order across parts');
  t.same(
    (await readdir(dir)).filter((n) => n.startsWith('.')),
    [],
    'no in-progress file left behind',
  );
});

t.test('parallel writers write their own parts into the same folder; a file source reads them back', async (t) => {
  const dir = t.testdir();
  const sink = FileSink.forRowFormat<{ k: string; n: number }>(dir, (e) => `${e.k},${e.n}\n`).build();
  const writers = [0, 1, 2].map((i) => sink.createWriter(context(i, 3)));
  const expected: string[] = [];
  for (const n of range(0, 300)) {
    const element = { k: `key${n % 5}`, n };
    writers[n % 3]?.write(element);
    expected.push(`${element.k},${element.n}`);
  }
  await Promise.all(writers.map((w) => w.flush(true)));
  await Promise.all(writers.map((w) => w.close()));
  const parts = await partsInOrder(dir);
  t.same(
    parts.map((p) => p.replace(new RegExp(UUID), 'UID')),
    ['part-UID-0-0', 'part-UID-1-0', 'part-UID-2-0'],
  );
  const h = new SourceHarness<string, FileSourceSplit, FileSourceEnumState>(new TextLineFileSource(dir), 2);
  h.addAllReaders();
  await h.runAll();
  t.same(sorted(h.allOutput()), sorted(expected));
});

t.test('a writer closed before the end of its input publishes nothing', async (t) => {
  const dir = t.testdir();
  const writer = FileSink.forRowFormat<string>(dir)
    .withRollingPolicy(DefaultRollingPolicy.builder().withMaxPartSize(10).build())
    .build()
    .createWriter(context(0));
  for (const i of range(0, 20)) writer.write(`line ${i}`);
  await writer.flush(false);
  t.ok(writer.pendingPartCount > 1);
  await writer.close();
  const left = await names(dir);
  t.ok(left.length > 1 && left.every((n) => n.startsWith('.') && n.endsWith('.inprogress')), 'only hidden in-progress files');
  t.throws(() => writer.write('late'), FileSinkError);
});

t.test('no records, no files; the default encoder is String(value) and a newline', async (t) => {
  const dir = join(t.testdir(), 'never-created');
  const writer = FileSink.forRowFormat(dir).build().createWriter(context(0));
  await writer.flush(true);
  await writer.close();
  await t.rejects(stat(dir), { code: 'ENOENT' });

  const dir2 = t.testdir();
  const writer2 = FileSink.forRowFormat<unknown>(dir2).build().createWriter(context(0));
  for (const value of ['a', 1, true, null]) writer2.write(value);
  await writer2.flush(true);
  const [part] = await partsInOrder(dir2);
  t.equal(await readFile(join(dir2, part ?? ''), 'utf8'), 'a\n1\ntrue\nnull\n');
});

t.test('writes are batched: one write per synchronous batch of records', async (t) => {
  const dir = t.testdir();
  const writer = FileSink.forRowFormat<number>(dir).build().createWriter(context(0));
  for (const i of range(0, 10_000)) writer.write(i);
  // Synchronously after the loop: every write so far only buffered (the I/O is queued behind it).
  t.same(readdirSync(dir), [], 'no file touched while the batch is being written');
  await writer.flush(true);
  const [part] = await partsInOrder(dir);
  t.equal((await readFile(join(dir, part ?? ''), 'utf8')).split('\n').length, 10_001);
});

t.test('part prefix and suffix come from the output file config', async (t) => {
  const dir = t.testdir();
  const writer = FileSink.forRowFormat<string>(dir)
    .withOutputFileConfig({ partPrefix: 'words', partSuffix: '.csv' })
    .build()
    .createWriter(context(1, 2));
  writer.write('w');
  await writer.flush(true);
  t.same(await names(dir), [`words-${writer.uid}-1-0.csv`]);
  t.throws(() => FileSink.forRowFormat(dir).withOutputFileConfig({ partPrefix: 'a/b' }), /path separator/);
  t.throws(() => DefaultRollingPolicy.builder().withMaxPartSize(0).build(), /maxPartSize/);
});

t.test('an output folder that cannot be written fails the writer with the path named', async (t) => {
  // A regular file where the folder should be: unwritable for every user, root included.
  const dir = join(t.testdir({ taken: 'not a folder' }), 'taken');
  const writer = FileSink.forRowFormat<string>(dir).build().createWriter(context(0));
  writer.write('x');
  await t.rejects(writer.flush(false), /taken.*(ENOTDIR|EEXIST)/);
  t.throws(() => writer.write('y'), FileSinkError, 'later calls fail too');
  await writer.close().catch(() => undefined);
});
