/**
 * Savepoints across parallelisms and state backends on a standalone cluster: sequence-check at
 * parallelism 2 with RocksDB state is stopped with a savepoint (`runnel stop --savepointPath`),
 * resumed from it at parallelism 3 with heap state (`runnel run -s`), stopped again, and resumed
 * at parallelism 1 with RocksDB state again, to the end. Keyed state and source positions carry over
 * each time, and the three runs together commit every `key,seq` line exactly once.
 */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, MAIN, runRunnel } from '../cli/helpers.js';
import { eventually, startNode } from '../helpers/process.js';

const KEYS = 6;
const PER_KEY = 1_500;
type Json = Record<string, unknown>;

t.test('stop with a savepoint at parallelism 2 on RocksDB, resume at 3 on the heap, then at 1 on RocksDB: every line exactly once', async (t) => {
  const dir = t.testdir({ out: {}, savepoints: {}, checkpoints: {} });
  const out = join(dir, 'out');
  const rpcPort = await freePort();
  const restPort = await freePort();
  const common = ['-D', 'jobmanager.rpc.address=127.0.0.1', '-D', `jobmanager.rpc.port=${rpcPort}`];
  const jm = startNode(t, MAIN, ['jobmanager', ...common, '-D', `rest.port=${restPort}`]);
  await jm.waitForLine(/REST API listening on port/);
  for (let i = 0; i < 2; i++) startNode(t, MAIN, ['taskmanager', ...common, '-D', 'taskmanager.numberOfTaskSlots=2', '-D', 'taskmanager.host=127.0.0.1']);
  const base = `http://127.0.0.1:${restPort}`;
  const get = async (path: string): Promise<Json> => (await (await fetch(`${base}${path}`)).json()) as Json;
  await eventually(async () => ((await get('/overview'))['slots-total'] === 4 ? true : undefined), 20_000, 'four slots');

  // `-m` belongs to each verb: runnel <verb> -m host:port ...
  const runnel = ([verb, ...args]: string[], timeoutMs = 60_000) => runRunnel(t, [verb!, '-m', `127.0.0.1:${restPort}`, ...args], { timeoutMs });
  const job = ['examples/sequence-check.ts', '--keys', String(KEYS), '--events-per-key', String(PER_KEY), '--rate', '1000', '--checkpoint-interval', '200', '--output', out];
  const settings = ['-D', `execution.checkpointing.dir=${join(dir, 'checkpoints')}`, '-D', `state.backend.rocksdb.localdir=${join(dir, 'rocksdb')}`];
  const rocksdb = ['-D', 'state.backend.type=rocksdb'];

  const stopWithSavepoint = async (id: string): Promise<string> => {
    // Some progress first: a completed checkpoint or two.
    await eventually(async () => (((await get(`/jobs/${id}/checkpoints`))['counts'] as { completed: number }).completed >= 2 ? true : undefined), 20_000, 'checkpoints');
    const stopped = await runnel(['stop', '--savepointPath', join(dir, 'savepoints'), id]);
    t.equal(stopped.code, 0, stopped.stderr);
    const path = /Savepoint completed\. Path: (.+)/.exec(stopped.stdout)?.[1]?.trim() ?? '';
    t.ok(path.startsWith(join(dir, 'savepoints')), `savepoint at ${path}`);
    await eventually(async () => (['CANCELED', 'FINISHED'].includes(String((await get(`/jobs/${id}/status`))['status'])) ? true : undefined), 20_000, 'the job stopped');
    return path;
  };

  const first = await runnel(['run', '-d', '-p', '2', ...settings, ...rocksdb, ...job]);
  t.equal(first.code, 0, first.stderr);
  const savepoint1 = await stopWithSavepoint(/JobID ([0-9a-f]{32})/.exec(first.stdout)?.[1] ?? '');

  const second = await runnel(['run', '-d', '-p', '3', '-s', savepoint1, ...settings, ...job]);
  t.equal(second.code, 0, second.stderr);
  const secondId = /JobID ([0-9a-f]{32})/.exec(second.stdout)?.[1] ?? '';
  t.match(await get(`/jobs/${secondId}/checkpoints`), { latest: { restored: { id: Number, is_savepoint: true, external_path: savepoint1 } } });
  const savepoint2 = await stopWithSavepoint(secondId);

  const last = await runnel(['run', '-p', '1', '-s', savepoint2, ...settings, ...rocksdb, ...job], 120_000);
  t.equal(last.code, 0, last.stderr);
  t.match(last.stdout, /has finished/);

  const lines = readdirSync(out)
    .filter((f) => !f.startsWith('.') && !f.startsWith('_'))
    .flatMap((f) => readFileSync(join(out, f), 'utf8').split('\n').filter(Boolean));
  const expected = Array.from({ length: KEYS }, (_, k) => Array.from({ length: PER_KEY }, (_, i) => `${k},${i + 1}`)).flat();
  t.equal(lines.length, expected.length, 'none lost, none twice across the three runs');
  t.same([...lines].sort(), [...expected].sort());

  const missing = await runnel(['run', '-d', '-s', join(dir, 'no-such-savepoint'), ...job]);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /No checkpoint or savepoint at .*no-such-savepoint/);

  // Another job has none of the savepoint's operators: refused, unless their state may be skipped.
  const other = ['examples/wordcount.ts', '--input', 'README.md'];
  const refused = await runnel(['run', '-d', '-s', savepoint2, ...other]);
  t.equal(refused.code, 1);
  t.match(refused.stderr, /has state for operator\(s\) .* that the job does not have.*-n/s);
  const skipped = await runnel(['run', '-n', '-s', savepoint2, ...other]);
  t.equal(skipped.code, 0, skipped.stderr);
});
