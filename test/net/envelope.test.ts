import t from 'tap';
import { decode, encode, EnvelopeKind, frameToWire, parseFrame, WIRE_VERSION } from '../../src/net/index.js';

t.test('a frame survives encoding and parsing with every envelope field intact', async (t) => {
  const envelopes = [
    { kind: EnvelopeKind.Tell, target: 'dispatcher', id: 0, body: { type: 'x', n: 1.5, list: [1, 'a'] }, fencingToken: null },
    { kind: EnvelopeKind.Ask, target: 'rm/child', id: 2 ** 40, body: { type: 'y' }, fencingToken: 'token-1' },
    { kind: EnvelopeKind.ErrorReply, target: '', id: 7, body: { name: 'E', message: 'm' }, fencingToken: null },
  ];
  const parsed = parseFrame(decode(encode(frameToWire('tcp://h:1', 'inc', envelopes))));
  t.ok(parsed.ok);
  if (!parsed.ok) return;
  t.equal(parsed.frame.senderEndpoint, 'tcp://h:1');
  t.equal(parsed.frame.senderIncarnation, 'inc');
  t.same(parsed.frame.envelopes, envelopes);
  t.equal(parsed.malformedEnvelopes, 0);
});

t.test('a frame of another wire version is refused as such', async (t) => {
  const wire = frameToWire('tcp://h:1', 'inc', []);
  wire[0] = WIRE_VERSION + 1;
  const parsed = parseFrame(decode(encode(wire)));
  t.same(parsed.ok ? undefined : parsed.reason, 'version');
});

t.test('malformed envelopes are skipped and counted while the others are kept', async (t) => {
  const parsed = parseFrame([WIRE_VERSION, 'tcp://h:1', 'inc', [[0, 'a', 0, {}, null], [9, 'a', 0, {}, null], [0, 'a', 1.5, {}, null], [0, 'a', 0, {}, 5], 'x']]);
  t.ok(parsed.ok);
  if (!parsed.ok) return;
  t.equal(parsed.frame.envelopes.length, 1);
  t.equal(parsed.malformedEnvelopes, 4);
});

t.test('things that are not frames are refused as malformed', async (t) => {
  for (const value of [null, 42, 'frame', {}, [1, 2, 3], [WIRE_VERSION, 5, 'inc', []], [WIRE_VERSION, 'e', 'inc', 'not a list']]) {
    const parsed = parseFrame(value);
    t.same(parsed.ok ? undefined : parsed.reason, 'malformed', JSON.stringify(value));
  }
});

t.test('decoding truncated CBOR throws rather than returning a partial value', async (t) => {
  const bytes = encode(frameToWire('tcp://h:1', 'inc', [{ kind: 0, target: 'a', id: 0, body: { type: 'x' }, fencingToken: null }]));
  t.throws(() => decode(bytes.subarray(0, bytes.length - 3)));
});
