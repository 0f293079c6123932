/**
 * The ZeroMQ data link between slot workers of different TaskManagers, over real sockets on
 * loopback with ephemeral ports: order, per-channel credits, early data, malformed frames.
 */
import t, { type Test } from 'tap';
import { Dealer } from 'zeromq';
import {
  DATA_WIRE_VERSION,
  INITIAL_CREDITS,
  RecordWriter,
  ZmqDataPlane,
  encodeMessage,
  type ChannelMessage,
  type InputChannel,
} from '../../src/net/channels/index.js';
import { eventually } from '../helpers/process.js';

async function planes(t: Test): Promise<{ a: ZmqDataPlane; b: ZmqDataPlane }> {
  const a = await ZmqDataPlane.bind({ host: '127.0.0.1' });
  const b = await ZmqDataPlane.bind({ host: '127.0.0.1' });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  return { a, b };
}

/** Takes everything that arrives on `input`, releasing each batch unless told to hold them. */
function drain(input: InputChannel, release = true): ChannelMessage[] {
  const got: ChannelMessage[] = [];
  const take = (): void => {
    for (let m = input.take(); m !== undefined; m = input.take()) {
      got.push(m);
      if (release) input.release();
    }
  };
  input.setListener(take);
  take();
  return got;
}

const batch = (values: unknown[]): ChannelMessage => ({ kind: 'records', values, timestamps: null });

t.test('batches and events arrive in order, each batch whole', async (t) => {
  const { a, b } = await planes(t);
  t.match(a.endpoint, /^tcp:\/\/127\.0\.0\.1:\d+$/);
  const out = a.link(b.endpoint).output('job/0/e[0->1]');
  const got = drain(b.input('job/0/e[0->1]'));
  for (let i = 0; i < 200; i++) out.send(batch([i * 2, { n: i * 2 + 1, s: 'x' }]));
  out.send({ kind: 'watermark', watermark: Number.POSITIVE_INFINITY });
  out.send({ kind: 'end' });
  await eventually(() => (got.length === 202 ? true : undefined), 5000, 'all messages');
  const values = got.flatMap((m) => (m.kind === 'records' ? m.values : []));
  t.same(values.slice(0, 4), [0, { n: 1, s: 'x' }, 2, { n: 3, s: 'x' }]);
  t.same(
    values.filter((_, i) => i % 2 === 0),
    Array.from({ length: 200 }, (_, i) => i * 2),
    'in the order sent',
  );
  t.same(got.slice(200), [{ kind: 'watermark', watermark: Number.POSITIVE_INFINITY }, { kind: 'end' }]);
  t.equal(out.backlog, 0, 'every credit came back');
  t.equal(a.stats().creditsIn, 200);
  t.equal(b.stats().malformed, 0);
});

t.test('a slow channel holds back only its own sender while another channel on the same link keeps flowing', async (t) => {
  const { a, b } = await planes(t);
  const link = a.link(b.endpoint);
  const slowOut = link.output('slow');
  const fastOut = link.output('fast');
  const slow = drain(b.input('slow'), false);
  const fast = drain(b.input('fast'));
  for (let i = 0; i < 50; i++) {
    slowOut.send(batch([i]));
    fastOut.send(batch([i]));
  }
  await eventually(() => (fast.length === 50 ? true : undefined), 5000, 'the fast channel to deliver everything');
  await eventually(() => (slow.length === INITIAL_CREDITS ? true : undefined), 5000, 'the slow channel to use its credits');
  t.equal(slow.length, INITIAL_CREDITS, 'the slow channel received only its initial credits worth of batches');
  t.equal(slowOut.backlog, 50 - INITIAL_CREDITS, 'the rest waits at its sender');
  t.equal(fastOut.backlog, 0);
});

