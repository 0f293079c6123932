/**
 * `list`, `cancel`, `savepoint` and `stop` against a fake JobManager REST server: the method,
 * path and JSON body they send, and Flink's output lines they print.
 */
import t, { type Test } from 'tap';
import { confDir, fakeRestServer, freePort, JOB_ID, runInProcess, runRunnel, type FakeReply, type RecordedRequest } from './helpers.js';

// Job start times below are printed in the local time zone; pin it.
process.env['TZ'] = 'UTC';

const OTHER_ID = '0123456789abcdef0123456789abcdef';
const T0 = Date.UTC(2024, 1, 3, 4, 5, 6); // 03.02.2024 04:05:06

function overviewJob(jid: string, name: string, state: string, startTime: number): Record<string, unknown> {
  return { jid, name, state, 'start-time': startTime, 'end-time': -1, duration: 1000, 'last-modification': startTime, tasks: {} };
}

const JOBS = [
  overviewJob(OTHER_ID, 'Second job', 'RESTARTING', T0 + 1000),
  overviewJob(JOB_ID, 'WordCount', 'RUNNING', T0),
  overviewJob('11111111111111111111111111111111', 'Starting', 'INITIALIZING', T0 + 2000),
  overviewJob('22222222222222222222222222222222', 'Old one', 'FINISHED', T0 - 60_000),
  overviewJob('33333333333333333333333333333333', 'Broken', 'FAILED', T0 - 30_000),
];

function overviewServer(t: Test, jobs: readonly unknown[]) {
  return fakeRestServer(t, (req) => (req.method === 'GET' && req.url === '/jobs/overview' ? { status: 200, body: { jobs } } : { status: 404, body: { errors: ['Not found: ' + req.url] } }));
}

t.test('list prints running and scheduled jobs in Flink’s layout, oldest first', async (t) => {
  const server = await overviewServer(t, JOBS);
  const result = await runInProcess(['list', '-m', server.address], { RUNNEL_CONF_DIR: confDir(t) });
  t.equal(result.code, 0, result.stderr);
  t.equal(
    result.stdout,
    [
      'Waiting for response...',
      '------------------ Running/Restarting Jobs -------------------',
      `03.02.2024 04:05:06 : ${JOB_ID} : WordCount (RUNNING)`,
      `03.02.2024 04:05:07 : ${OTHER_ID} : Second job (RESTARTING)`,
      '--------------------------------------------------------------',
      '----------------------- Scheduled Jobs -----------------------',
      '03.02.2024 04:05:08 : 11111111111111111111111111111111 : Starting (INITIALIZING)',
      '--------------------------------------------------------------',
      '',
    ].join('\n'),
  );
  t.same(server.requests.map((r) => [r.method, r.url]), [['GET', '/jobs/overview']]);
});

t.test('list -a adds the terminated jobs; -r shows only running ones', async (t) => {
  const server = await overviewServer(t, JOBS);
  const env = { RUNNEL_CONF_DIR: confDir(t) };
  const all = await runInProcess(['list', '-a', '-m', server.address], env);
  t.equal(all.code, 0);
  t.match(all.stdout, /---------------------- Terminated Jobs -----------------------\n03\.02\.2024 04:04:06 : 2{32} : Old one \(FINISHED\)\n03\.02\.2024 04:04:36 : 3{32} : Broken \(FAILED\)\n-{62}\n$/);
  const running = await runInProcess(['list', '--running', '-m', server.address], env);
  t.notMatch(running.stdout, /Scheduled|Terminated|INITIALIZING/);
  t.match(running.stdout, /WordCount \(RUNNING\)/);
});

t.test('list with no jobs says so, as Flink does', async (t) => {
  const server = await overviewServer(t, []);
  const result = await runInProcess(['list', '-m', server.address], { RUNNEL_CONF_DIR: confDir(t) });
  t.equal(result.stdout, 'Waiting for response...\nNo running jobs.\nNo scheduled jobs.\n');
});

t.test('list finds the REST endpoint from rest.address and rest.port in the configuration', async (t) => {
  const server = await overviewServer(t, []);
  const dir = confDir(t, `rest:\n  address: 127.0.0.1\n  port: ${server.port}\n`);
  const result = await runInProcess(['list'], { RUNNEL_CONF_DIR: dir });
  t.equal(result.code, 0, result.stderr);
  t.equal(server.requests.length, 1);
});

