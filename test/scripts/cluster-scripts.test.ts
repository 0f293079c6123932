/**
 * The cluster scripts as an operator uses them: start-cluster.sh brings up the JobManager of
 * conf/masters and the TaskManagers of conf/workers (a repeated host: two TaskManagers),
 * returning once all are up; stop-cluster.sh stops every process it started, checked by the
 * pids in the pid files — never by name.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '../cli/helpers.js';
import { isAlive, pidsInFile } from '../helpers/process.js';

const SCRIPTS = fileURLToPath(new URL('../../scripts/', import.meta.url));
const run = promisify(execFile);

t.test('start-cluster.sh starts the masters and workers, and stop-cluster.sh leaves no process behind', async (t) => {
  const rpcPort = await freePort();
  const restPort = await freePort();
  const dir = t.testdir({
    conf: {
      'config.yaml': [
        'jobmanager.rpc.address: 127.0.0.1',
        `jobmanager.rpc.port: ${rpcPort}`,
        'taskmanager.numberOfTaskSlots: 2',
        'taskmanager.host: 127.0.0.1',
        '',
      ].join('\n'),
      masters: `# the JobManager\n127.0.0.1:${restPort}\n`,
      workers: '127.0.0.1\n127.0.0.1\n',
    },
    log: {},
    pids: {},
  });
  const env = { ...process.env, RUNNEL_CONF_DIR: join(dir, 'conf'), RUNNEL_LOG_DIR: join(dir, 'log'), RUNNEL_PID_DIR: join(dir, 'pids') };
  const pidsOf = (kind: string): number[] => pidsInFile(join(dir, 'pids'), kind);
  // Whatever happens, nothing the scripts started outlives the test.
  t.teardown(() => {
    for (const pid of [...pidsOf('jobmanager'), ...pidsOf('taskmanager')]) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  });

  const started = await run('bash', [join(SCRIPTS, 'start-cluster.sh')], { env, timeout: 120_000 });
  t.match(started.stdout, /Started jobmanager daemon \(pid \d+\)/);
  t.equal(started.stdout.match(/Started taskmanager daemon/g)?.length, 2);
  const jobManagers = pidsOf('jobmanager');
  const taskManagers = pidsOf('taskmanager');
  t.equal(jobManagers.length, 1, 'one JobManager pid recorded');
  t.equal(taskManagers.length, 2, 'two TaskManager pids recorded');
  for (const pid of [...jobManagers, ...taskManagers]) t.ok(isAlive(pid), `process ${pid} is running`);

  const overview = (await (await fetch(`http://127.0.0.1:${restPort}/overview`)).json()) as Record<string, unknown>;
  t.match(overview, { taskmanagers: 2, 'slots-total': 4 }, 'start-cluster.sh returned with every TaskManager registered');
  t.equal(readdirSync(join(dir, 'log')).filter((f) => f.endsWith('.log')).length, 3, 'a log file per process');

  const stopped = await run('bash', [join(SCRIPTS, 'stop-cluster.sh')], { env, timeout: 120_000 });
  t.match(stopped.stdout, /Stopping taskmanager daemon/);
  t.match(stopped.stdout, /Stopping jobmanager daemon/);
  for (const pid of [...jobManagers, ...taskManagers]) t.notOk(isAlive(pid), `process ${pid} is gone`);
  t.same([...pidsOf('jobmanager'), ...pidsOf('taskmanager')], [], 'the pid files are emptied');
});

t.test('jobmanager.sh and taskmanager.sh refuse an unknown action with their usage, exit 2', async (t) => {
  for (const script of ['jobmanager.sh', 'taskmanager.sh']) {
    const err = await run('bash', [join(SCRIPTS, script), 'restart']).then(() => undefined, (e: { code: number; stderr: string }) => e);
    t.equal(err?.code, 2, script);
    t.match(err?.stderr, /^Usage: /, script);
  }
});
