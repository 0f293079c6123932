/**
 * The window examples as a user runs them: the socket window word count against a TCP server
 * of the test's, and the session windows example against Flink's expected sessions.
 */
import t from 'tap';
import { createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startNode } from '../helpers/process.js';

const SOCKET_WORDCOUNT = fileURLToPath(new URL('../../examples/socket-window-wordcount.ts', import.meta.url));
const SESSIONS = fileURLToPath(new URL('../../examples/session-windows.ts', import.meta.url));

t.test('the socket window word count counts the words of a window and ends when the server closes', async (t) => {
  const clients: Socket[] = [];
  const server = createServer((socket) => {
    clients.push(socket);
    socket.write('to be or not to be\nthat is the question\nto be\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as { port: number }).port;
  const child = startNode(t, SOCKET_WORDCOUNT, ['--hostname', '127.0.0.1', '--port', String(port), '--window-ms', '300']);
  await child.waitForLine(/^question : 1$/);
  for (const c of clients) c.end();
  t.equal(await child.exited, 0);
  const counts = Object.fromEntries(child.lines.flatMap((l) => (/^(\w+) : (\d+)$/.exec(l) ? [[RegExp.$1, Number(RegExp.$2)]] : [])));
  t.same(counts, { to: 3, be: 3, or: 1, not: 1, that: 1, is: 1, the: 1, question: 1 });
});

for (const parallelism of [1, 2]) {
  t.test(`the session windows example finds Flink's sessions at parallelism ${parallelism}`, async (t) => {
    const child = startNode(t, SESSIONS, ['--parallelism', String(parallelism)]);
    t.equal(await child.exited, 0);
    const sessions = child.lines.map((l) => l.replace(/^\d+> /, '')).filter((l) => /^\w,\d+,\d+,\d+$/.test(l));
    t.same(sessions.sort(), ['a,1,4,1', 'a,10,13,1', 'b,1,8,3', 'c,11,14,1', 'c,6,9,1']);
  });
}
