import t, { type Test } from 'tap';
import { ActorSystem, UndeliverableError } from '../../src/actors/system/index.js';
import { MemoryNetwork } from '../../src/net/index.js';
import { EchoActor, EchoProtocol } from '../fixtures/echo-actor.js';

async function pair(t: Test, limits?: { maxFrameBytes?: number; maxQueuedEnvelopes?: number }) {
  const net = new MemoryNetwork();
  const a = await ActorSystem.start({ transport: net.transport('a', limits) });
  const b = await ActorSystem.start({ transport: net.transport('b', limits) });
  t.teardown(async () => {
    await a.terminate();
    await b.terminate();
  });
  return { net, a, b, echo: a.ref(EchoProtocol, b.endpoint, 'echo'), _: b.spawn('echo', () => new EchoActor()) };
}

t.test('messages sent in one tick are coalesced into few frames', async (t) => {
  const { a, b, echo } = await pair(t);
  for (let i = 0; i < 5000; i++) a.tell(echo, { type: 'add', n: 1 });
  t.equal(await a.ask(echo, { type: 'count' }, 5000), 5000);
  const frames = b.stats().transport.framesIn;
  t.ok(frames <= 10, `5001 messages arrived in ${frames} frames`);
});

t.test('a batch too big for one frame is split, and one message too big alone fails its ask at once', async (t) => {
  const { a, b, echo } = await pair(t, { maxFrameBytes: 4096 });
  for (let i = 0; i < 500; i++) a.tell(echo, { type: 'add', n: 1 });
  t.equal(await a.ask(echo, { type: 'count' }, 5000), 500, 'every message arrived');
  t.ok(b.stats().transport.framesIn >= 3, 'in several frames');
  const started = Date.now();
  await t.rejects(a.ask(echo, { type: 'echo', text: 'x'.repeat(10_000) }, 60_000), UndeliverableError);
  t.ok(Date.now() - started < 5000, 'without waiting for the timeout');
  t.equal(a.stats().dropped['too-large'], 1);
});

t.test('when a peer is unreachable asks time out and tells beyond the queue limit are dropped and counted', async (t) => {
  const { net, a, b, echo } = await pair(t, { maxQueuedEnvelopes: 10 });
  net.partition(b.endpoint);
  await t.rejects(a.ask(echo, { type: 'count' }, 50), { name: 'AskTimeoutError' });
  for (let i = 0; i < 100; i++) a.tell(echo, { type: 'add', n: 1 });
  t.equal(a.stats().dropped['queue-overflow'], 90, 'what did not fit in the queue was counted');
  await a.settle();
  net.heal(b.endpoint);
  t.equal(await a.ask(echo, { type: 'echo', text: 'healed' }, 1000), 'healed');
});

t.test('garbage delivered to a transport is counted and never throws', async (t) => {
  const net = new MemoryNetwork();
  const transport = net.transport('x');
  const system = await ActorSystem.start({ transport });
  t.teardown(() => system.terminate());
  transport.receive(Buffer.from([0xff, 0x00, 0x13]));
  transport.receive(Buffer.alloc(0));
  t.equal(system.stats().dropped['malformed'], 2);
});
