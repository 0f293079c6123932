/**
 * The file sink's two-phase commit, driven as the runtime drives it: on a checkpoint
 * `flush(false)` then `prepareCommit`, the committables stored (through CBOR, as a checkpoint
 * stores them), committed when the checkpoint completes, committed again on restore.
 */
import { readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import {
  DefaultRollingPolicy,
  FileCommitter,
  FileSink,
  FileSinkError,
  FileSinkWriter,
  isHiddenFileName,
  simpleStringEncoder,
  type FileSinkCommittable,
} from '../../src/connectors/index.js';
import { overTheWire, range, sorted } from './harness.js';

const context = (indexOfSubtask: number, attemptNumber = 0, parallelism = 1) => ({ indexOfSubtask, parallelism, attemptNumber });

/** The lines of every committed (visible) file in `dir`, sorted as numbers. */
async function committedLines(dir: string): Promise<number[]> {
  const lines: number[] = [];
  for (const name of await readdir(dir)) {
    if (isHiddenFileName(name)) continue;
    const text = await readFile(join(dir, name), 'utf8');
    for (const line of text.split('\n')) if (line !== '') lines.push(Number(line));
  }
  return sorted(lines, (a, b) => a - b);
}

async function visibleNames(dir: string): Promise<string[]> {
  return sorted((await readdir(dir)).filter((n) => !isHiddenFileName(n)));
}

/** What the runtime does on a checkpoint barrier: flush, prepare, and store the committables. */
async function checkpoint(writer: FileSinkWriter<number>, id: number): Promise<FileSinkCommittable[]> {
  await writer.flush(false);
  return overTheWire(await writer.prepareCommit(id));
}

function writeAll(writer: FileSinkWriter<number>, values: readonly number[]): void {
  for (const v of values) writer.write(v);
}

t.test('each completed checkpoint publishes exactly what was written before it', async (t) => {
  const dir = t.testdir();
  const sink = FileSink.forRowFormat<number>(dir).build();
  const writer = sink.createWriter(context(0));
  const committer = sink.createCommitter(context(0));

  writeAll(writer, range(0, 100));
  const chk1 = await checkpoint(writer, 1);
  t.equal(chk1.length, 1, 'one committable: the part closed by the checkpoint');
  const [c] = chk1;
  t.match(c, { pendingPath: join(dir, `.part-${writer.uid}-0-0.inprogress`), finalPath: join(dir, `part-${writer.uid}-0-0`) });
  t.equal(c?.size, Buffer.byteLength(range(0, 100).join('\n') + '\n'), 'the committable records the size');
  writeAll(writer, range(100, 150));
  await writer.flush(false);
  t.same(await visibleNames(dir), [], 'nothing visible before the checkpoint completes');

  await committer.commit(chk1);
  t.same(await committedLines(dir), range(0, 100), 'checkpoint 1 published 0..99, and only that');

  writeAll(writer, range(150, 200));
  const chk2 = await checkpoint(writer, 2);
  writeAll(writer, range(200, 250));
  await writer.flush(false);
  await committer.commit(chk2);
  t.same(await committedLines(dir), range(0, 200), 'checkpoint 2 published 100..199; 200..249 wait for the next one');
  t.same(await visibleNames(dir), [`part-${writer.uid}-0-0`, `part-${writer.uid}-0-1`], 'one part per checkpoint');
  t.equal(committer.committed, 2);
  await writer.close();
});

t.test('a checkpoint that never completes publishes nothing', async (t) => {
  const dir = t.testdir();
  const writer = FileSink.forRowFormat<number>(dir).build().createWriter(context(0));
  writeAll(writer, range(0, 100));
  const chk1 = await checkpoint(writer, 1);
  t.equal(chk1.length, 1);
  writeAll(writer, range(100, 120));
  await writer.close();
  t.same(await visibleNames(dir), []);
  t.ok((await readdir(dir)).every((n) => n.startsWith('.') && n.endsWith('.inprogress')), 'only hidden files');
});

t.test('committing again (a restore) changes nothing', async (t) => {
  const dir = t.testdir();
  const sink = FileSink.forRowFormat<number>(dir).build();
  const writer = sink.createWriter(context(0));
  writeAll(writer, range(0, 10));
  const chk1 = await checkpoint(writer, 1);
  const committer = sink.createCommitter(context(0));
  await committer.commit(chk1);
  await committer.commit(chk1);
  const restored = new FileCommitter(context(0, 1));
  await restored.commit(overTheWire(chk1));
  t.same(await committedLines(dir), range(0, 10));
  t.equal(committer.committed, 1);
  t.equal(committer.alreadyCommitted, 1);
  t.equal(restored.alreadyCommitted, 1);
  t.same(await visibleNames(dir), [`part-${writer.uid}-0-0`]);
  await writer.close();
});

t.test('a crash between prepareCommit and commit, then restore and recommit, publishes every record once', async (t) => {
  const dir = t.testdir();
  const sink = FileSink.forRowFormat<number>(dir)
    .withRollingPolicy(DefaultRollingPolicy.builder().withMaxPartSize(64).build())
    .build();
  // Attempt 0: checkpoint 1 is taken (and completes on the JobManager), but the task dies
  // before its completion reaches it; records after the checkpoint were written too.
  const first = sink.createWriter(context(0, 0));
  writeAll(first, range(0, 100));
  const chk1 = await checkpoint(first, 1);
  t.ok(chk1.length > 1, `the size policy rolled several parts before the checkpoint (${chk1.length})`);
  writeAll(first, range(100, 150));
  await first.flush(false);
  await first.close();
  t.same(await visibleNames(dir), []);

  // Attempt 1: restore commits checkpoint 1's committables; the source replays from 100.
  const second = sink.createWriter(context(0, 1));
  t.not(second.uid, first.uid);
  t.match(second.uid, /^[0-9a-f]{8}-a1$/, 'the uid names the attempt');
  await sink.createCommitter(context(0, 1)).commit(chk1);
  t.same(await committedLines(dir), range(0, 100));
  writeAll(second, range(100, 200));
  const chk2 = await checkpoint(second, 2);
  // The completion of checkpoint 2 arrives twice (once late, after another failover).
  const committer = sink.createCommitter(context(0, 1));
  await committer.commit(chk2);
  await committer.commit(chk2);
  t.same(await committedLines(dir), range(0, 200), '0..199, each exactly once');
  const hidden = (await readdir(dir)).filter(isHiddenFileName);
  t.ok(hidden.length > 0 && hidden.every((n) => n.includes('-a0-')), 'what attempt 0 wrote after the checkpoint stays hidden');
  await second.close();
});

t.test("with 'publish', end of input publishes everything not committed yet", async (t) => {
  const dir = t.testdir();
  const sink = FileSink.forRowFormat<number>(dir).build();
  const writer = new FileSinkWriter<number>(dir, context(0), simpleStringEncoder, DefaultRollingPolicy.of(1 << 20), { partPrefix: 'part', partSuffix: '' }, 'publish');
  writeAll(writer, range(0, 50));
  const chk1 = await checkpoint(writer, 1);
  writeAll(writer, range(50, 80));
  // The completion of checkpoint 1 has not reached the task when the input ends.
  await writer.flush(true);
  t.same(await committedLines(dir), range(0, 80));
  t.same(overTheWire(await writer.prepareCommit(2)), [], 'a checkpoint after the end has nothing left to commit');
  await sink.createCommitter(context(0)).commit(chk1);
  t.same(await committedLines(dir), range(0, 80), 'the late completion is a no-op');
  t.same((await readdir(dir)).filter(isHiddenFileName), [], 'no hidden file left');
  await writer.close();
});

t.test("with 'final-checkpoint' (the default), end of input leaves the last part to the final checkpoint", async (t) => {
  const dir = t.testdir();
  const sink = FileSink.forRowFormat<number>(dir).build();
  const writer = new FileSinkWriter<number>(dir, context(0), simpleStringEncoder, DefaultRollingPolicy.of(1 << 20), { partPrefix: 'part', partSuffix: '' }, 'final-checkpoint');
  const committer = sink.createCommitter(context(0));
  writeAll(writer, range(0, 50));
  await committer.commit(await checkpoint(writer, 1));
  writeAll(writer, range(50, 80));
  await writer.flush(true);
  t.same(await committedLines(dir), range(0, 50), 'the tail is not published by end of input');
  const last = overTheWire(await writer.prepareCommit(2));
  t.equal(last.length, 1, 'the final checkpoint carries the last part');
  await committer.commit(last);
  t.same(await committedLines(dir), range(0, 80));
  await writer.close();
});

t.test('without checkpoints nothing changes: one publish at end of input', async (t) => {
  const dir = t.testdir();
  const writer = FileSink.forRowFormat<number>(dir).build().createWriter(context(3, 2, 4));
  writeAll(writer, range(0, 30));
  await writer.flush(false);
  t.same(await visibleNames(dir), []);
  await writer.flush(true);
  t.same(await visibleNames(dir), [`part-${writer.uid}-3-0`]);
  t.match(writer.uid, /^[0-9a-f]{8}-a2$/);
  t.same(await committedLines(dir), range(0, 30));
  await writer.close();
});

t.test('a checkpoint with nothing written has no committables', async (t) => {
  const dir = t.testdir();
  const writer = FileSink.forRowFormat<number>(dir).build().createWriter(context(0));
  t.same(await checkpoint(writer, 1), []);
  writeAll(writer, [1]);
  t.equal((await checkpoint(writer, 2)).length, 1);
  t.same(await checkpoint(writer, 3), []);
  await writer.close();
});

t.test('commit failures name the files', async (t) => {
  const dir = t.testdir();
  const sink = FileSink.forRowFormat<number>(dir).build();
  const committer = sink.createCommitter(context(0));

  const lost = { pendingPath: join(dir, '.part-x-a0-0-0.inprogress'), finalPath: join(dir, 'part-x-a0-0-0'), size: 3 };
  const both = await committer.commit([lost]).then(
    () => undefined,
    (error: unknown) => error,
  );
  t.type(both, FileSinkError);
  t.match(String(both), lost.pendingPath, 'names the pending file');
  t.match(String(both), lost.finalPath, 'names the final file');

  const writer = sink.createWriter(context(0));
  writeAll(writer, range(0, 10));
  const [c] = await checkpoint(writer, 1);
  if (c === undefined) throw new Error('no committable');
  await truncate(c.pendingPath, 5);
  await t.rejects(committer.commit([c]), new RegExp(`recorded ${c.size} bytes, found 5.*${escape(c.pendingPath)}`));

  writeAll(writer, range(10, 20));
  const [d] = await checkpoint(writer, 2);
  if (d === undefined) throw new Error('no committable');
  await writeFile(d.finalPath, 'someone else\n');
  await t.rejects(committer.commit([d]), new RegExp(`${escape(d.pendingPath)}.*overwrite.*${escape(d.finalPath)}`));
  t.equal(await readFile(d.finalPath, 'utf8'), 'someone else\n', 'the existing file is left alone');
  await rm(d.finalPath);
  await committer.commit([d]);
  t.same(await committedLines(dir), range(10, 20), 'and the commit succeeds once the way is clear');
  await writer.close();
});

t.test('prepareCommit fails with the path when the part cannot be written, and after close', async (t) => {
  const dir = join(t.testdir({ taken: 'not a folder' }), 'taken');
  const writer = FileSink.forRowFormat<number>(dir).build().createWriter(context(0));
  writer.write(1);
  await t.rejects(writer.prepareCommit(1), /taken/);
  await writer.close().catch(() => undefined);

  const ok = FileSink.forRowFormat<number>(t.testdir()).build().createWriter(context(0));
  await ok.close();
  await t.rejects(ok.prepareCommit(1), FileSinkError);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
