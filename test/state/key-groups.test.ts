// Expected values come from Java, not from this code: test/state/fixtures/DeriveKeyGroupValues.java
// prints the JDK's own String/Integer/Long/Double/Boolean/Arrays.hashCode of each key, and Flink's
// MathUtils.murmurHash computed with Guava's independent MurmurHash3_x86_32 (seed 0, the int's
// four little-endian bytes, then made non-negative as Flink does). Anchor: murmurHash(0) is the
// published MurmurHash3_x86_32 vector for four zero bytes, 0x2362F9DE.
import t from 'tap';
import {
  assignKeyToParallelOperator,
  assignToKeyGroup,
  checkKeyGroupRange,
  computeDefaultMaxParallelism,
  computeKeyGroupForKeyHash,
  computeKeyGroupRangeForOperatorIndex,
  computeOperatorIndexForKeyGroup,
  hashKey,
  KeyGroupRange,
  murmurHash,
} from '../../src/state/index.js';

t.test('string keys hash like Java String.hashCode over UTF-16 code units', async (t) => {
  t.equal(hashKey('hello'), 99162322);
  t.equal(hashKey(''), 0);
  t.equal(hashKey('a'), 97);
  t.equal(hashKey('world'), 113318802);
  t.equal(hashKey('Ünïcödé'), 1055431381);
  t.equal(hashKey('😀'), 1772899, 'a surrogate pair counts as two code units');
  t.equal(hashKey('user-42'), -147182656, 'overflow wraps to a negative int');
});

t.test('numbers hash as Integer, Long or Double depending on their value', async (t) => {
  t.equal(hashKey(0), 0);
  t.equal(hashKey(42), 42);
  t.equal(hashKey(-7), -7);
  t.equal(hashKey(2147483647), 2147483647);
  t.equal(hashKey(-2147483648), -2147483648);
  t.equal(hashKey(-0), 0, '-0 is the integer 0');
  t.equal(hashKey(2 ** 40), 256, 'Long.hashCode(1L << 40)');
  t.equal(hashKey(-(2 ** 40) - 5), 260);
  t.equal(hashKey(Number.MAX_SAFE_INTEGER), -2097152);
  t.equal(hashKey(Number.MIN_SAFE_INTEGER), -2097151);
  t.equal(hashKey(2147483648), -2147483648);
  t.equal(hashKey(-2147483649), -2147483648);
  t.equal(hashKey(3.5), 1074528256, 'Double.hashCode(3.5)');
  t.equal(hashKey(-0.1), 639631363);
  t.equal(hashKey(Number.NaN), 2146959360, 'canonical NaN');
  t.equal(hashKey(Number.POSITIVE_INFINITY), 2146435072);
  t.equal(hashKey(Number.NEGATIVE_INFINITY), -1048576);
  t.equal(hashKey(1e300), -164130400);
  t.equal(hashKey(2 ** 53), 1128267776, '2^53 is no longer a safe integer: hashed as a double');
});

t.test('booleans, bigints, null and undefined hash like their Java counterparts', async (t) => {
  t.equal(hashKey(true), 1231);
  t.equal(hashKey(false), 1237);
  t.equal(hashKey(2n ** 40n), 256, 'like Long');
  t.equal(hashKey(-(2n ** 40n) - 5n), 260);
  t.equal(hashKey(2n ** 64n + 2n ** 40n), 256, 'only the low 64 bits count');
  t.equal(hashKey(42n), hashKey(42), 'a small bigint hashes like the same long');
  t.equal(hashKey(null), 0);
  t.equal(hashKey(undefined), 0);
});

t.test('tuple keys hash like java.util.Arrays.hashCode and objects like their sorted entries', async (t) => {
  t.equal(hashKey(['a', 1]), 3969);
  t.equal(hashKey(['hello', 42, true]), 805743254);
  t.equal(hashKey([]), 1);
  t.equal(hashKey([null, 'x']), 1081);
  t.equal(hashKey([[1, 2], 'b']), 31873, 'nested arrays like Arrays.deepHashCode');
  t.equal(hashKey({ b: 2, a: 'x' }), 3931608);
  t.equal(hashKey({ a: 'x', b: 2 }), 3931608, 'property order does not matter');
});

