import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import {
  FileSourceError,
  TextLineFileSource,
  listInputFiles,
  type FileSourceEnumState,
  type FileSourceSplit,
} from '../../src/connectors/index.js';
import { SourceHarness, range, sorted } from './harness.js';

type Harness = SourceHarness<string, FileSourceSplit, FileSourceEnumState>;

/** Lines with multi-byte characters of every UTF-8 length, empty lines and CRLF endings. */
function tricky(prefix: string, n: number): string[] {
  return range(0, n).map((i) => (i % 7 === 3 ? '' : `${prefix}${i} héllo wörld ∑ 日本語 🎉🎉 ${'x'.repeat(i % 13)}`));
}

function asFile(lines: readonly string[], crlfEvery = 5): string {
  return lines.map((line, i) => line + (i % crlfEvery === 0 ? '\r\n' : '\n')).join('');
}

t.test('reads every line of a file exactly once with 1, 2 and 3 readers', async (t) => {
  const dir = t.testdir();
  const lines = tricky('a', 400);
  await writeFile(join(dir, 'input.txt'), asFile(lines));
  for (const parallelism of [1, 2, 3]) {
    const h: Harness = new SourceHarness(new TextLineFileSource(join(dir, 'input.txt'), { chunkSize: 37 }), parallelism);
    h.addAllReaders();
    await h.runAll({ interleave: true });
    if (parallelism === 1) t.same(h.output(0), lines, 'one reader: in file order');
    else t.same(sorted(h.allOutput()), sorted(lines), `${parallelism} readers`);
    await h.close();
  }
});

t.test('reads a folder: visible regular files in name order, hidden ones and sub-folders skipped', async (t) => {
  const dir = t.testdir({
    'b.txt': 'b1\nb2\n',
    'a.txt': 'a1\na2',
    '.hidden': 'nope\n',
    '.part-x.inprogress': 'nope\n',
    _SUCCESS: 'nope\n',
    sub: { 'c.txt': 'nope\n' },
    'empty.txt': '',
  });
  t.same(await listInputFiles(dir), [join(dir, 'a.txt'), join(dir, 'b.txt'), join(dir, 'empty.txt')]);
  for (const parallelism of [1, 2, 3]) {
    const h: Harness = new SourceHarness(new TextLineFileSource(dir), parallelism);
    h.addAllReaders();
    await h.runAll({ interleave: true });
    if (parallelism === 1) t.same(h.output(0), ['a1', 'a2', 'b1', 'b2']);
    else t.same(sorted(h.allOutput()), ['a1', 'a2', 'b1', 'b2']);
    await h.close();
  }
});

t.test('many files over three readers: every line once', async (t) => {
  const dir = t.testdir();
  const expected: string[] = [];
  for (let f = 0; f < 10; f++) {
    const lines = tricky(`f${f}-`, 50 + f * 10);
    expected.push(...lines);
    await writeFile(join(dir, `part-${f}`), asFile(lines, 3));
  }
  const h: Harness = new SourceHarness(new TextLineFileSource(pathToFileURL(dir), { chunkSize: 101 }), 3);
  h.addAllReaders();
  await h.runAll({ interleave: true });
  t.same(sorted(h.allOutput()), sorted(expected));
  t.equal(h.assignments.length, 10, 'one split per file');
  t.ok([0, 1, 2].every((i) => h.output(i).length > 0), 'every reader got a file');
});

t.test('line endings: CRLF, a last line without a newline, empty lines, a lone CR kept', async (t) => {
  const dir = t.testdir({ 'x.txt': 'one\r\n\r\n\ntwo\rhalf\nthree' });
  const h: Harness = new SourceHarness(new TextLineFileSource(join(dir, 'x.txt'), { chunkSize: 2 }), 1);
  h.addAllReaders();
  await h.runAll();
  t.same(h.output(0), ['one', '', '', 'two\rhalf', 'three']);
});

t.test('a line much longer than a chunk is read whole', async (t) => {
  const long = 'é'.repeat(50_000);
  const dir = t.testdir({ 'x.txt': `short\n${long}\nend\n` });
  const h: Harness = new SourceHarness(new TextLineFileSource(join(dir, 'x.txt'), { chunkSize: 1_000 }), 1);
  h.addAllReaders();
  await h.runAll();
  t.same(h.output(0), ['short', long, 'end']);
});

for (const chunkSize of [5, 64, 4096]) {
  t.test(`a reader restored from a snapshot resumes at the exact byte (chunk size ${chunkSize})`, async (t) => {
    const dir = t.testdir();
    const first = tricky('p', 300);
    const second = tricky('q', 200);
    await writeFile(join(dir, '1.txt'), asFile(first));
    await writeFile(join(dir, '2.txt'), asFile(second, 2));
    const source = new TextLineFileSource(dir, { chunkSize, recordsPerPoll: 9 });
    const before: Harness = new SourceHarness(source, 1);
    before.addAllReaders();
    await before.run(0, { stopAfter: 123 });
    await before.settle();
    const readerState = before.snapshotReader(0, 1);
    const enumState = before.snapshotEnumerator(1);
    const emitted = before.output(0).slice();
    t.equal(readerState[0]?.path, join(dir, '1.txt'));
    t.equal(readerState[0]?.offset, Buffer.byteLength(asFile(first).split('\n').slice(0, emitted.length).join('\n') + '\n'));
    await before.run(0, { stopAfter: 400 }); // lost with the failure
    await before.close();

    const after: Harness = new SourceHarness(source, 1, enumState);
    after.addReader(0, readerState);
    await after.runAll();
    t.same([...emitted, ...after.output(0)], [...first, ...second]);
  });
}

t.test('a checkpoint taken before the folder was listed lists it again on restore', async (t) => {
  const dir = t.testdir({ 'a.txt': 'x\ny\n' });
  const source = new TextLineFileSource(dir);
  const before: Harness = new SourceHarness(source, 1);
  const state = before.snapshotEnumerator(1);
  t.same(state, { pendingSplits: [], splitsDiscovered: false });
  await before.close();
  const after: Harness = new SourceHarness(source, 1, state);
  after.addAllReaders();
  await after.runAll();
  t.same(after.output(0), ['x', 'y']);
});

t.test('a missing input fails the enumerator with the path named', async (t) => {
  const dir = t.testdir();
  const missing = join(dir, 'nope');
  await t.rejects(listInputFiles(missing), FileSourceError);
  const h: Harness = new SourceHarness(new TextLineFileSource(missing), 1);
  h.addAllReaders();
  await h.settle();
  t.equal(h.coordinatorFailures.length, 1);
  t.match(String(h.coordinatorFailures[0]), /Cannot read input path '.*nope': ENOENT/);
  await h.close();
});

t.test('a file that vanished between listing and reading fails the reader', async (t) => {
  const dir = t.testdir();
  const h: Harness = new SourceHarness(new TextLineFileSource(dir), 1);
  h.addReader(0, [{ splitId: 'gone', path: join(dir, 'gone.txt'), offset: 0 }]);
  await t.rejects(h.run(0), /Cannot open file '.*gone.txt'/);
  await h.close();
});

t.test('closing a reader in the middle of a file releases it', async (t) => {
  const dir = t.testdir();
  await writeFile(join(dir, 'big.txt'), asFile(tricky('z', 5_000)));
  const h: Harness = new SourceHarness(new TextLineFileSource(dir, { chunkSize: 512, recordsPerPoll: 10 }), 1);
  h.addAllReaders();
  await h.run(0, { stopAfter: 25 });
  await h.close();
  t.ok(h.output(0).length >= 25);
});
