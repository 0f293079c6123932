/**
 * Bad command lines: one line naming the problem and the fix, a pointer to --help, exit code
 * 2, and never a stack trace.
 */
import t, { type Test } from 'tap';
import { fakeJobManager } from './fake-jobmanager.js';
import { JOB_ID, runInProcess, runRunnel, type CliResult } from './helpers.js';

function assertUsageError(t: Test, result: CliResult, verb: string, message: RegExp): void {
  t.equal(result.code, 2, `exit code 2 for ${verb}`);
  t.equal(result.stdout, '', 'nothing on standard output');
  const lines = result.stderr.trimEnd().split('\n');
  t.equal(lines.length, 1, `one line: ${result.stderr}`);
  t.match(lines[0], message);
  t.ok(lines[0]!.endsWith(`See '${verb} --help'.`), `points to ${verb} --help: ${lines[0]}`);
  t.notMatch(result.stderr, /\n\s+at /, 'no stack trace');
}

t.test('bad arguments from a real process exit 2 with one line naming the problem and the fix', async (t) => {
  const cases: Array<[readonly string[], string, RegExp]> = [
    [['list', '--bogus'], 'runnel list', /^runnel list: unknown option '--bogus'/],
    [['run'], 'runnel run', /^runnel run: missing the job file: give the path of the job's \.ts or \.js module/],
    [['cancel', 'not-a-job-id'], 'runnel cancel', /^runnel cancel: 'not-a-job-id' is not a job id: a job id is 32 lower-case hex characters/],
    [['run', '-p', '0', 'job.ts'], 'runnel run', /^runnel run: -p '0' is not a positive integer: .*e\.g\. -p 4\./],
    [['list', '-D', 'rest.port'], 'runnel list', /^runnel list: -D 'rest\.port' has no '=': write -D key=value/],
  ];
  const results = await Promise.all(cases.map(([args]) => runRunnel(t, args)));
  cases.forEach(([args, verb, message], i) => t.test(args.join(' '), async (t) => assertUsageError(t, results[i]!, verb, message)));
});

t.test('the same usage errors and their variants, in-process', async (t) => {
  const cases: Array<[readonly string[], string, RegExp]> = [
    [['list', '--al'], 'runnel list', /unknown option '--al'; did you mean '--all'\?/],
    [['lsit'], 'runnel', /^runnel: unknown command 'lsit'; did you mean 'list'\?/],
    [['cancel'], 'runnel cancel', /missing the job id: give the 32-character id that 'runnel list' prints/],
    [['stop'], 'runnel stop', /missing the job id/],
    [['savepoint', JOB_ID.toUpperCase()], 'runnel savepoint', new RegExp(`is not a job id \\(write it in lower case: ${JOB_ID}\\)`)],
    [['stop', '--drain', `${JOB_ID}0`], 'runnel stop', /is not a job id/],
    [['cancel', JOB_ID, 'extra'], 'runnel cancel', /too many arguments for 'cancel'/],
    [['run', '-p', 'four', 'job.ts'], 'runnel run', /-p 'four' is not a positive integer/],
    [['run', '-p', '2.5', 'job.ts'], 'runnel run', /-p '2\.5' is not a positive integer/],
    [['info', '-p', '-3', 'job.ts'], 'runnel info', /-p '-3' is not a positive integer/],
    [['run', '-p'], 'runnel run', /option '-p, --parallelism <N>' argument missing/],
    [['jobmanager', '-D', '=8081'], 'runnel jobmanager', /-D '=8081' has no key before '='/],
    [['taskmanager', '-Dfoo'], 'runnel taskmanager', /-D 'foo' has no '='/],
    [['list', '-m', 'localhost'], 'runnel list', /-m 'localhost' is not a JobManager address: write host:port/],
    [['list', '-m', 'localhost:99999'], 'runnel list', /-m 'localhost:99999' is not a JobManager address/],
  ];
  for (const [args, verb, message] of cases) {
    t.test(args.join(' '), async (t) => assertUsageError(t, await runInProcess(args), verb, message));
  }
});

t.test('runnel without a command prints the help and exits 2', async (t) => {
  const result = await runInProcess([]);
  t.equal(result.code, 2);
  t.match(result.stderr, /Usage: runnel <command> \[options\]/);
  t.match(result.stderr, /runnel: give a command, e.g. 'runnel list'\. See 'runnel --help'\.\n$/);
});

t.test('options after the job file belong to the job and are not checked as runnel options', async (t) => {
  const dir = t.testdir({ 'job.ts': 'export {};\n' });
  const jobManager = await fakeJobManager(t, JOB_ID);
  const result = await runInProcess(['run', '-d', '-m', jobManager.address, 'job.ts', '-p', 'not-a-number', '--input', 'x y', '-D', 'no-equals'], {}, dir);
  t.equal(result.code, 0, result.stderr);
  const run = jobManager.requests.find((r) => r.url.endsWith('/run'));
  t.match(JSON.parse(run?.body ?? '{}'), { programArgsList: ['-p', 'not-a-number', '--input', 'x y', '-D', 'no-equals'] }, 'the job gets them untouched');
});
