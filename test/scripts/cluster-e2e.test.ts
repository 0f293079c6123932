/**
 * A standalone cluster end to end, as an operator runs it: start-cluster.sh brings up one
 * JobManager and two TaskManagers with two slots each; WordCount at parallelism 4 spreads over
 * both and counts exactly what `tr | sort | uniq -c` counts; the REST API answers in Flink's
 * shapes; streaming jobs are cancelled with `runnel cancel` and with PATCH; a TaskManager
 * killed with SIGKILL fails its tasks within heartbeat.timeout, and with a fixed-delay restart
 * and a new TaskManager the job runs again; stop-cluster.sh leaves no process behind.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, runRunnel } from '../cli/helpers.js';
import { eventually, isAlive, pidsInFile } from '../helpers/process.js';

const SCRIPTS = fileURLToPath(new URL('../../scripts/', import.meta.url));
const ENDLESS = 'test/fixtures/jobs/endless.ts';
const HEARTBEAT_TIMEOUT_MS = 2_000;
const run = promisify(execFile);
type Json = Record<string, unknown>;

t.test('a two-TaskManager cluster runs, cancels and recovers jobs, and stops without a trace', async (t) => {
  const rpcPort = await freePort();
  const restPort = await freePort();
  const text = ['The quick brown fox; the LAZY dog.', 'Fox, fox, FOX! 42 dogs and 4.2 foxes', '', 'the end -- the END'].join('\n');
  const dir = t.testdir({
    conf: {
      'config.yaml': [
        'jobmanager.rpc.address: 127.0.0.1',
        `jobmanager.rpc.port: ${rpcPort}`,
        // Where `runnel` finds the REST API; conf/masters says the same for the scripts.
        'rest.address: 127.0.0.1',
        `rest.port: ${restPort}`,
        'taskmanager.numberOfTaskSlots: 2',
        'taskmanager.host: 127.0.0.1',
        'heartbeat.interval: 250 ms',
        `heartbeat.timeout: ${HEARTBEAT_TIMEOUT_MS} ms`,
        'restart-strategy.type: fixed-delay',
        'restart-strategy.fixed-delay.attempts: 5',
        'restart-strategy.fixed-delay.delay: 200 ms',
        '',
      ].join('\n'),
      masters: `127.0.0.1:${restPort}\n`,
      workers: '127.0.0.1\n127.0.0.1\n',
    },
    'input.txt': text,
    out: {},
    log: {},
    pids: {},
  });
  const env = { ...process.env, RUNNEL_CONF_DIR: join(dir, 'conf'), RUNNEL_LOG_DIR: join(dir, 'log'), RUNNEL_PID_DIR: join(dir, 'pids') };
  const pidsOf = (kind: string): number[] => pidsInFile(join(dir, 'pids'), kind);
  const started: number[] = [];
  t.teardown(() => {
    for (const pid of new Set([...started, ...pidsOf('jobmanager'), ...pidsOf('taskmanager')])) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  });
  const base = `http://127.0.0.1:${restPort}`;
  const get = async (path: string): Promise<Json> => (await (await fetch(`${base}${path}`)).json()) as Json;
  const runnel = (args: string[], timeoutMs = 60_000) => runRunnel(t, args, { env, timeoutMs });

  await run('bash', [join(SCRIPTS, 'start-cluster.sh')], { env, timeout: 120_000 });
  started.push(...pidsOf('jobmanager'), ...pidsOf('taskmanager'));
  t.match(await get('/overview'), { taskmanagers: 2, 'slots-total': 4, 'slots-available': 4 });
  const tms = (await get('/taskmanagers'))['taskmanagers'] as Json[];
  t.equal(tms.length, 2);
  for (const tm of tms) t.match(tm, { id: String, path: String, slotsNumber: 2, freeSlots: 2, timeSinceLastHeartbeat: Number, hardware: Object });

  // WordCount at parallelism 4 over both TaskManagers, records crossing between them.
  const out = join(dir, 'out');
  const wordcount = await runnel(['run', '-p', '4', 'examples/wordcount.ts', '--input', join(dir, 'input.txt'), '--output', out]);
  t.equal(wordcount.code, 0, wordcount.stderr);
  const jobId = /Job has been submitted with JobID ([0-9a-f]{32})/.exec(wordcount.stdout)?.[1] ?? '';
  t.match(wordcount.stdout, `Job with JobID ${jobId} has finished.`);
  const finalCounts = new Map<string, number>();
  for (const file of readdirSync(out).filter((f) => !f.startsWith('.'))) {
    for (const line of readFileSync(join(out, file), 'utf8').split('\n').filter(Boolean)) {
      const [word, count] = line.split(',');
      finalCounts.set(word!, Math.max(finalCounts.get(word!) ?? 0, Number(count)));
    }
  }
  const { stdout: uniq } = await run('bash', ['-c', `tr 'A-Z' 'a-z' < '${join(dir, 'input.txt')}' | tr -cs 'a-z0-9' '\\n' | grep -v '^$' | sort | uniq -c`]);
  const expected = new Map(
    uniq
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .map(([count, word]) => [word!, Number(count)] as const),
  );
  t.same(Object.fromEntries([...finalCounts].sort()), Object.fromEntries([...expected].sort()), 'exactly the counts of tr | sort | uniq -c');
  const details = await get(`/jobs/${jobId}`);
  t.match(details, { jid: jobId, state: 'FINISHED', vertices: Array, timestamps: { FINISHED: Number }, plan: { jid: jobId } });
  const jobsOverview = (await get('/jobs/overview'))['jobs'] as Json[];
  t.match(jobsOverview.find((j) => j['jid'] === jobId), { name: String, state: 'FINISHED', 'start-time': Number, 'end-time': Number, duration: Number });
  const hosts = new Set<unknown>();
  for (const v of details['vertices'] as Json[]) {
    const vertex = await get(`/jobs/${jobId}/vertices/${String(v['id'])}`);
    for (const s of vertex['subtasks'] as Json[]) hosts.add(s['taskmanager-id']);
  }
  t.equal(hosts.size, 2, 'the subtasks ran on both TaskManagers');

  // A streaming job cancelled with `runnel cancel`, another with PATCH.
  for (const how of ['runnel cancel', 'PATCH'] as const) {
    const submitted = await runnel(['run', '-d', ENDLESS, '--parallelism', '2']);
    t.equal(submitted.code, 0, submitted.stderr);
    const id = /JobID ([0-9a-f]{32})/.exec(submitted.stdout)?.[1] ?? '';
    await eventually(async () => ((await get(`/jobs/${id}`))['state'] === 'RUNNING' ? true : undefined), 20_000, `job ${id} running`);
    if (how === 'PATCH') {
      t.equal((await fetch(`${base}/jobs/${id}?mode=cancel`, { method: 'PATCH' })).status, 202);
    } else {
      const cancelled = await runnel(['cancel', id]);
      t.match(cancelled.stdout, `Cancelled job ${id}.`);
    }
    await eventually(async () => ((await get(`/jobs/${id}/status`))['status'] === 'CANCELED' ? true : undefined), 20_000, `job ${id} cancelled by ${how}`);
    t.pass(`cancelled by ${how}`);
  }
  await eventually(async () => ((await get('/overview'))['slots-available'] === 4 ? true : undefined), 10_000, 'every slot free again');

  // kill -9 of a TaskManager under a running job of parallelism 4 (all four slots).
  const submitted = await runnel(['run', '-d', ENDLESS, '--parallelism', '4']);
  const id = /JobID ([0-9a-f]{32})/.exec(submitted.stdout)?.[1] ?? '';
  const allRunning = (job: Json): boolean => {
    const subtasks = (job['vertices'] as Json[]).reduce((n, v) => n + (v['parallelism'] as number), 0);
    return job['state'] === 'RUNNING' && (job['status-counts'] as Record<string, number>)['RUNNING'] === subtasks;
  };
  await eventually(async () => (allRunning(await get(`/jobs/${id}`)) ? true : undefined), 20_000, 'every subtask running');
  const victim = pidsOf('taskmanager')[0]!;
  process.kill(victim, 'SIGKILL');
  const killedAt = Date.now();
  const failure = await eventually(async () => {
    const entries = ((await get(`/jobs/${id}/exceptions`))['exceptionHistory'] as { entries: Json[] }).entries;
    return entries.find((e) => e['exceptionName'] === 'TaskManagerLostError');
  }, 20_000, 'the lost TaskManager in the exception history');
  const detectedIn = (failure['timestamp'] as number) - killedAt;
  t.ok(detectedIn <= HEARTBEAT_TIMEOUT_MS + 1_000, `tasks failed ${detectedIn} ms after the kill (heartbeat.timeout ${HEARTBEAT_TIMEOUT_MS} ms)`);
  t.match(failure['stacktrace'], /no heartbeat/);
  t.match(await get(`/jobs/${id}/status`), { status: /RESTARTING|RUNNING/ }, 'restarting, not failed');

  // Two slots are left; a new TaskManager brings the job back to all four.
  await run('bash', [join(SCRIPTS, 'taskmanager.sh'), 'start'], { env, timeout: 60_000 });
  started.push(...pidsOf('taskmanager'));
  await eventually(async () => (allRunning(await get(`/jobs/${id}`)) ? true : undefined), 30_000, 'the job running again on four slots');
  t.pass('the job runs again after a new TaskManager joined');
  t.equal((await runnel(['cancel', id])).code, 0);

  const stopped = await run('bash', [join(SCRIPTS, 'stop-cluster.sh')], { env, timeout: 120_000 });
  t.match(stopped.stdout, /Stopping jobmanager daemon/);
  for (const pid of new Set(started)) t.notOk(isAlive(pid), `process ${pid} is gone`);
});
