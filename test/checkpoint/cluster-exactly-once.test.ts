/**
 * Exactly once on a standalone cluster: sequence-check runs with checkpoints every 300 ms on a
 * JobManager and two TaskManagers (processes), while a TaskManager is killed with SIGKILL twice
 * (a replacement started each time). The job restarts from its latest checkpoint each time, its
 * sequence checks never fail, and the committed files hold every `key,seq` line exactly once.
 * The checkpoint statistics and configuration are served in Flink's shapes on the way.
 */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, MAIN, runRunnel } from '../cli/helpers.js';
import { eventually, startNode, type Child } from '../helpers/process.js';

const KEYS = 6;
const PER_KEY = 2_500;
type Json = Record<string, unknown>;

t.test('sequence-check survives two TaskManager kills with every line committed exactly once', async (t) => {
  const dir = t.testdir({ out: {}, checkpoints: {} });
  const out = join(dir, 'out');
  const rpcPort = await freePort();
  const restPort = await freePort();
  const common = [
    '-D', 'jobmanager.rpc.address=127.0.0.1',
    '-D', `jobmanager.rpc.port=${rpcPort}`,
    '-D', 'heartbeat.interval=200 ms',
    '-D', 'heartbeat.timeout=2 s',
  ];
  const jm = startNode(t, MAIN, ['jobmanager', ...common, '-D', `rest.port=${restPort}`]);
  await jm.waitForLine(/REST API listening on port/);
  const taskManager = (): Child => startNode(t, MAIN, ['taskmanager', ...common, '-D', 'taskmanager.numberOfTaskSlots=2', '-D', 'taskmanager.host=127.0.0.1']);
  const tms = [taskManager(), taskManager()];
  const base = `http://127.0.0.1:${restPort}`;
  const get = async (path: string): Promise<Json> => (await (await fetch(`${base}${path}`)).json()) as Json;
  await eventually(async () => ((await get('/overview'))['taskmanagers'] === 2 ? true : undefined), 20_000, 'two TaskManagers');

  const submitted = await runRunnel(t, [
    'run', '-d', '-m', `127.0.0.1:${restPort}`, '-p', '2',
    '-D', `execution.checkpointing.dir=${join(dir, 'checkpoints')}`,
    '-D', 'restart-strategy.type=fixed-delay', '-D', 'restart-strategy.fixed-delay.attempts=10', '-D', 'restart-strategy.fixed-delay.delay=200 ms',
    'examples/sequence-check.ts', '--keys', String(KEYS), '--events-per-key', String(PER_KEY), '--rate', '1500', '--checkpoint-interval', '300', '--output', out,
  ]);
  t.equal(submitted.code, 0, submitted.stderr);
  const jobId = /JobID ([0-9a-f]{32})/.exec(submitted.stdout)?.[1] ?? '';

  const completedCheckpoints = async (): Promise<number> => ((await get(`/jobs/${jobId}/checkpoints`))['counts'] as { completed: number }).completed;
  for (const round of [1, 2]) {
    const before = await completedCheckpoints();
    await eventually(async () => ((await completedCheckpoints()) >= before + 2 ? true : undefined), 20_000, `two more checkpoints before kill ${round}`);
    const victim = tms.shift()!;
    victim.kill('SIGKILL');
    await victim.exited;
    tms.push(taskManager());
    await eventually(async () => {
      const entries = ((await get(`/jobs/${jobId}/exceptions`))['exceptionHistory'] as { entries: Json[] }).entries;
      return entries.filter((e) => e['exceptionName'] === 'TaskManagerLostError').length >= round ? true : undefined;
    }, 20_000, `the kill ${round} noticed`);
  }

  const stats = await get(`/jobs/${jobId}/checkpoints`);
  t.match(stats, {
    counts: { completed: Number, failed: Number, in_progress: Number, total: Number, restored: Number },
    summary: { state_size: { min: Number, max: Number, avg: Number }, end_to_end_duration: { p99: Number } },
    latest: { completed: { className: 'completed', id: Number, status: 'COMPLETED', is_savepoint: false, external_path: String, num_subtasks: Number } },
    history: Array,
  });
  const config = await get(`/jobs/${jobId}/checkpoints/config`);
  t.match(config, { mode: 'exactly_once', interval: 300, timeout: Number, min_pause: 0, max_concurrent: 1, externalization: { enabled: true } });
  const latestId = ((stats['latest'] as Json)['completed'] as Json)['id'];
  t.match(await get(`/jobs/${jobId}/checkpoints/details/${String(latestId)}`), { id: latestId, status: 'COMPLETED', tasks: Object });

  await eventually(async () => ((await get(`/jobs/${jobId}/status`))['status'] === 'FINISHED' ? true : undefined), 90_000, 'the job to finish');
  const lines = readdirSync(out)
    .filter((f) => !f.startsWith('.') && !f.startsWith('_'))
    .flatMap((f) => readFileSync(join(out, f), 'utf8').split('\n').filter(Boolean));
  const expected = Array.from({ length: KEYS }, (_, k) => Array.from({ length: PER_KEY }, (_, i) => `${k},${i + 1}`)).flat();
  t.equal(lines.length, expected.length, 'every line committed once: none lost, none twice');
  t.same([...lines].sort(), [...expected].sort());
  const exceptions = ((await get(`/jobs/${jobId}/exceptions`))['exceptionHistory'] as { entries: Json[] }).entries;
  t.notOk(exceptions.some((e) => /SequenceViolation/.test(String(e['stacktrace']))), 'no sequence check ever failed');
});