t.test('-D overrides the configured REST port', async (t) => {
  const server = await overviewServer(t, []);
  const dir = confDir(t, 'rest.address: 127.0.0.1\nrest.port: 1\n');
  const result = await runInProcess(['list', '-D', `rest.port=${server.port}`], { RUNNEL_CONF_DIR: dir });
  t.equal(result.code, 0, result.stderr);
});

t.test('a real list process prints the jobs and exits 0 without waiting on idle connections', async (t) => {
  const server = await overviewServer(t, JOBS);
  const started = Date.now();
  const result = await runRunnel(t, ['list', '-m', server.address], { env: { TZ: 'UTC', RUNNEL_CONF_DIR: confDir(t) } });
  t.equal(result.code, 0, result.stderr);
  t.match(result.stdout, `03.02.2024 04:05:06 : ${JOB_ID} : WordCount (RUNNING)`);
  t.ok(Date.now() - started < 15_000);
});

t.test('list against a closed port prints the connection message and exits 1', async (t) => {
  const port = await freePort();
  const result = await runRunnel(t, ['list', '-m', `127.0.0.1:${port}`], { env: { RUNNEL_CONF_DIR: confDir(t) } });
  t.equal(result.code, 1);
  t.equal(
    result.stderr,
    `Could not connect to the JobManager at http://127.0.0.1:${port} (connection refused). Is the cluster running? ` +
      'Start it with scripts/start-cluster.sh, or point -m / rest.address at it.\n',
  );
});

t.test('cancel sends PATCH /jobs/:id?mode=cancel and prints Cancelled job <id>.', async (t) => {
  const server = await fakeRestServer(t, () => ({ status: 202, body: {} }));
  const result = await runInProcess(['cancel', '-m', server.address, JOB_ID], { RUNNEL_CONF_DIR: confDir(t) });
  t.equal(result.code, 0, result.stderr);
  t.equal(result.stdout, `Cancelling job ${JOB_ID}.\nCancelled job ${JOB_ID}.\n`);
  t.same(server.requests.map((r) => [r.method, r.url, r.body]), [['PATCH', `/jobs/${JOB_ID}?mode=cancel`, undefined]]);
});

t.test("a REST error's messages are shown with what was being done, exit 1", async (t) => {
  const server = await fakeRestServer(t, () => ({
    status: 404,
    body: { errors: [`Job ${JOB_ID} not found`, 'java.lang.Exception: trace\n\tat somewhere'] },
  }));
  const result = await runInProcess(['cancel', '-m', server.address, JOB_ID], { RUNNEL_CONF_DIR: confDir(t) });
  t.equal(result.code, 1);
  t.equal(result.stderr, `Could not cancel job ${JOB_ID}: Job ${JOB_ID} not found; java.lang.Exception: trace\n`);
});

/** A savepoint operation that is in progress for `pending` polls, then ends with `final`. */
function savepointServer(t: Test, pending: number, final: Record<string, unknown>) {
  let polls = 0;
  return fakeRestServer(t, (req: RecordedRequest): FakeReply => {
    if (req.method === 'POST') return { status: 202, body: { 'request-id': 'trigger-1' } };
    if (req.method === 'GET' && req.url === `/jobs/${JOB_ID}/savepoints/trigger-1`) {
      polls++;
      return polls <= pending ? { status: 200, body: { status: { id: 'IN_PROGRESS' } } } : { status: 200, body: { status: { id: 'COMPLETED' }, operation: final } };
    }
    return { status: 404, body: { errors: ['unexpected ' + req.method + ' ' + req.url] } };
  });
}

