/**
 * Key groups: Flink's maths for splitting a keyed stream's keys among parallel subtasks, as pure
 * functions. A key's group is `murmurHash(hashCode(key)) % maxParallelism`; subtask `i` of `p`
 * owns the contiguous range of groups that `computeKeyGroupRangeForOperatorIndex` gives. Because
 * `hashKey` reproduces Java's `hashCode` for the types a Flink job would key by, a string or
 * integer key lands in the same key group (and so the same subtask) as it would in Flink.
 */
import { UPPER_BOUND_MAX_PARALLELISM } from '../config/index.js';
import { InvalidKeyGroupRangeError, InvalidParallelismError, UnsupportedKeyError } from './errors.js';

export { UPPER_BOUND_MAX_PARALLELISM };

/** Composite keys nested deeper than this are taken for cyclic. */
export const MAX_KEY_DEPTH = 64;

const INT32_MIN = -2147483648;
const TWO_POW_32 = 4294967296;
// Java's canonical NaN (doubleToLongBits) is 0x7ff8000000000000: high word ^ low word.
const NAN_HASH = 0x7ff80000;
// One scratch buffer for the float64 bits of a double: no allocation per hashed number.
const float64Bits = new DataView(new ArrayBuffer(8));

/**
 * Java-compatible 32-bit hash of a key, so keys land in the key groups Flink would put them in:
 *
 * - string: `String.hashCode` over UTF-16 code units (`s[0]*31^(n-1) + ... + s[n-1]`);
 * - number: an int32 value is its own hash (`Integer.hashCode`); any other safe integer hashes as
 *   a `long` (`(int)(v ^ (v >>> 32))`); every other number (fractions, NaN, ±Infinity, integers
 *   beyond 2^53) as a `double` (`Double.hashCode`: the same fold of its IEEE-754 bits, NaN
 *   canonical). `-0` is an integer, so it hashes like `0`;
 * - boolean: 1231 for true, 1237 for false (`Boolean.hashCode`);
 * - bigint: as a Java `long` (`Long.hashCode` of its low 64 bits);
 * - null and undefined: 0;
 * - array (a tuple key): `java.util.Arrays.hashCode` over the elements' hashes
 *   (`h = 1; h = 31*h + hash(e)` per element), applied recursively. Note that Flink's own
 *   `Tuple2..TupleN` hash without the leading 1, so a tuple key does not land where the same
 *   Flink tuple would; a `Row` or `List` key would;
 * - plain object: `Arrays.hashCode` of its entries flattened in ascending key order
 *   (`{b: 2, a: 'x'}` hashes as `['a', 'x', 'b', 2]`), so property order does not matter.
 *
 * Anything else (functions, symbols, class instances, Maps, Dates) throws
 * {@link UnsupportedKeyError}. Primitive keys are hashed without allocating.
 */
export function hashKey(key: unknown): number {
  switch (typeof key) {
    case 'string':
      return hashString(key);
    case 'number':
      return hashNumber(key);
    case 'boolean':
      return key ? 1231 : 1237;
    case 'bigint':
      return hashBigInt(key);
    case 'undefined':
      return 0;
    case 'object':
      return key === null ? 0 : hashComposite(key, 0);
    default:
      throw new UnsupportedKeyError('key', typeof key);
  }
}

/** Java's `String.hashCode`. */
export function hashString(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** Integer, Long or Double `hashCode` of a number, depending on the value (see {@link hashKey}). */
export function hashNumber(n: number): number {
  const asInt = n | 0;
  if (asInt === n) return asInt;
  if (Number.isSafeInteger(n)) {
    // Two's complement words of the 64-bit value; exact for every safe integer.
    const low = n >>> 0;
    const high = Math.floor(n / TWO_POW_32) | 0;
    return (low ^ high) | 0;
  }
  if (n !== n) return NAN_HASH;
  float64Bits.setFloat64(0, n);
  return (float64Bits.getInt32(0) ^ float64Bits.getInt32(4)) | 0;
}

/** Java's `Long.hashCode` of the bigint's low 64 bits. */
export function hashBigInt(n: bigint): number {
  const low = Number(BigInt.asIntN(32, n));
  const high = Number(BigInt.asIntN(32, n >> 32n));
  return (low ^ high) | 0;
}

function hashComposite(value: object, depth: number): number {
  if (depth >= MAX_KEY_DEPTH) throw new UnsupportedKeyError('key', 'cyclic or too deeply nested value');
  let h = 1;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) h = (Math.imul(31, h) + hashElement(value[i], depth)) | 0;
    return h;
  }
  if (!isPlainObject(value)) throw new UnsupportedKeyError('key', describeType(value));
  const record = value as Record<string, unknown>;
  const names = Object.keys(record).sort();
  for (const name of names) {
    h = (Math.imul(31, h) + hashString(name)) | 0;
    h = (Math.imul(31, h) + hashElement(record[name], depth)) | 0;
  }
  return h;
}

