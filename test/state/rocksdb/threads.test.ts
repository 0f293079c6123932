/**
 * RocksDB in threads that come and go, as slot workers do in a TaskManager: once a thread that
 * loaded the binding has ended, a later thread can load it only if the process keeps it loaded
 * (pinRocksDBBinding). Without that, the later thread's reads fail at once with the binding's
 * error, rather than waiting for a RocksDB worker that never started.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../fixtures/rocksdb/threads-in-turn.ts', import.meta.url));

function run(args: string[]): { code: number | null; answers: Array<{ value?: string; error?: string }>; stderr: string } {
  const dir = t.testdir();
  const result = spawnSync(process.execPath, ['--import', 'tsx', SCRIPT, dir, ...args], { encoding: 'utf8', timeout: 60_000 });
  const answers = result.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { value?: string; error?: string });
  return { code: result.status, answers, stderr: result.stderr };
}

t.test('with the binding pinned in the main thread, a thread after an ended one uses RocksDB', async (t) => {
  const { code, answers, stderr } = run(['--pin']);
  t.equal(code, 0, stderr);
  t.same(answers, [{ value: 'first' }, { value: 'second' }]);
});

t.test('without it, the later thread fails at once, saying why', async (t) => {
  const { code, answers, stderr } = run([]);
  t.equal(code, 0, stderr);
  t.same(answers[0], { value: 'first' });
  t.match(answers[1]?.error, /native binding did not load in this thread: Module did not self-register/);
});