t.test('savepoint posts the target directory, polls until COMPLETED and prints the path', async (t) => {
  const server = await savepointServer(t, 2, { location: 'file:/tmp/sp/savepoint-5e20cb-0123456789ab' });
  const result = await runInProcess(['savepoint', '-m', server.address, JOB_ID, '/tmp/sp'], { RUNNEL_CONF_DIR: confDir(t) });
  t.equal(result.code, 0, result.stderr);
  t.equal(
    result.stdout,
    [
      `Triggering savepoint for job ${JOB_ID}.`,
      'Waiting for response...',
      'Savepoint completed. Path: file:/tmp/sp/savepoint-5e20cb-0123456789ab',
      'You can resume your program from this savepoint with the run command.',
      '',
    ].join('\n'),
  );
  const [trigger, ...polls] = server.requests;
  t.same([trigger!.method, trigger!.url, trigger!.body], ['POST', `/jobs/${JOB_ID}/savepoints`, { 'target-directory': '/tmp/sp', 'cancel-job': false }]);
  t.equal(trigger!.contentType, 'application/json');
  t.equal(polls.length, 3, 'polled until COMPLETED');
  t.ok(polls.every((p) => p.method === 'GET' && p.url === `/jobs/${JOB_ID}/savepoints/trigger-1`));
});

t.test('savepoint without a directory leaves the choice to the cluster', async (t) => {
  const server = await savepointServer(t, 0, { location: 'file:/default/savepoint-1' });
  const result = await runInProcess(['savepoint', '-m', server.address, JOB_ID], { RUNNEL_CONF_DIR: confDir(t) });
  t.equal(result.code, 0, result.stderr);
  t.same(server.requests[0]!.body, { 'cancel-job': false });
});

t.test("a failed savepoint prints the JobManager's failure cause and exits 1", async (t) => {
  const server = await savepointServer(t, 1, {
    'failure-cause': { class: 'java.util.concurrent.CompletionException', 'stack-trace': 'CheckpointException: Checkpoint expired before completing.\n\tat x' },
  });
  const result = await runInProcess(['savepoint', '-m', server.address, JOB_ID], { RUNNEL_CONF_DIR: confDir(t) });
  t.equal(result.code, 1);
  t.equal(result.stderr, `Triggering a savepoint for the job ${JOB_ID} failed: CheckpointException: Checkpoint expired before completing.\n`);
  t.notMatch(result.stdout, /Savepoint completed/);
});

t.test('stop posts targetDirectory and drain to /jobs/:id/stop, polls, and prints the path', async (t) => {
  const server = await savepointServer(t, 1, { location: 'file:/tmp/sp/savepoint-5e20cb-final' });
  const result = await runInProcess(['stop', '--savepointPath', '/tmp/sp', '--drain', '-m', server.address, JOB_ID], { RUNNEL_CONF_DIR: confDir(t) });
  t.equal(result.code, 0, result.stderr);
  t.equal(result.stdout, `Draining job "${JOB_ID}" with a CANONICAL savepoint.\nSavepoint completed. Path: file:/tmp/sp/savepoint-5e20cb-final\n`);
  t.same([server.requests[0]!.method, server.requests[0]!.url, server.requests[0]!.body], ['POST', `/jobs/${JOB_ID}/stop`, { targetDirectory: '/tmp/sp', drain: true }]);
});

t.test("stop's short forms -p and -d work as in Flink; without -d it suspends", async (t) => {
  const server = await savepointServer(t, 0, { location: 'file:/x/savepoint-2' });
  const drained = await runInProcess(['stop', '-p', '/x', '-d', '-m', server.address, JOB_ID], { RUNNEL_CONF_DIR: confDir(t) });
  t.equal(drained.code, 0, drained.stderr);
  t.same(server.requests[0]!.body, { targetDirectory: '/x', drain: true });
  const suspended = await runInProcess(['stop', '-m', server.address, JOB_ID], { RUNNEL_CONF_DIR: confDir(t) });
  t.match(suspended.stdout, `Suspending job "${JOB_ID}" with a CANONICAL savepoint.`);
  t.same(server.requests.find((r, i) => i > 0 && r.method === 'POST')!.body, { drain: false });
});

t.test('a real cancel process against the fake server prints the contract line and exits 0', async (t) => {
  const server = await fakeRestServer(t, () => ({ status: 202 }));
  const result = await runRunnel(t, ['cancel', JOB_ID, '-m', server.address], { viaScript: true, env: { RUNNEL_CONF_DIR: confDir(t) } });
  t.equal(result.code, 0, result.stderr);
  t.match(result.stdout, `Cancelled job ${JOB_ID}.`);
  t.equal(server.requests[0]!.method, 'PATCH');
});
