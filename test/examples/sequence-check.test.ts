/**
 * examples/sequence-check.ts as a user runs it (`npx tsx examples/sequence-check.ts ...`, on the
 * embedded mini-cluster): it finishes, and the committed files of its output folder hold each of
 * the K×N lines `key,seq` exactly once; bad arguments stop it with a clear error.
 */
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNode } from '../helpers/process.js';

const SEQUENCE_CHECK = fileURLToPath(new URL('../../examples/sequence-check.ts', import.meta.url));

/** The lines of the committed files (names not starting with `.` or `_`) of `dir`. */
function committedLines(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => !name.startsWith('.') && !name.startsWith('_'))
    .flatMap((name) => readFileSync(join(dir, name), 'utf8').split('\n').filter((line) => line.length > 0));
}

/** What is wrong with `lines` as the output of K keys × N events, or [] when it is exactly right. */
function problems(lines: readonly string[], keys: number, eventsPerKey: number): string[] {
  const found: string[] = [];
  const seen = new Set<string>();
  for (const line of lines) {
    const m = /^(\d+),(\d+)$/.exec(line);
    if (m === null) found.push(`malformed line '${line}'`);
    else if (Number(m[1]) >= keys || Number(m[2]) < 1 || Number(m[2]) > eventsPerKey) found.push(`unexpected line '${line}'`);
    else if (seen.has(line)) found.push(`duplicate line '${line}'`);
    seen.add(line);
  }
  for (let key = 0; key < keys; key++) {
    for (let seq = 1; seq <= eventsPerKey; seq++) if (!seen.has(`${key},${seq}`)) found.push(`missing line '${key},${seq}'`);
  }
  return found.slice(0, 20);
}

t.test('4 keys × 1000 events: every line key,seq committed exactly once', async (t) => {
  const output = join(t.testdir(), 'out');
  const child = startNode(t, SEQUENCE_CHECK, ['--keys', '4', '--events-per-key', '1000', '--output', output]);
  t.equal(await child.exited, 0, child.lines.join('\n'));
  const lines = committedLines(output);
  t.equal(lines.length, 4000);
  t.same(problems(lines, 4, 1000), []);
});

t.test('at parallelism 3 with a rate, more keys than readers: exactly once, and no faster than the rate', async (t) => {
  const output = join(t.testdir(), 'out');
  const started = Date.now();
  const child = startNode(t, SEQUENCE_CHECK, ['--keys', '7', '--events-per-key', '300', '--rate', '3000', '--parallelism', '3', '--output', output]);
  t.equal(await child.exited, 0, child.lines.join('\n'));
  const elapsed = Date.now() - started;
  // 2100 events at 3000 per second take 0.7 s at least (each reader's first event is free).
  t.ok(elapsed >= 600, `took ${elapsed} ms`);
  t.same(problems(committedLines(output), 7, 300), []);
});

for (const [what, args, message] of [
  ['--keys 0', ['--keys', '0', '--events-per-key', '10', '--output', 'unused'], /--keys must be a positive integer, got 0/],
  ['a missing --output', ['--keys', '2', '--events-per-key', '10'], /--output DIR is required/],
  ['a missing --events-per-key', ['--keys', '2', '--output', 'unused'], /--events-per-key is required/],
  ['--rate 0', ['--keys', '2', '--events-per-key', '10', '--rate', '0', '--output', 'unused'], /--rate must be a positive number/],
] as const) {
  t.test(`${what} is a one-line error and a non-zero exit`, async (t) => {
    const child = startNode(t, SEQUENCE_CHECK, [...args]);
    const code = await child.exited;
    t.not(code, 0);
    const error = child.lines.find((line) => line.startsWith('sequence-check: '));
    t.match(error, message, 'the error names the argument');
    t.ok(child.lines.some((line) => line.startsWith('usage: sequence-check.ts')), 'the usage follows');
  });
}
