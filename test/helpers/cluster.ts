/**
 * A small standalone cluster for tests: one JobManager and one TaskManager (2 slots) as
 * processes on free ports, on loopback, stopped by pid at the test's end; resolves once the
 * TaskManager is registered.
 */
import type { Test } from 'tap';
import { confDir, freePort, MAIN } from '../cli/helpers.js';
import { eventually, startNode, type Child } from './process.js';

export async function json(url: string): Promise<Record<string, unknown>> {
  return (await (await fetch(url)).json()) as Record<string, unknown>;
}

export interface TestCluster {
  readonly jm: Child;
  readonly tm: Child;
  readonly restPort: number;
  /** `http://127.0.0.1:<rest port>`. */
  readonly base: string;
  /** `-m host:port` for runnel verbs. */
  readonly m: readonly string[];
  /** The environment for runnel: a configuration folder of the test's own. */
  readonly env: NodeJS.ProcessEnv;
}

export async function startTestCluster(t: Test, blobDir: string): Promise<TestCluster> {
  const rpcPort = await freePort();
  const restPort = await freePort();
  const common = ['-D', 'jobmanager.rpc.address=127.0.0.1', '-D', `jobmanager.rpc.port=${rpcPort}`, '-D', `blob.storage.directory=${blobDir}`];
  const jm = startNode(t, MAIN, ['jobmanager', ...common, '-D', `rest.port=${restPort}`]);
  await jm.waitForLine(/REST API listening on port/);
  const tm = startNode(t, MAIN, ['taskmanager', ...common, '-D', 'taskmanager.numberOfTaskSlots=2', '-D', 'taskmanager.host=127.0.0.1']);
  const base = `http://127.0.0.1:${restPort}`;
  await eventually(async () => ((await json(`${base}/overview`))['taskmanagers'] === 1 ? true : undefined), 20_000, 'a registered TaskManager');
  return { jm, tm, restPort, base, m: ['-m', `127.0.0.1:${restPort}`], env: { RUNNEL_CONF_DIR: confDir(t) } };
}
