/**
 * A JobManager and two TaskManagers as real processes on free ports: the TaskManagers register
 * with the ResourceManager over ZeroMQ, and the REST API answers with Flink's field names.
 */
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { freePort } from '../cli/helpers.js';
import { eventually, startNode } from '../helpers/process.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

async function json(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

t.test('TaskManagers register with the JobManager and the REST API shows them with Flink\'s field names', async (t) => {
  const rpcPort = await freePort();
  const restPort = await freePort();
  const common = ['-D', 'jobmanager.rpc.address=127.0.0.1', '-D', `jobmanager.rpc.port=${rpcPort}`];
  const jm = startNode(t, MAIN, ['jobmanager', ...common, '-D', `rest.port=${restPort}`]);
  await jm.waitForLine(/REST API listening on port/);
  const tms = [1, 2].map(() => startNode(t, MAIN, ['taskmanager', ...common, '-D', 'taskmanager.numberOfTaskSlots=2', '-D', 'taskmanager.host=127.0.0.1']));
  const base = `http://127.0.0.1:${restPort}`;

  const overview = await eventually(async () => {
    const { body } = await json(`${base}/overview`);
    return body['taskmanagers'] === 2 ? body : undefined;
  }, 20_000, 'two registered TaskManagers');
  t.match(overview, { taskmanagers: 2, 'slots-total': 4, 'slots-available': 4, 'jobs-running': 0, 'jobs-finished': 0, 'jobs-cancelled': 0, 'jobs-failed': 0 });
  t.type(overview['flink-version'], 'string');

  const { body: list } = await json(`${base}/taskmanagers`);
  const taskmanagers = list['taskmanagers'] as Array<Record<string, unknown>>;
  t.equal(taskmanagers.length, 2);
  for (const tm of taskmanagers) {
    t.match(tm, { id: String, path: /^tcp:\/\/127\.0\.0\.1:\d+\/taskexecutor$/, slotsNumber: 2, freeSlots: 2, hardware: { cpuCores: Number } });
  }
  const one = await json(`${base}/taskmanagers/${encodeURIComponent(String(taskmanagers[0]!['id']))}`);
  t.equal(one.status, 200);
  t.equal(one.body['id'], taskmanagers[0]!['id']);

  t.same((await json(`${base}/jobs`)).body, { jobs: [] });
  t.same((await json(`${base}/jobs/overview`)).body, { jobs: [] });
  const config = await fetch(`${base}/jobmanager/config`).then((r) => r.json() as Promise<Array<{ key: string; value: string }>>);
  t.ok(config.some((e) => e.key === 'rest.port' && e.value === String(restPort)), '/jobmanager/config lists the effective configuration');
  t.match((await json(`${base}/config`)).body, { 'refresh-interval': Number, features: { 'web-cancel': true } });

  const missing = await json(`${base}/no/such/route`);
  t.equal(missing.status, 404);
  t.match(missing.body, { errors: ['Not found: /no/such/route'] });
  const wrongMethod = await json(`${base}/overview`, { method: 'DELETE' });
  t.equal(wrongMethod.status, 405);
  const badId = await json(`${base}/jobs/not-a-job`, { method: 'PATCH' });
  t.equal(badId.status, 400);
  const unknownJob = await json(`${base}/jobs/${'0'.repeat(32)}`, { method: 'PATCH' });
  t.equal(unknownJob.status, 404);
  t.match(unknownJob.body, { errors: [/not found/] });
  t.equal((await json(`${base}/overview`)).status, 200, 'the JobManager still answers after bad requests');

  for (const tm of tms) tm.kill('SIGTERM');
  jm.kill('SIGTERM');
  t.same(await Promise.all([jm.exited, ...tms.map((tm) => tm.exited)]), [0, 0, 0], 'every process stops cleanly on SIGTERM');
});

t.test('a TaskManager pointed at a JobManager that is not there logs why and keeps retrying', async (t) => {
  const nobody = await freePort();
  const tm = startNode(t, MAIN, [
    'taskmanager',
    '-D', 'jobmanager.rpc.address=127.0.0.1',
    '-D', `jobmanager.rpc.port=${nobody}`,
    '-D', 'rpc.ask.timeout=300 ms',
    '-D', 'taskmanager.host=127.0.0.1',
  ]);
  await tm.waitForLine(/Could not register with the ResourceManager at tcp:\/\/127\.0\.0\.1:\d+\/resourcemanager: .*Retrying in 100 ms/);
  await tm.waitForLine(/Retrying in 200 ms/);
  t.pass('it retries with growing delays');
  tm.kill('SIGTERM');
  t.equal(await tm.exited, 0);
});
