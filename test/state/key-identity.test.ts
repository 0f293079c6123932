import t from 'tap';
import { decodeKeyId, describeKey, keyIdentity } from '../../src/state/index.js';

t.test('a primitive key is its own identity, and 1, "1" and 1n stay distinct', async (t) => {
  for (const key of ['k', '', 1, 1.5, -3, true, false, 7n, null, undefined, Number.NaN]) {
    t.ok(Object.is(keyIdentity(key, 'key'), key), `identity of ${String(key)}`);
  }
  const ids = new Set([keyIdentity(1, 'key'), keyIdentity('1', 'key'), keyIdentity(1n, 'key'), keyIdentity(true, 'key')]);
  t.equal(ids.size, 4);
});

t.test('equal composite keys share one identity whatever their property order', async (t) => {
  t.equal(keyIdentity(['a', 1], 'key'), keyIdentity(['a', 1], 'key'));
  t.equal(keyIdentity({ x: 1, y: [2, 3] }, 'key'), keyIdentity({ y: [2, 3], x: 1 }, 'key'));
  t.not(keyIdentity([1, 2], 'key'), keyIdentity(['1', '2'], 'key'));
  t.not(keyIdentity([1], 'key'), keyIdentity([1n], 'key'));
  t.not(keyIdentity([undefined], 'key'), keyIdentity([null], 'key'));
  t.not(keyIdentity(['a,b'], 'key'), keyIdentity(['a', 'b'], 'key'));
  t.not(keyIdentity({ a: 1 }, 'key'), keyIdentity([['a', 1]], 'key'));
});

t.test('no string key can collide with a composite key', async (t) => {
  const composite = keyIdentity(['x'], 'key');
  t.type(composite, 'string');
  t.not(keyIdentity(composite, 'key'), composite, 'the string spelling of a composite identity is escaped');
  t.equal(decodeKeyId(keyIdentity(composite, 'key')), composite);
  t.equal(decodeKeyId(keyIdentity('\u0000', 'key')), '\u0000');
});

t.test('identities decode back to equal keys', async (t) => {
  const keys: unknown[] = [
    ['a', 1, true, null, undefined, 12345678901234567890n, -5n],
    { name: 'x"y', nested: { list: [1.25, -0.5, 1e21, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY] } },
    [[], {}, [[[]]], ''],
    ['comma,', 'colon:', 'bracket]', 'brace}', 'quote"', 'backslash\\', 'newline\n', 'ünï😀', '\u0000'],
    { __proto__x: 1, 'with space': 2 },
  ];
  for (const key of keys) t.same(decodeKeyId(keyIdentity(key, 'key')), key, JSON.stringify(key, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)));
  t.ok(Object.is((decodeKeyId(keyIdentity([-0], 'key')) as number[])[0], 0), '-0 reads back as 0, the same Map key');
});

t.test('an own "__proto__" property survives the round trip as a property', async (t) => {
  const key: Record<string, unknown> = JSON.parse('{"__proto__": 5, "a": 1}') as Record<string, unknown>;
  const decoded = decodeKeyId(keyIdentity(key, 'key')) as Record<string, unknown>;
  t.same(Object.keys(decoded).sort(), ['__proto__', 'a']);
  t.equal(Object.getPrototypeOf(decoded), Object.prototype);
  t.equal(Object.getOwnPropertyDescriptor(decoded, '__proto__')?.value, 5);
});

t.test('class instances, functions and symbols have no identity', async (t) => {
  class Point {
    constructor(readonly x: number) {}
  }
  t.throws(() => keyIdentity(new Point(1), 'namespace'), { name: 'UnsupportedKeyError', role: 'namespace', valueType: 'Point' });
  t.throws(() => keyIdentity([() => 1], 'map key'), { name: 'UnsupportedKeyError', role: 'map key', valueType: 'function' });
  t.throws(() => keyIdentity(Symbol('s'), 'key'), { name: 'UnsupportedKeyError', valueType: 'symbol' });
  t.doesNotThrow(() => keyIdentity(Object.create(null) as object, 'key'), 'a null-prototype object is plain');
});

t.test('keys are described shortly for error messages', async (t) => {
  t.equal(describeKey('user-1'), '"user-1"');
  t.equal(describeKey(12), '12');
  t.equal(describeKey(['a', 1]), '["a",1]');
  t.equal(describeKey(5n), '5n');
  t.ok(describeKey('x'.repeat(500)).length <= 80);
  t.equal(describeKey(new Date(0)), '<Date>');
});