t.test('murmurHash matches MurmurHash3_x86_32 made non-negative, as Flink computes it', async (t) => {
  t.equal(murmurHash(0), 593689054);
  t.equal(murmurHash(0), 0x2362f9de, 'the published test vector for four zero bytes');
  t.equal(murmurHash(1), 68075478);
  t.equal(murmurHash(-1), 1982413648);
  t.equal(murmurHash(42), 1134849565);
  t.equal(murmurHash(-2147483648), 1718298732);
  t.equal(murmurHash(2147483647), 1653689534);
  t.equal(murmurHash(99162322), 1715862179);
});

t.test('keys land in the key groups Flink assigns them', async (t) => {
  const expected: [unknown, number][] = [
    ['hello', 35],
    ['world', 66],
    ['a', 81],
    ['', 94],
    ['user-42', 20],
    [42, 29],
    [-7, 33],
    [true, 77],
    [false, 3],
    [3.5, 47],
    [2 ** 40, 54],
    [['a', 1], 75],
    [['hello', 42, true], 115],
  ];
  for (const [key, keyGroup] of expected) t.equal(assignToKeyGroup(key, 128), keyGroup, `key ${JSON.stringify(key)}`);
  t.equal(assignToKeyGroup('hello', 32768), 31395);
  t.equal(assignToKeyGroup('hello', 10), 9);
  t.equal(computeKeyGroupForKeyHash(99162322, 128), 35);
});

t.test('sequential keys spread over every key group', async (t) => {
  const counts = new Array<number>(128).fill(0);
  for (let i = 0; i < 20_000; i++) counts[assignToKeyGroup(`key-${i}`, 128)]! += 1;
  t.ok(Math.min(...counts) > 100, `fewest keys in a group: ${Math.min(...counts)}`);
  t.ok(Math.max(...counts) < 220, `most keys in a group: ${Math.max(...counts)}`);
});

t.test('operator index and key-group ranges follow Flink for a known split', async (t) => {
  const ranges = [0, 1, 2].map((i) => computeKeyGroupRangeForOperatorIndex(128, 3, i));
  t.same(
    ranges.map((r) => [r.startKeyGroup, r.endKeyGroup]),
    [
      [0, 42],
      [43, 85],
      [86, 127],
    ],
  );
  t.equal(computeOperatorIndexForKeyGroup(128, 3, 42), 0);
  t.equal(computeOperatorIndexForKeyGroup(128, 3, 43), 1);
  t.equal(computeOperatorIndexForKeyGroup(128, 3, 127), 2);
  t.equal(assignKeyToParallelOperator('hello', 128, 3), 0, 'key group 35 is in the first third');
  t.equal(assignKeyToParallelOperator('world', 128, 3), 1, 'key group 66 is in the second');
});

t.test('ranges tile [0, maxParallelism) and every key group maps to the one operator whose range holds it', async (t) => {
  const maxParallelisms = [1, 2, 3, 7, 10, 64, 127, 128, 129, 1000, 4096];
  let pairs = 0;
  for (const maxParallelism of maxParallelisms) {
    const parallelisms = new Set([1, 2, 3, 4, 5, 7, 8, 13, 31, 64, 100, 127, 128, maxParallelism - 1, maxParallelism].filter((p) => p >= 1 && p <= maxParallelism));
    for (const parallelism of parallelisms) {
      pairs++;
      let next = 0;
      for (let index = 0; index < parallelism; index++) {
        const range = computeKeyGroupRangeForOperatorIndex(maxParallelism, parallelism, index);
        if (range.startKeyGroup !== next || range.size < 1) {
          t.fail(`(${maxParallelism}, ${parallelism}) subtask ${index}: ${range.toString()} does not start at ${next}`);
          return;
        }
        for (let kg = range.startKeyGroup; kg <= range.endKeyGroup; kg++) {
          const owner = computeOperatorIndexForKeyGroup(maxParallelism, parallelism, kg);
          if (owner !== index) {
            t.fail(`(${maxParallelism}, ${parallelism}) key group ${kg} maps to ${owner}, its range belongs to ${index}`);
            return;
          }
        }
        next = range.endKeyGroup + 1;
      }
      if (next !== maxParallelism) {
        t.fail(`(${maxParallelism}, ${parallelism}) ranges end at ${next}`);
        return;
      }
    }
  }
  t.ok(pairs > 100, `${pairs} (maxParallelism, parallelism) pairs checked`);
});

