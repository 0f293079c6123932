/**
 * examples/wordcount.ts against `tr | sort | uniq -c` on the GNU licence texts, as a user runs
 * it (`npx tsx examples/wordcount.ts ...`, slots in worker threads), from a file and a folder,
 * at parallelism 1 and 2.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNode } from '../helpers/process.js';

const WORDCOUNT = fileURLToPath(new URL('../../examples/wordcount.ts', import.meta.url));
const LICENSES = '/usr/share/common-licenses';
const TEXTS = ['GPL-3', 'LGPL-2.1', 'Apache-2.0'].map((f) => join(LICENSES, f)).filter((f) => existsSync(f));

/** The reference counts: `tr 'A-Z' 'a-z' | tr -cs 'a-z0-9' '\n' | sort | uniq -c`. */
function reference(files: readonly string[]): Map<string, number> {
  const script = `cat "$@" | tr 'A-Z' 'a-z' | tr -cs 'a-z0-9' '\\n' | grep -v '^$' | sort | uniq -c`;
  const out = execFileSync('bash', ['-c', script, 'wc', ...files], { encoding: 'utf8' });
  const counts = new Map<string, number>();
  for (const line of out.trim().split('\n')) {
    const [count, word] = line.trim().split(/\s+/);
    counts.set(word!, Number(count));
  }
  return counts;
}

function parse(lines: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const raw of lines) {
    const line = raw.replace(/^\d+> /, '');
    const m = /^([a-z0-9]+),(\d+)$/.exec(line);
    if (m === null) continue;
    if (counts.has(m[1]!)) throw new Error(`'${m[1]}' appears twice in batch output`);
    counts.set(m[1]!, Number(m[2]));
  }
  return counts;
}

t.ok(TEXTS.length >= 2, 'the licence texts are installed');

for (const parallelism of [1, 2]) {
  t.test(`batch word counts of a file at parallelism ${parallelism} equal tr | sort | uniq -c`, async (t) => {
    const file = TEXTS[0]!;
    const child = startNode(t, WORDCOUNT, ['--input', file, '--execution-mode', 'batch', '--parallelism', String(parallelism)]);
    t.equal(await child.exited, 0);
    t.same(parse(child.lines), reference([file]));
  });
}

t.test('batch word counts of a folder written to --output equal tr | sort | uniq -c over all its files', async (t) => {
  const dir = t.testdir({ input: {} });
  const input = join(dir, 'input');
  for (const f of TEXTS) copyFileSync(f, join(input, f.split('/').pop()!));
  const output = join(dir, 'out');
  const child = startNode(t, WORDCOUNT, ['--input', input, '--output', output, '--execution-mode', 'batch', '--parallelism', '2']);
  t.equal(await child.exited, 0, child.lines.join('\n'));
  const visible = readdirSync(output).filter((f) => !f.startsWith('.') && !f.startsWith('_'));
  t.ok(visible.length >= 1, 'part files were written');
  const lines = visible.flatMap((f) => readFileSync(join(output, f), 'utf8').split('\n').filter((l) => l.length > 0));
  t.same(parse(lines), reference(TEXTS));
});

t.test('streaming word counts end with the final count of every word', async (t) => {
  const file = TEXTS[1]!;
  const child = startNode(t, WORDCOUNT, ['--input', file, '--parallelism', '2']);
  t.equal(await child.exited, 0);
  const finals = new Map<string, number>();
  for (const raw of child.lines) {
    const m = /^(?:\d+> )?([a-z0-9]+),(\d+)$/.exec(raw);
    if (m !== null) finals.set(m[1]!, Math.max(finals.get(m[1]!) ?? 0, Number(m[2])));
  }
  t.same(finals, reference([file]));
});
