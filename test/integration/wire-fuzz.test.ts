/**
 * Bad input on the wire never crashes a process: a peer is flooded with random bytes,
 * truncated CBOR, frames of the wrong version, oversized frames, envelopes for unknown actors
 * and types, and invalid bodies — each dropped, counted and logged at a limited rate — and a
 * normal ask still succeeds afterwards.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Dealer } from 'zeromq';
import { ActorSystem } from '../../src/actors/system/index.js';
import { encode, EnvelopeKind, frameToWire, WIRE_VERSION, ZmqTransport, type Envelope } from '../../src/net/index.js';
import { EchoProtocol } from '../fixtures/echo-actor.js';
import { eventually, startNode } from '../helpers/process.js';

const PEER = fileURLToPath(new URL('../fixtures/peer.ts', import.meta.url));
const FRAME_LIMIT = 64 * 1024;

function frame(envelopes: Envelope[], sender = 'tcp://127.0.0.1:9', version = WIRE_VERSION): Buffer {
  const wire = frameToWire(sender, 'fuzzer', envelopes);
  wire[0] = version;
  return encode(wire);
}

const tell = (target: string, body: unknown): Envelope => ({ kind: EnvelopeKind.Tell, target, id: 0, body, fencingToken: null });
const ask = (target: string, body: unknown, id: number): Envelope => ({ kind: EnvelopeKind.Ask, target, id, body, fencingToken: null });

t.test('thousands of bad frames are dropped and counted, and the peer still answers', async (t) => {
  const peer = startNode(t, PEER, ['--framesize', String(FRAME_LIMIT)], { RUNNEL_LOG_LEVEL: 'info' });
  const endpoint = (await peer.waitForLine(/^@@ready /)).split(' ')[1]!;

  const fuzzer = new Dealer({ linger: 0 });
  t.teardown(() => fuzzer.close());
  fuzzer.connect(endpoint);
  const expected = { malformed: 0, version: 0, oversized: 0, 'unknown-target': 0, 'unknown-type': 0, 'invalid-body': 0 };
  const good = frame([tell('echo', { type: 'add', n: 1 })]);
  for (let i = 0; i < 5000; i++) {
    switch (i % 10) {
      case 0:
      case 1:
        await fuzzer.send(randomBytes(1 + (i % 300)));
        expected.malformed++;
        break;
      case 2:
        await fuzzer.send(good.subarray(0, 1 + (i % (good.length - 1))));
        expected.malformed++;
        break;
      case 3:
        await fuzzer.send(frame([tell('echo', { type: 'add', n: 1 })], undefined, 99));
        expected.version++;
        break;
      case 4:
        await fuzzer.send(frame([tell('nobody', { type: 'add', n: 1 }), ask('nobody/else', { type: 'count' }, i)], 'not an endpoint'));
        expected['unknown-target'] += 2;
        break;
      case 5:
        await fuzzer.send(frame([tell('echo', { type: 'launchMissiles' }), ask('echo', { type: 'toString' }, i)]));
        expected['unknown-type'] += 2;
        break;
      case 6:
        await fuzzer.send(frame([tell('echo', { type: 'add', n: 'one' }), tell('echo', 'just a string'), tell('echo', { type: 'echo' })]));
        expected['invalid-body'] += 3;
        break;
      case 7:
        await fuzzer.send(encode([WIRE_VERSION, 'tcp://127.0.0.1:9', 'x', [[7, 'echo', 0, {}, null], 'junk', [0, 5, 0, {}, null]]]));
        expected.malformed += 3;
        break;
      case 8:
        await fuzzer.send([Buffer.from('two'), Buffer.from('parts')]);
        expected.malformed++;
        break;
      case 9:
        if (i % 100 === 9) {
          await fuzzer.send(Buffer.alloc(FRAME_LIMIT + 1 + (i % 1000), 0x41));
          expected.oversized++;
        } else {
          await fuzzer.send(encode({ a: [1, 2, 3], not: 'a frame' }));
          expected.malformed++;
        }
        break;
    }
  }

  const local = await ActorSystem.start({ transport: new ZmqTransport({ host: '127.0.0.1', port: 0 }) });
  t.teardown(() => local.terminate());
  const stats = await eventually(async () => {
    const s = await local.ask(local.systemActor(endpoint), { type: 'stats' }, 2000);
    return Object.entries(expected).every(([reason, count]) => (s.dropped[reason] ?? 0) >= count) ? s : undefined;
  }, 20_000, 'all bad frames counted');
  t.comment(JSON.stringify(stats.dropped));
  for (const [reason, count] of Object.entries(expected)) {
    t.equal(stats.dropped[reason], count, `${count} dropped as ${reason}`);
  }
  const echo = local.ref(EchoProtocol, endpoint, 'echo');
  t.equal(await local.ask(echo, { type: 'echo', text: 'still here' }, 5000), 'still here', 'a normal ask succeeds');
  t.equal(peer.lines.filter((l) => /^@@escalation/.test(l)).length, 0, 'no actor failed');
  const dropLogs = peer.lines.filter((l) => l.includes('dropped'));
  t.ok(dropLogs.length > 0 && dropLogs.length <= Object.keys(expected).length + 4, `drops logged at a limited rate (${dropLogs.length} lines)`);
});