t.test('a parallelism above the max parallelism or outside 1..32768 is rejected', async (t) => {
  t.throws(() => computeKeyGroupRangeForOperatorIndex(4, 8, 0), { name: 'InvalidParallelismError', parallelism: 8, maxParallelism: 4 });
  t.throws(() => computeKeyGroupRangeForOperatorIndex(128, 0, 0), { name: 'InvalidParallelismError' });
  t.throws(() => computeKeyGroupRangeForOperatorIndex(40_000, 2, 0), { name: 'InvalidParallelismError', maxParallelism: 40_000 });
  t.throws(() => computeKeyGroupRangeForOperatorIndex(128, 32_769, 0), { name: 'InvalidParallelismError' });
  t.throws(() => computeKeyGroupRangeForOperatorIndex(128, 4, 4), { name: 'InvalidParallelismError', message: /index/ });
  t.throws(() => computeKeyGroupRangeForOperatorIndex(128, 2.5, 0), { name: 'InvalidParallelismError' });
  t.throws(() => checkKeyGroupRange(KeyGroupRange.of(0, 128), 128), { name: 'InvalidKeyGroupRangeError', endKeyGroup: 128 });
  t.doesNotThrow(() => checkKeyGroupRange(KeyGroupRange.of(0, 127), 128));
});

t.test('KeyGroupRange is inclusive, knows its size and intersects', async (t) => {
  const range = KeyGroupRange.of(10, 19);
  t.equal(range.size, 10);
  t.ok(range.contains(10) && range.contains(19));
  t.notOk(range.contains(9) || range.contains(20));
  t.same(range.intersection(KeyGroupRange.of(15, 30)).toData(), { startKeyGroup: 15, endKeyGroup: 19 });
  t.equal(range.intersection(KeyGroupRange.of(20, 30)), KeyGroupRange.EMPTY);
  t.equal(KeyGroupRange.EMPTY.size, 0);
  t.notOk(KeyGroupRange.EMPTY.contains(0));
  t.ok(KeyGroupRange.from({ startKeyGroup: 10, endKeyGroup: 19 }).equals(range));
  t.throws(() => KeyGroupRange.of(5, 4), { name: 'InvalidKeyGroupRangeError' });
  t.throws(() => KeyGroupRange.of(-1, 4), { name: 'InvalidKeyGroupRangeError' });
});

t.test("the default max parallelism is Flink's: 1.5x rounded up to a power of two within [128, 32768]", async (t) => {
  t.equal(computeDefaultMaxParallelism(1), 128);
  t.equal(computeDefaultMaxParallelism(85), 128);
  t.equal(computeDefaultMaxParallelism(86), 256);
  t.equal(computeDefaultMaxParallelism(1000), 2048);
  t.equal(computeDefaultMaxParallelism(30_000), 32_768);
});

t.test('keys without a stable identity are rejected with their type', async (t) => {
  t.throws(() => hashKey(() => 1), { name: 'UnsupportedKeyError', valueType: 'function', role: 'key' });
  t.throws(() => hashKey(Symbol('s')), { name: 'UnsupportedKeyError', valueType: 'symbol' });
  t.throws(() => hashKey(new Date(0)), { name: 'UnsupportedKeyError', valueType: 'Date' });
  t.throws(() => hashKey(new Map()), { name: 'UnsupportedKeyError', valueType: 'Map' });
  t.throws(() => hashKey(['ok', new Set()]), { name: 'UnsupportedKeyError', valueType: 'Set' });
  const cyclic: unknown[] = [];
  cyclic.push(cyclic);
  t.throws(() => hashKey(cyclic), { name: 'UnsupportedKeyError', valueType: /cyclic/ });
});
