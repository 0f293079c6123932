/**
 * `runnel run` against a real JobManager and TaskManager (2 slots) started as processes: the
 * job is bundled, uploaded, its graph extracted on the JobManager, its bundle fetched by the
 * TaskManager from the blob server, and run; the CLI reports how it ended.
 */
import t, { type Test } from 'tap';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { json, startTestCluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/process.js';
import { runRunnel } from './helpers.js';

const FIXTURES = 'test/fixtures';

/** Lines of the committed part files of a FileSink's folder. */
function committedLines(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => !f.startsWith('.') && !f.startsWith('_'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n'))
    .filter((l) => l !== '');
}

function scratch(t: Test, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const blobDir = scratch(t, 'runnel-blob-test-');
const { jm, tm, base, m, env } = await startTestCluster(t, blobDir);

t.test('run -d of a job with a relative and a third-party import prints the JobID, and the job finishes on the cluster', async (t) => {
  const out = scratch(t, 'runnel-closest-');
  const result = await runRunnel(t, ['run', '-d', ...m, `${FIXTURES}/submit/closest-words.ts`, '--output', out], { env });
  t.equal(result.code, 0, result.stderr);
  const jobId = /^Job has been submitted with JobID ([0-9a-f]{32})$/m.exec(result.stdout)?.[1];
  t.ok(jobId, `the JobID is printed: ${result.stdout}`);
  t.notMatch(result.stdout, /has finished/, '-d returns after submission');
  const state = await eventually(async () => {
    const jobs = (await json(`${base}/jobs`))['jobs'] as Array<{ id: string; status: string }>;
    const job = jobs.find((j) => j.id === jobId);
    return job?.status === 'FINISHED' || job?.status === 'FAILED' ? job.status : undefined;
  }, 30_000, 'the job to end');
  t.equal(state, 'FINISHED');
  t.same(committedLines(out).sort(), ['flinc,flink', 'runel,runnel', 'strem,stream', 'windo,window']);
  t.match(readdirSync(blobDir), [/^blobStore-/], 'the JobManager keeps its blobs under blob.storage.directory');
});

t.test('attached run of examples/wordcount.ts at parallelism 2 exits 0 with the exact counts', async (t) => {
  const dir = scratch(t, 'runnel-wordcount-');
  const text = 'To be, or not to be,--that is the question:--\nWhether tis nobler in the mind to suffer\nThe slings and arrows of outrageous fortune\n';
  const input = join(dir, 'input.txt');
  writeFileSync(input, text);
  const output = join(dir, 'out');
  const expected = new Map<string, number>();
  for (const word of text.toLowerCase().split(/[^a-z0-9]+/)) if (word !== '') expected.set(word, (expected.get(word) ?? 0) + 1);

  const result = await runRunnel(t, ['run', ...m, '-p', '2', 'examples/wordcount.ts', '--input', input, '--output', output, '--execution-mode', 'batch'], { env });
  t.equal(result.code, 0, result.stderr);
  const jobId = /^Job has been submitted with JobID ([0-9a-f]{32})$/m.exec(result.stdout)?.[1];
  t.match(result.stdout, new RegExp(`^Job with JobID ${jobId} has finished\\.$`, 'm'));
  const counts = committedLines(output).map((l) => l.split(','));
  t.same(new Map(counts.map(([w, c]) => [w!, Number(c)])), expected, 'one line per word with its count');
  t.equal(counts.length, expected.size, 'no word twice');
});

t.test('attached run of a job whose map function throws exits 1 printing the cause and where it was thrown', async (t) => {
  const result = await runRunnel(t, ['run', ...m, `${FIXTURES}/jobs/throwing.ts`, '--parallelism', '2'], { env });
  t.equal(result.code, 1);
  t.match(result.stdout, /^Job has been submitted with JobID [0-9a-f]{32}$/m);
  t.match(result.stderr, /The program finished with the following exception:\n\nJob failed \(JobID: [0-9a-f]{32}, status FAILED\)\.\nCaused by: RangeError: record 500 is out of range\n\s+at Boom\.map \(.*throwing\.ts:6:/);
});

t.test('run of a job whose main throws prints the exception with its stack, exit 1, and the JobManager keeps serving', async (t) => {
  const result = await runRunnel(t, ['run', ...m, `${FIXTURES}/submit/main-throws.ts`], { env });
  t.equal(result.code, 1);
  t.equal(result.stdout, '', 'no job was submitted');
  t.match(
    result.stderr,
    /^The program 'test\/fixtures\/submit\/main-throws\.ts' finished with the following exception:\nRangeError: no such source: kafka\n\s+at connectToSource \(.*main-throws\.ts:3:/,
  );
  const overview = await fetch(`${base}/overview`);
  t.equal(overview.status, 200);
  t.match(await overview.json(), { taskmanagers: 1, 'slots-available': 2 });
  t.same((await json(`${base}/jars`))['files'], [], 'the uploaded bundle was deleted after the run');
});

t.test('the JobManager and the TaskManager stop cleanly and remove their blob folders', async (t) => {
  tm.kill('SIGTERM');
  jm.kill('SIGTERM');
  t.same(await Promise.all([jm.exited, tm.exited]), [0, 0]);
  t.same(readdirSync(blobDir), [], 'blob.storage.directory is left empty');
});
