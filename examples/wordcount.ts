/**
 * WordCount, as Flink's example: counts the words of a text.
 *
 *   npx tsx examples/wordcount.ts [--input PATH] [--output DIR] [--execution-mode batch|streaming] [--parallelism N]
 *
 * Words are the runs of a-z and 0-9 after lower-casing (everything else separates them).
 * Output lines are `word,count`: in batch mode one line per word with its final count, in
 * streaming mode a line for every new count. --input is a file or a folder of files (a short
 * built-in text without it); without --output the counts are printed.
 */
import { FileSink, ParameterTool, RuntimeExecutionMode, StreamExecutionEnvironment } from 'runnel';

const WORDS = [
  'To be, or not to be,--that is the question:--',
  "Whether 'tis nobler in the mind to suffer",
  'The slings and arrows of outrageous fortune',
  'Or to take arms against a sea of troubles,',
  'And by opposing end them?--To die,--to sleep,--',
  'No more; and by a sleep to say we end',
  'The heartache, and the thousand natural shocks',
  'That flesh is heir to,--tis a consummation',
  "Devoutly to be wish'd. To die,--to sleep;--",
];

const params = ParameterTool.fromArgs(process.argv.slice(2));
const env = StreamExecutionEnvironment.getExecutionEnvironment();
const mode = params.get('execution-mode', 'streaming').toLowerCase();
if (mode !== 'batch' && mode !== 'streaming') throw new Error(`--execution-mode must be batch or streaming, got '${mode}'`);
env.setRuntimeMode(mode === 'batch' ? RuntimeExecutionMode.BATCH : RuntimeExecutionMode.STREAMING);
if (params.has('parallelism')) env.setParallelism(params.getInt('parallelism'));

const input = params.get('input');
const text = input === undefined ? env.fromElements(...WORDS) : env.readTextFile(input);

const counts = text
  .flatMap<[string, number]>((line, out) => {
    for (const word of line.toLowerCase().split(/[^a-z0-9]+/)) {
      if (word.length > 0) out.collect([word, 1]);
    }
  })
  .name('tokenizer')
  .keyBy((pair) => pair[0])
  .sum(1)
  .name('counter')
  .map(([word, count]) => `${word},${count}`);

const output = params.get('output');
if (output === undefined) counts.print();
else counts.sinkTo(FileSink.forRowFormat<string>(output).build(), 'file-sink').name('file-sink');

await env.execute('WordCount');