t.test('returning credits lets a throttled sender drain', async (t) => {
  const { a, b } = await planes(t);
  const out = a.link(b.endpoint).output('c');
  const input = b.input('c');
  const got: ChannelMessage[] = [];
  input.setListener(() => {});
  for (let i = 0; i < 20; i++) out.send(batch([i]));
  await eventually(() => (input.queued === INITIAL_CREDITS ? true : undefined), 5000, 'the first batches');
  t.equal(out.backlog, 20 - INITIAL_CREDITS);
  let drained = false;
  out.onWritable(() => (drained = true));
  input.setListener(() => {
    for (let m = input.take(); m !== undefined; m = input.take()) {
      got.push(m);
      input.release();
    }
  });
  for (let m = input.take(); m !== undefined; m = input.take()) {
    got.push(m);
    input.release();
  }
  await eventually(() => (got.length === 20 ? true : undefined), 5000, 'every batch');
  t.ok(drained, 'the sender was told it is writable again');
  t.same(
    got.map((m) => (m.kind === 'records' ? m.values[0] : -1)),
    Array.from({ length: 20 }, (_, i) => i),
  );
});

t.test('data for a channel whose task is not deployed yet is held until its input is created', async (t) => {
  const { a, b } = await planes(t);
  const out = a.link(b.endpoint).output('late');
  out.send(batch(['a', 'b']));
  out.send(batch(['c']));
  out.send({ kind: 'end' });
  await eventually(() => (b.stats().framesIn === 3 ? true : undefined), 5000, 'the frames to arrive');
  const got = drain(b.input('late'));
  t.same(got, [batch(['a', 'b']), batch(['c']), { kind: 'end' }]);
  await eventually(() => (out.backlog === 0 && a.stats().creditsIn === 2 ? true : undefined), 5000, 'credits of the held batches');
});

t.test('malformed frames are counted and dropped without harming other channels; one naming a channel fails only that channel', async (t) => {
  const { a, b } = await planes(t);
  const rogue = new Dealer({ linger: 0 });
  rogue.connect(b.endpoint);
  t.teardown(() => rogue.close());
  const good = drain(b.input('good'));
  const victim = b.input('victim');
  let victimNotified = 0;
  victim.setListener(() => victimNotified++);

  await rogue.send(['just one part']);
  await rogue.send([Buffer.from([99, 1]), 'good', encodeMessage(batch([1]))]); // wrong version
  await rogue.send([Buffer.from([DATA_WIRE_VERSION, 1]), '', encodeMessage(batch([1]))]); // empty channel id
  await rogue.send([Buffer.from([DATA_WIRE_VERSION, 1]), 'nobody-yet', Buffer.from([0xff, 0x00, 0x13])]); // garbage payload
  await rogue.send([Buffer.from([DATA_WIRE_VERSION, 1]), 'victim', Buffer.from('not cbor at all')]);
  await eventually(() => (b.stats().malformed === 5 ? true : undefined), 5000, 'five malformed frames counted');

  t.ok(victimNotified > 0, 'the broken channel woke its task');
  t.equal(victim.queued, 1, 'and shows something to take');
  t.throws(() => victim.take(), { name: 'DataChannelError', channelId: 'victim' }, 'taking from it fails that task');

  const out = a.link(b.endpoint).output('good');
  out.send(batch([42]));
  await eventually(() => (good.length === 1 ? true : undefined), 5000, 'a good channel still delivers');
  t.same(good, [batch([42])]);
  t.equal(b.stats().malformed, 5);
});

t.test('a partly filled batch leaves when the writer flushes it (the buffer timeout path), over the network too', async (t) => {
  const { a, b } = await planes(t);
  const out = a.link(b.endpoint).output('flush');
  const got = drain(b.input('flush'));
  const writer = new RecordWriter([out], { select: () => 0 });
  writer.emit('x', 5);
  writer.emit('y', undefined);
  t.equal(a.stats().framesOut, 0, 'nothing leaves before the batch is full or flushed');
  writer.flushAll();
  await eventually(() => (got.length === 1 ? true : undefined), 5000, 'the flushed batch');
  t.same(got, [{ kind: 'records', values: ['x', 'y'], timestamps: [5, null] }]);
});

t.test('closing a plane stops its sockets and a closed plane refuses new links', async (t) => {
  const a = await ZmqDataPlane.bind({ host: '127.0.0.1' });
  const b = await ZmqDataPlane.bind({ host: '127.0.0.1' });
  a.link(b.endpoint).output('x').send(batch([1]));
  await eventually(() => (b.stats().framesIn === 1 ? true : undefined), 5000, 'a frame');
  await a.close();
  await b.close();
  t.throws(() => a.link(b.endpoint), /closed/);
});
