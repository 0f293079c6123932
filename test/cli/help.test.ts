/**
 * `runnel --help`, `--version` and every verb's `--help`, through real processes (and once
 * through scripts/runnel reached by a symlink from another folder, as npm links it).
 */
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { RUNNEL_SCRIPT, runRunnel } from './helpers.js';

const VERBS: Record<string, readonly string[]> = {
  run: ['-d, --detached', '-p, --parallelism <N>', '-s, --fromSavepoint <PATH>', '-n, --allowNonRestoredState', '-m, --jobmanager <host:port>', '-D <key=value>'],
  list: ['-r, --running', '-s, --scheduled', '-a, --all', '-m, --jobmanager <host:port>', '-D <key=value>'],
  cancel: ['-m, --jobmanager <host:port>', '-D <key=value>'],
  savepoint: ['-m, --jobmanager <host:port>', '-D <key=value>'],
  stop: ['-p, --savepointPath <DIR>', '-d, --drain', '-m, --jobmanager <host:port>', '-D <key=value>'],
  info: ['-p, --parallelism <N>', '-D <key=value>'],
  jobmanager: ['-D <key=value>'],
  taskmanager: ['-D <key=value>'],
};

t.test('runnel --help lists every verb and exits 0', async (t) => {
  const result = await runRunnel(t, ['--help']);
  t.equal(result.code, 0);
  for (const verb of Object.keys(VERBS)) t.match(result.stdout, new RegExp(`^  ${verb} `, 'm'), `lists ${verb}`);
  t.match(result.stdout, /-v, --version/);
  t.equal(result.stderr, '');
});

t.test('runnel --version prints the package version and exits 0', async (t) => {
  const result = await runRunnel(t, ['--version']);
  t.equal(result.code, 0);
  t.match(result.stdout, /^Version: \d+\.\d+\.\d+/);
});

t.test("every verb's --help exits 0 and names its options, its usage and an example", async (t) => {
  const results = await Promise.all(Object.keys(VERBS).map((verb) => runRunnel(t, [verb, '--help'])));
  Object.entries(VERBS).forEach(([verb, options], i) => {
    const result = results[i]!;
    t.equal(result.code, 0, `${verb} --help exits 0`);
    t.match(result.stdout, new RegExp(`^Usage: runnel ${verb} `, 'm'), `${verb} shows its usage`);
    t.match(result.stdout, /Examples:\n  \$ runnel /, `${verb} shows an example`);
    for (const option of options) t.ok(result.stdout.includes(option), `${verb} --help names ${option}`);
    t.ok(result.stdout.includes('-h, --help'), `${verb} --help names -h, --help`);
  });
});

t.test('the positional arguments of run and savepoint show in their usage lines', async (t) => {
  const [run, savepoint] = await Promise.all([runRunnel(t, ['run', '-h']), runRunnel(t, ['savepoint', '-h'])]);
  t.match(run!.stdout, /Usage: runnel run \[options\] <JOB> \[args\.\.\.\]/);
  t.match(savepoint!.stdout, /Usage: runnel savepoint \[options\] <jobId> \[targetDirectory\]/);
});

t.test('scripts/runnel works through a symlink from any working directory', async (t) => {
  const dir = t.testdir({ bin: {} });
  const link = join(dir, 'bin', 'runnel');
  symlinkSync(RUNNEL_SCRIPT, link);
  const result = await runRunnel(t, ['list', '--help'], { executable: link, cwd: dir });
  t.equal(result.code, 0, result.stderr);
  t.match(result.stdout, /Usage: runnel list/);
});
