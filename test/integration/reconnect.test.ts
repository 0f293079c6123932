/**
 * A TaskManager outlives its JobManager: killed with SIGKILL, the JobManager goes silent; the
 * TaskManager notices by heartbeat timeout, keeps trying, and registers with the JobManager
 * started again on the same address. And the other way round: a TaskManager killed with
 * SIGKILL is dropped by the ResourceManager once its heartbeats stop.
 */
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { freePort } from '../cli/helpers.js';
import { eventually, startNode } from '../helpers/process.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const FAST_HEARTBEATS = ['-D', 'heartbeat.interval=200 ms', '-D', 'heartbeat.timeout=1500 ms'];

async function overview(restPort: number): Promise<Record<string, unknown> | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${restPort}/overview`);
    return (await res.json()) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

t.test('a TaskManager registers again with a restarted JobManager; a killed TaskManager is dropped', async (t) => {
  const rpcPort = await freePort();
  const restPort = await freePort();
  const common = ['-D', 'jobmanager.rpc.address=127.0.0.1', '-D', `jobmanager.rpc.port=${rpcPort}`, ...FAST_HEARTBEATS];
  const jobManager = () => startNode(t, MAIN, ['jobmanager', ...common, '-D', `rest.port=${restPort}`]);
  const first = jobManager();
  await first.waitForLine(/REST API listening on port/);
  const tms = [1, 2].map(() => startNode(t, MAIN, ['taskmanager', ...common, '-D', 'taskmanager.host=127.0.0.1']));
  await eventually(async () => ((await overview(restPort))?.['taskmanagers'] === 2 ? true : undefined), 20_000, 'two TaskManagers registered');

  tms[1]!.kill('SIGKILL');
  await tms[1]!.exited;
  await eventually(async () => ((await overview(restPort))?.['taskmanagers'] === 1 ? true : undefined), 10_000, 'the killed TaskManager dropped');

  first.kill('SIGKILL');
  await first.exited;
  await tms[0]!.waitForLine(/Lost the ResourceManager .* no heartbeat/);
  const second = jobManager();
  await second.waitForLine(/REST API listening on port/);
  const back = await eventually(async () => {
    const o = await overview(restPort);
    return o?.['taskmanagers'] === 1 ? o : undefined;
  }, 20_000, 'the surviving TaskManager registered with the new JobManager');
  t.match(back, { taskmanagers: 1, 'slots-total': 1, 'slots-available': 1 });
});
