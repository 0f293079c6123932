/**
 * Incremental RocksDB checkpoints on a standalone cluster (slot workers in threads): sequence-check
 * runs at parallelism 2 with `state.backend.incremental: true` until some checkpoints completed, is
 * cancelled, and resumes from its retained checkpoint (`runnel run -s <chk-n>`) at parallelism 1,
 * which reads its key groups out of both old subtasks' RocksDB files. Every `key,seq` line is
 * committed exactly once across the two runs.
 */
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runRunnel } from '../cli/helpers.js';
import { json, startTestCluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/process.js';

const KEYS = 6;
const PER_KEY = 1_200;

t.test('cancelled at parallelism 2, resumed from an incremental checkpoint at parallelism 1: every line exactly once', async (t) => {
  const dir = t.testdir({ out: {}, checkpoints: {}, blobs: {} });
  const out = join(dir, 'out');
  const { base, m, env } = await startTestCluster(t, join(dir, 'blobs'));
  const runnel = (args: string[], timeoutMs = 60_000) => runRunnel(t, [args[0]!, ...m, ...args.slice(1)], { env, timeoutMs });
  const settings = [
    '-D', `execution.checkpointing.dir=${join(dir, 'checkpoints')}`,
    '-D', `state.backend.rocksdb.localdir=${join(dir, 'rocksdb')}`,
    '-D', 'state.backend.type=rocksdb',
    '-D', 'state.backend.incremental=true',
  ];
  const job = ['examples/sequence-check.ts', '--keys', String(KEYS), '--events-per-key', String(PER_KEY), '--rate', '1000', '--checkpoint-interval', '200', '--output', out];

  const first = await runnel(['run', '-d', '-p', '2', ...settings, ...job]);
  t.equal(first.code, 0, first.stderr);
  const id = /JobID ([0-9a-f]{32})/.exec(first.stdout)?.[1] ?? '';
  await eventually(async () => (((await json(`${base}/jobs/${id}/checkpoints`))['counts'] as { completed: number }).completed >= 3 ? true : undefined), 30_000, 'three checkpoints');
  const cancelled = await runnel(['cancel', id]);
  t.equal(cancelled.code, 0, cancelled.stderr);
  await eventually(async () => ((await json(`${base}/jobs/${id}/status`))['status'] === 'CANCELED' ? true : undefined), 20_000, 'the job cancelled');

  const jobDir = join(dir, 'checkpoints', id);
  const latest = await eventually(() => {
    const completed = readdirSync(jobDir).filter((f) => f.startsWith('chk-') && existsSync(join(jobDir, f, '_metadata')));
    return completed.length === 1 ? join(jobDir, completed[0]!) : undefined;
  }, 10_000, 'one retained checkpoint');
  t.ok(readdirSync(join(jobDir, 'shared')).length > 0, 'its RocksDB files are in the shared folder');

  const resumed = await runnel(['run', '-p', '1', '-s', latest, ...settings, ...job], 120_000);
  t.equal(resumed.code, 0, resumed.stderr);
  t.match(resumed.stdout, /has finished/);

  const lines = readdirSync(out)
    .filter((f) => !f.startsWith('.') && !f.startsWith('_'))
    .flatMap((f) => readFileSync(join(out, f), 'utf8').split('\n').filter(Boolean));
  const expected = Array.from({ length: KEYS }, (_, k) => Array.from({ length: PER_KEY }, (_, i) => `${k},${i + 1}`)).flat();
  t.equal(lines.length, expected.length, 'none lost, none twice across the two runs');
  t.same([...lines].sort(), [...expected].sort());
});
