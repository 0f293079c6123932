/**
 * `runnel run` and `runnel info`: what is validated before anything is sent, what `run` sends
 * to the JobManager (against a fake one; test/cli/run-cluster.test.ts runs a real cluster),
 * and `info`'s plan.
 */
import t from 'tap';
import { fakeJobManager } from './fake-jobmanager.js';
import { confDir, freePort, JOB_ID, runInProcess, runRunnel } from './helpers.js';

t.test('run with a missing job file exits 1 with "Job file \'x\' not found."', async (t) => {
  const result = await runRunnel(t, ['run', 'no-such-job.ts', '--input', 'x'], { env: { RUNNEL_CONF_DIR: confDir(t) } });
  t.equal(result.code, 1);
  t.equal(result.stderr, "Job file 'no-such-job.ts' not found.\n");
});

t.test('run -d bundles the job, uploads it, runs it with the options as Flink\'s JarRunRequestBody, and prints the JobID', async (t) => {
  const { address, requests } = await fakeJobManager(t, JOB_ID);
  const dir = t.testdir({
    'job.ts': "import { answer } from './lib.js';\nimport { StreamExecutionEnvironment } from 'runnel';\nconsole.log(answer, StreamExecutionEnvironment);\n",
    'lib.ts': 'export const answer: number = 42;\n',
  });
  const result = await runRunnel(t, ['run', '-d', '-p', '2', '-n', '-s', '/tmp/sp', '-m', address, '-D', 'parallelism.default=3', 'job.ts', '--input', 'x'], {
    cwd: dir,
    env: { RUNNEL_CONF_DIR: confDir(t) },
  });
  t.equal(result.code, 0, result.stderr);
  t.equal(result.stdout, `Job has been submitted with JobID ${JOB_ID}\n`);
  t.same(requests.map((r) => `${r.method} ${r.url}`), ['POST /jars/upload', 'POST /jars/1234_job.mjs/run', 'DELETE /jars/1234_job.mjs']);
  const [upload, run] = requests;
  t.match(upload!.contentType, /^multipart\/form-data; boundary=/);
  t.match(upload!.body, /Content-Disposition: form-data; name="jarfile"; filename="job\.mjs"/);
  t.match(upload!.body, /var answer = 42;/, 'the relative import is bundled');
  t.match(upload!.body, /from "runnel"/, "'runnel' stays an import: the cluster provides it");
  t.same(JSON.parse(run!.body), {
    programArgsList: ['--input', 'x'],
    parallelism: 2,
    savepointPath: '/tmp/sp',
    allowNonRestoredState: true,
    flinkConfiguration: { 'parallelism.default': '3' },
  });
});

t.test('run with no JobManager at -m says it could not connect, exit 1', async (t) => {
  const dir = t.testdir({ 'job.ts': 'export {};\n' });
  const port = await freePort();
  const result = await runInProcess(['run', '-m', `127.0.0.1:${port}`, 'job.ts'], { RUNNEL_CONF_DIR: confDir(t) }, dir);
  t.equal(result.code, 1);
  t.match(result.stderr, new RegExp(`^Could not connect to the JobManager at http://127\\.0\\.0\\.1:${port} \\(connection refused\\)`));
  t.equal(result.stdout, '');
});

t.test('run of a job that does not bundle names the file, line and problem, exit 1', async (t) => {
  const dir = t.testdir({ 'job.ts': "import { helper } from './missing.js';\nhelper();\n" });
  const result = await runInProcess(['run', '-m', '127.0.0.1:1', 'job.ts'], { RUNNEL_CONF_DIR: confDir(t) }, dir);
  t.equal(result.code, 1);
  t.equal(result.stderr, `Could not bundle the job file 'job.ts':\n  job.ts:1:24: Could not resolve "./missing.js"\n`);
});

