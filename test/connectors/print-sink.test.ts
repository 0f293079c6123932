import { PassThrough } from 'node:stream';
import t from 'tap';
import { PrintSink, formatForPrint, printPrefix, type PrintTarget } from '../../src/connectors/index.js';

class Collector implements PrintTarget {
  readonly chunks: string[] = [];
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
  get text(): string {
    return this.chunks.join('');
  }
}

const context = (indexOfSubtask: number, parallelism: number) => ({ indexOfSubtask, parallelism, attemptNumber: 0 });

t.test('parallelism 1 prints bare lines', async (t) => {
  const target = new Collector();
  const writer = new PrintSink<string>({ target }).createWriter(context(0, 1));
  writer.write('hello');
  writer.write('world');
  await writer.flush(true);
  t.equal(target.text, 'hello\nworld\n');
  await writer.close();
});

t.test('with parallelism > 1 each line starts with the subtask index + 1', async (t) => {
  const target = new Collector();
  const sink = new PrintSink<number>({ target });
  const second = sink.createWriter(context(1, 3));
  const third = sink.createWriter(context(2, 3));
  second.write(10);
  third.write(20);
  second.write(11);
  await second.flush(false);
  await third.flush(false);
  t.equal(target.text, '2> 10\n2> 11\n3> 20\n');
});

t.test('a sink identifier is printed as Flink prints it', async (t) => {
  t.equal(printPrefix('out', 0, 1), 'out> ');
  t.equal(printPrefix('out', 3, 4), 'out:4> ');
  t.equal(printPrefix(undefined, 0, 2), '1> ');
  t.equal(printPrefix('', 0, 1), '');
  const target = new Collector();
  const writer = new PrintSink<string>({ sinkIdentifier: 'words', target }).createWriter(context(0, 2));
  writer.write('x');
  await writer.flush(true);
  t.equal(target.text, 'words:1> x\n');
});

t.test('a batch of records goes out in one write, at the end of the synchronous run', async (t) => {
  const target = new Collector();
  const writer = new PrintSink<number>({ target }).createWriter(context(0, 1));
  for (let i = 0; i < 1_000; i++) writer.write(i);
  t.equal(target.chunks.length, 0, 'nothing written per record');
  await Promise.resolve();
  t.equal(target.chunks.length, 1);
  t.equal(target.text.split('\n').length, 1_001);
  for (let i = 0; i < 100_000; i++) writer.write(i);
  t.ok(target.chunks.length > 2 && target.chunks.length < 20, `a large batch is written in 64 KiB pieces (${target.chunks.length})`);
});

t.test('values print as console.log shows them, on one line; own toString wins', async (t) => {
  class Pair {
    constructor(
      readonly a: string,
      readonly b: number,
    ) {}
    toString(): string {
      return `(${this.a},${this.b})`;
    }
  }
  class Plain {
    readonly x = 1;
  }
  t.equal(formatForPrint('text as is'), 'text as is');
  t.equal(formatForPrint(42), '42');
  t.equal(formatForPrint(10n), '10n');
  t.equal(formatForPrint(null), 'null');
  t.equal(formatForPrint(undefined), 'undefined');
  t.equal(formatForPrint(['hi', 2]), "[ 'hi', 2 ]");
  t.equal(formatForPrint({ word: 'hi', count: 2, nested: { deep: { deeper: { deepest: [1, 2, 3] } } } }), "{ word: 'hi', count: 2, nested: { deep: { deeper: { deepest: [ 1, 2, 3 ] } } } }");
  t.equal(formatForPrint(new Map([['k', 1]])), "Map(1) { 'k' => 1 }");
  t.equal(formatForPrint(new Pair('a', 1)), '(a,1)');
  t.equal(formatForPrint(new Plain()), 'Plain { x: 1 }');
  t.equal(formatForPrint(new Date(0)), '1970-01-01T00:00:00.000Z');
  const long = { text: 'y'.repeat(200), list: Array.from({ length: 50 }, (_, i) => i) };
  t.notMatch(formatForPrint(long), /\n/, 'never breaks a record over lines');
  const cyclic: { self?: unknown } = {};
  cyclic.self = cyclic;
  t.match(formatForPrint(cyclic), /Circular/);
});

t.test('flush waits for a stream that asked to drain', async (t) => {
  const stream = new PassThrough({ highWaterMark: 16 });
  const writer = new PrintSink<string>({ target: stream }).createWriter(context(0, 1));
  writer.write('a line longer than sixteen bytes');
  let flushed = false;
  const flushing = Promise.resolve(writer.flush(false)).then(() => (flushed = true));
  await new Promise<void>((r) => setImmediate(r));
  t.notOk(flushed, 'still waiting for drain');
  stream.read();
  await flushing;
  t.ok(flushed);
});

t.test('stdErr selects standard error', async (t) => {
  const writes: string[] = [];
  const original = process.stderr.write;
  process.stderr.write = ((chunk: string) => writes.push(chunk) > 0) as typeof process.stderr.write;
  try {
    const writer = new PrintSink<string>({ stdErr: true }).createWriter(context(0, 1));
    writer.write('to stderr');
    await writer.flush(true);
  } finally {
    process.stderr.write = original;
  }
  t.same(writes, ['to stderr\n']);
});