function hashElement(v: unknown, depth: number): number {
  return typeof v === 'object' && v !== null ? hashComposite(v, depth + 1) : hashKey(v);
}

/** True for `{...}` literals and `Object.create(null)`: objects with no class of their own. */
export function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A short type name for error messages: `Date`, `Map`, `function`, ... */
export function describeType(value: unknown): string {
  if (typeof value !== 'object' || value === null) return typeof value;
  const ctor: unknown = (value as { constructor?: unknown }).constructor;
  return typeof ctor === 'function' && ctor.name !== '' ? ctor.name : 'object';
}

/**
 * Flink's `MathUtils.murmurHash`: MurmurHash3 (x86, 32-bit, seed 0) of the four little-endian
 * bytes of `code`, made non-negative (`|h|`, and 0 for -2^31). Spreads Java hash codes, which are
 * often sequential, evenly over key groups.
 */
export function murmurHash(code: number): number {
  let h = Math.imul(code | 0, 0xcc9e2d51);
  h = (h << 15) | (h >>> 17);
  h = Math.imul(h, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  h ^= 4; // the input length in bytes
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  if (h >= 0) return h;
  return h === INT32_MIN ? 0 : -h;
}

/** The key group of `key`: `murmurHash(hashKey(key)) % maxParallelism`. */
export function assignToKeyGroup(key: unknown, maxParallelism: number): number {
  return computeKeyGroupForKeyHash(hashKey(key), maxParallelism);
}

/** The key group of a key whose Java-compatible hash is already known. */
export function computeKeyGroupForKeyHash(keyHash: number, maxParallelism: number): number {
  return murmurHash(keyHash) % maxParallelism;
}

/** The subtask (of `parallelism`) that owns `keyGroup`: `keyGroup * parallelism / maxParallelism`. */
export function computeOperatorIndexForKeyGroup(maxParallelism: number, parallelism: number, keyGroup: number): number {
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

/** The subtask (of `parallelism`) that owns `key`. */
export function assignKeyToParallelOperator(key: unknown, maxParallelism: number, parallelism: number): number {
  return computeOperatorIndexForKeyGroup(maxParallelism, parallelism, assignToKeyGroup(key, maxParallelism));
}

/** Throws unless 0 < parallelism <= 2^15. */
export function checkParallelismPreconditions(parallelism: number): void {
  if (!Number.isInteger(parallelism) || parallelism <= 0 || parallelism > UPPER_BOUND_MAX_PARALLELISM) {
    throw new InvalidParallelismError(
      `Operator parallelism must be an integer from 1 to ${UPPER_BOUND_MAX_PARALLELISM}, got ${parallelism}.`,
      parallelism,
      undefined,
    );
  }
}

function checkMaxParallelism(maxParallelism: number, parallelism: number): void {
  if (!Number.isInteger(maxParallelism) || maxParallelism <= 0 || maxParallelism > UPPER_BOUND_MAX_PARALLELISM) {
    throw new InvalidParallelismError(
      `Max parallelism must be an integer from 1 to ${UPPER_BOUND_MAX_PARALLELISM}, got ${maxParallelism}.`,
      parallelism,
      maxParallelism,
    );
  }
  if (maxParallelism < parallelism) {
    throw new InvalidParallelismError(
      `Max parallelism ${maxParallelism} is smaller than parallelism ${parallelism}: each subtask needs at least one key group; raise pipeline.max-parallelism.`,
      parallelism,
      maxParallelism,
    );
  }
}

/**
 * Flink's default max parallelism for an operator of the given parallelism: 1.5 × parallelism
 * rounded up to a power of two, at least 128 and at most 2^15.
 */
export function computeDefaultMaxParallelism(operatorParallelism: number): number {
  checkParallelismPreconditions(operatorParallelism);
  const wanted = operatorParallelism + Math.floor(operatorParallelism / 2);
  let power = 1;
  while (power < wanted) power *= 2;
  return Math.min(Math.max(power, 128), UPPER_BOUND_MAX_PARALLELISM);
}

/** The plain-data form of a {@link KeyGroupRange}, as snapshots carry it. */
export interface KeyGroupRangeData {
  readonly startKeyGroup: number;
  readonly endKeyGroup: number;
}

/** A contiguous, inclusive range of key groups `[startKeyGroup, endKeyGroup]`; immutable. */
export class KeyGroupRange implements KeyGroupRangeData {
  /** The range with no key group (start 0, end -1). */
  static readonly EMPTY: KeyGroupRange = new KeyGroupRange(0, -1);

  /** Number of key groups in the range. */
  readonly size: number;

  private constructor(
    readonly startKeyGroup: number,
    readonly endKeyGroup: number,
  ) {
    this.size = endKeyGroup - startKeyGroup + 1;
  }

  /** `[startKeyGroup, endKeyGroup]`, both inclusive; throws unless 0 <= start <= end. */
  static of(startKeyGroup: number, endKeyGroup: number): KeyGroupRange {
    if (!Number.isInteger(startKeyGroup) || !Number.isInteger(endKeyGroup) || startKeyGroup < 0 || endKeyGroup < startKeyGroup) {
      throw new InvalidKeyGroupRangeError(
        `A key-group range needs integers 0 <= start <= end, got [${startKeyGroup}, ${endKeyGroup}].`,
        startKeyGroup,
        endKeyGroup,
      );
    }
    return new KeyGroupRange(startKeyGroup, endKeyGroup);
  }

  /** A range from its plain-data form (the empty range included). */
  static from(data: KeyGroupRangeData): KeyGroupRange {
    return data.endKeyGroup < data.startKeyGroup && data.startKeyGroup === 0 ? KeyGroupRange.EMPTY : KeyGroupRange.of(data.startKeyGroup, data.endKeyGroup);
  }

  contains(keyGroup: number): boolean {
    return keyGroup >= this.startKeyGroup && keyGroup <= this.endKeyGroup;
  }

  /** The key groups in both ranges; {@link KeyGroupRange.EMPTY} when they are disjoint. */
  intersection(other: KeyGroupRangeData): KeyGroupRange {
    const start = Math.max(this.startKeyGroup, other.startKeyGroup);
    const end = Math.min(this.endKeyGroup, other.endKeyGroup);
    return start <= end ? new KeyGroupRange(start, end) : KeyGroupRange.EMPTY;
  }

  equals(other: KeyGroupRangeData): boolean {
    return this.startKeyGroup === other.startKeyGroup && this.endKeyGroup === other.endKeyGroup;
  }

  toData(): KeyGroupRangeData {
    return { startKeyGroup: this.startKeyGroup, endKeyGroup: this.endKeyGroup };
  }

  toString(): string {
    return `KeyGroupRange{startKeyGroup=${this.startKeyGroup}, endKeyGroup=${this.endKeyGroup}}`;
  }
}

/**
 * The key groups subtask `operatorIndex` of `parallelism` owns: Flink's even split of
 * `[0, maxParallelism)` into `parallelism` contiguous ranges, the larger ones last.
 */
export function computeKeyGroupRangeForOperatorIndex(maxParallelism: number, parallelism: number, operatorIndex: number): KeyGroupRange {
  checkParallelismPreconditions(parallelism);
  checkMaxParallelism(maxParallelism, parallelism);
  if (!Number.isInteger(operatorIndex) || operatorIndex < 0 || operatorIndex >= parallelism) {
    throw new InvalidParallelismError(
      `Operator index must be an integer from 0 to ${parallelism - 1}, got ${operatorIndex}.`,
      parallelism,
      maxParallelism,
    );
  }
  const start = Math.floor((operatorIndex * maxParallelism + parallelism - 1) / parallelism);
  const end = Math.floor(((operatorIndex + 1) * maxParallelism - 1) / parallelism);
  return KeyGroupRange.of(start, end);
}

/** Throws unless `range` lies within `[0, maxParallelism)` and maxParallelism is valid. */
export function checkKeyGroupRange(range: KeyGroupRangeData, maxParallelism: number): void {
  checkMaxParallelism(maxParallelism, 1);
  if (range.endKeyGroup >= maxParallelism) {
    throw new InvalidKeyGroupRangeError(
      `Key-group range [${range.startKeyGroup}, ${range.endKeyGroup}] exceeds max parallelism ${maxParallelism} (key groups 0 to ${maxParallelism - 1}).`,
      range.startKeyGroup,
      range.endKeyGroup,
    );
  }
}
