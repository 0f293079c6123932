/**
 * Windowed word count over a socket, as Flink's SocketWindowWordCount: the words of the text
 * arriving on a TCP socket, counted in tumbling 5-second processing-time windows.
 *
 *   nc -lk 9000          # in one terminal: type lines of text
 *   npx tsx examples/socket-window-wordcount.ts --hostname localhost --port 9000 [--window-ms 5000]
 *
 * Prints `word : count` for every word of every window. The job ends when the server closes
 * the connection.
 */
import { ParameterTool, StreamExecutionEnvironment, TumblingProcessingTimeWindows } from 'runnel';

const params = ParameterTool.fromArgs(process.argv.slice(2));
const hostname = params.get('hostname', 'localhost');
const port = params.getInt('port');
const windowMs = params.getInt('window-ms', 5000);

const env = StreamExecutionEnvironment.getExecutionEnvironment();
if (params.has('parallelism')) env.setParallelism(params.getInt('parallelism'));

env
  .socketTextStream(hostname, port, '\n')
  .flatMap<{ word: string; count: number }>((line, out) => {
    for (const word of line.split(/\s+/)) if (word.length > 0) out.collect({ word, count: 1 });
  })
  .keyBy((wc) => wc.word)
  .window(TumblingProcessingTimeWindows.of(windowMs))
  .reduce((a, b) => ({ word: a.word, count: a.count + b.count }))
  .map((wc) => `${wc.word} : ${wc.count}`)
  .print()
  .setParallelism(1);

await env.execute('Socket Window WordCount');
