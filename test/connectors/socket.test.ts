import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import {
  ConnectorArgumentError,
  SocketSourceError,
  SocketTextSource,
  type SocketEnumState,
  type SocketSplit,
} from '../../src/connectors/index.js';
import { SourceHarness } from './harness.js';

type Harness = SourceHarness<string, SocketSplit, SocketEnumState>;

/** A server on a free port that runs `script` for each connection, in order of connection. */
async function serve(t: Test, ...scripts: Array<(socket: Socket) => void | Promise<void>>): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const server: Server = createServer((socket) => {
    const script = scripts[connections++];
    if (script === undefined) socket.destroy();
    else void script(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, connections: () => connections };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

t.test('reads lines until the server closes the connection, then ends', async (t) => {
  const { port } = await serve(t, async (socket) => {
    // A multi-byte character and a line cut across writes; CRLF; a last line without a newline.
    const bytes = Buffer.from('first\r\nsecond ∑ 日本 🎉\n\nthird\nlast words');
    for (let i = 0; i < bytes.length; i += 3) {
      socket.write(bytes.subarray(i, i + 3));
      await tick();
    }
    socket.end();
  });
  const h: Harness = new SourceHarness(new SocketTextSource('127.0.0.1', port), 1);
  h.addAllReaders();
  t.same(await h.runAll(), ['END_OF_INPUT']);
  t.same(h.output(0), ['first', 'second ∑ 日本 🎉', '', 'third', 'last words']);
  t.same(h.snapshotEnumerator(1), { pendingSplits: [], splitsDiscovered: true });
  await h.close();
});

t.test('a custom multi-character delimiter, split across packets', async (t) => {
  const { port } = await serve(t, async (socket) => {
    for (const piece of ['a||b|', '|c\r|', '|']) {
      socket.write(piece);
      await tick();
    }
    socket.end();
  });
  const h: Harness = new SourceHarness(new SocketTextSource('127.0.0.1', port, '||'), 1);
  h.addAllReaders();
  await h.runAll();
  t.same(h.output(0), ['a', 'b', 'c\r'], 'a CR is only dropped with the newline delimiter');
});

t.test('maxRetry: reconnects after the server closed, then ends when retries are used up', async (t) => {
  const { port, connections } = await serve(
    t,
    (socket) => void socket.end('one\n'),
    (socket) => void socket.end('two\n'),
    (socket) => void socket.end('three\n'),
  );
  const h: Harness = new SourceHarness(new SocketTextSource('127.0.0.1', port, '\n', 1, { retryDelayMs: 5 }), 1);
  h.addAllReaders();
  t.same(await h.runAll(), ['END_OF_INPUT']);
  t.same(h.output(0), ['one', 'two']);
  t.equal(connections(), 2);
});

t.test('a refused connection fails the reader when there are no retries', async (t) => {
  const { port } = await serve(t);
  // Find a port nobody listens on: open a server, note its port, close it.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const closedPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  t.not(closedPort, port);

  const h: Harness = new SourceHarness(new SocketTextSource('127.0.0.1', closedPort), 1);
  h.addAllReaders();
  const error = await h.run(0).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(error, SocketSourceError);
  t.match(String(error), new RegExp(`127.0.0.1:${closedPort} after 1 attempt: .*ECONNREFUSED`));
  await h.close();

  const retrying: Harness = new SourceHarness(new SocketTextSource('127.0.0.1', closedPort, '\n', 2, { retryDelayMs: 5 }), 1);
  retrying.addAllReaders();
  await t.rejects(retrying.run(0), /after 3 attempts/);
  await retrying.close();
});

t.test('a slow job pauses the socket instead of buffering without bound', async (t) => {
  const total = 5_000;
  let drained = 0;
  const { port } = await serve(t, (socket) => {
    const lines = Array.from({ length: total }, (_, i) => `line ${i}\n`).join('');
    socket.write(lines, () => void (drained = 1));
    socket.end();
  });
  const h: Harness = new SourceHarness(
    new SocketTextSource('127.0.0.1', port, '\n', 0, { maxBufferedLines: 100, recordsPerPoll: 10 }),
    1,
  );
  h.addAllReaders();
  await h.runAll();
  t.equal(h.output(0).length, total);
  t.equal(h.output(0)[total - 1], `line ${total - 1}`);
  t.equal(drained, 1);
});

t.test('the socket source is not parallel', async (t) => {
  t.throws(() => new SourceHarness(new SocketTextSource('localhost', 9999), 2), ConnectorArgumentError);
  t.throws(
    () =>
      new SocketTextSource('localhost', 9999).createReader({
        indexOfSubtask: 0,
        parallelism: 3,
        sendSplitRequest: () => undefined,
        sendSourceEventToCoordinator: () => undefined,
      }),
    /must run with parallelism 1, not 3/,
  );
  t.throws(() => new SocketTextSource('localhost', 70_000), /invalid port/);
  t.throws(() => new SocketTextSource('localhost', 1, ''), /invalid delimiter/);
  t.equal(new SocketTextSource('localhost', 1).getBoundedness(), 'CONTINUOUS_UNBOUNDED');
});

t.test('a restored reader reconnects and reads on', async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const { port } = await serve(
    t,
    async (socket) => {
      socket.write('before\n');
      await gate;
      socket.destroy();
    },
    (socket) => void socket.end('after\n'),
  );
  const source = new SocketTextSource('127.0.0.1', port);
  const first: Harness = new SourceHarness(source, 1);
  first.addAllReaders();
  await first.run(0, { stopAfter: 1 });
  const state = first.snapshotReader(0, 1);
  const enumState = first.snapshotEnumerator(1);
  t.same(state, [{ splitId: 'socket' }]);
  await first.close();
  release();

  const second: Harness = new SourceHarness(source, 1, enumState);
  second.addReader(0, state);
  t.same(await second.runAll(), ['END_OF_INPUT']);
  t.same([...first.output(0), ...second.output(0)], ['before', 'after']);
});