t.test('run of a job that reaches into Runnel\'s own sources is refused: a second copy of Runnel would not work', async (t) => {
  const result = await runInProcess(['run', '-m', '127.0.0.1:1', 'job.ts'], { RUNNEL_CONF_DIR: confDir(t) }, t.testdir({ 'job.ts': "import '../../../src/api/environment.js';\n" }));
  t.equal(result.code, 1);
  t.match(result.stderr, /is part of Runnel itself \(src\/api\/environment\.ts\): import from 'runnel' instead/);
});

t.test('run checks that the job file is a module and not a folder', async (t) => {
  const dir = t.testdir({ 'job.py': 'print(1)\n', jobs: {} });
  const env = { RUNNEL_CONF_DIR: confDir(t) };
  const python = await runInProcess(['run', 'job.py'], env, dir);
  t.equal(python.code, 1);
  t.match(python.stderr, /^Job file 'job\.py' is not a TypeScript or JavaScript module: expected one of \.ts, /);
  const folder = await runInProcess(['run', 'jobs'], env, dir);
  t.equal(folder.code, 1);
  t.match(folder.stderr, /^Job file 'jobs' is a folder/);
});

t.test('run reports a bad -D value as a configuration error, exit 1', async (t) => {
  const dir = t.testdir({ 'job.ts': 'export {};\n' });
  const result = await runInProcess(['run', '-D', 'parallelism.default=many', 'job.ts'], { RUNNEL_CONF_DIR: confDir(t) }, dir);
  t.equal(result.code, 1);
  t.match(result.stderr, /^Invalid value 'many' for 'parallelism\.default' \(in the -D arguments\)/);
});

t.test('info validates the job file, then prints the plan the job builds as JSON', async (t) => {
  const job = [
    "import { StreamExecutionEnvironment } from 'runnel';",
    'const env = StreamExecutionEnvironment.getExecutionEnvironment();',
    "if (!process.argv.includes('--flag')) throw new Error('the job did not get its arguments');",
    "env.fromSequence(1, 10).map((n) => n + 1).keyBy((n) => n % 2).sum().print();",
    "await env.execute('info-job');",
    "console.log('never printed: execute() does not return while planning');",
  ].join('\n');
  const dir = t.testdir({ 'job.ts': job });
  const env = { RUNNEL_CONF_DIR: confDir(t) };
  const missing = await runRunnel(t, ['info', 'gone.ts'], { env, cwd: dir });
  t.equal(missing.code, 1);
  t.equal(missing.stderr, "Job file 'gone.ts' not found.\n");
  const present = await runRunnel(t, ['info', '-p', '2', 'job.ts', '--flag'], { env, cwd: dir });
  t.equal(present.code, 0, present.stderr);
  const plan = JSON.parse(present.stdout) as { name: string; jid: string; nodes: Array<{ description: string; parallelism: number; inputs?: Array<{ ship_strategy: string }> }> };
  t.equal(plan.name, 'info-job');
  t.match(plan.jid, /^[0-9a-f]{32}$/);
  t.same(
    plan.nodes.map((n) => n.description),
    ['Source: Sequence Source -> Map', 'Keyed Aggregation -> Sink: Print to Std. Out'],
    'chained vertices, split at keyBy',
  );
  t.same(plan.nodes.map((n) => n.parallelism), [2, 2], '-p sets the default parallelism');
  t.equal(plan.nodes[1]!.inputs![0]!.ship_strategy, 'HASH');
});

t.test('info of a job that throws while building its graph prints the exception and its stack, exit 1', async (t) => {
  const dir = t.testdir({ 'bad.ts': "function build(): never {\n  throw new RangeError('no such source');\n}\nbuild();\n" });
  const result = await runRunnel(t, ['info', 'bad.ts'], { env: { RUNNEL_CONF_DIR: confDir(t) }, cwd: dir });
  t.equal(result.code, 1);
  t.match(result.stderr, /The program 'bad\.ts' finished with the following exception:\nRangeError: no such source\n\s+at build \(.*bad\.ts:2/);
});
