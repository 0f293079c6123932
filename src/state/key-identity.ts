/**
 * Identities for keys, namespaces and map-state keys, as JavaScript Map keys. A primitive is its
 * own identity (Maps compare by SameValueZero, so `1`, `'1'` and `1n` stay distinct and no string
 * is built); a composite (array or plain object) becomes a canonical string computed once, when
 * the key is set, so two structurally equal tuples share one entry.
 *
 * Canonical strings start with U+0000. The rare string key that itself starts with U+0000 is
 * escaped into the same form (its JSON spelling behind the prefix), so no string key can collide
 * with a composite one. Identities decode back into equal keys for iteration and snapshots.
 */
import { type KeyRole, UnsupportedKeyError } from './errors.js';
import { describeType, isPlainObject, MAX_KEY_DEPTH } from './key-groups.js';

/** What a key is stored under: the primitive itself, or a U+0000-prefixed canonical string. */
export type KeyId = string | number | boolean | bigint | null | undefined;

const PREFIX = '\u0000';

/**
 * The identity of `value`. Primitives cost nothing; composites are encoded as: strings in JSON,
 * numbers as `String(n)` (`NaN`, `Infinity`, `-0` as `0`), bigints as `<digits>n`, `true`,
 * `false`, `null`, `undefined`, arrays as `[a,b]` and plain objects as `{"k":v}` with keys in
 * ascending order (so property order does not matter).
 */
export function keyIdentity(value: unknown, role: KeyRole): KeyId {
  switch (typeof value) {
    case 'string':
      return value.length !== 0 && value.charCodeAt(0) === 0 ? PREFIX + JSON.stringify(value) : value;
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return value;
    case 'object':
      return value === null ? null : PREFIX + encodeComposite(value, role, 0);
    default:
      throw new UnsupportedKeyError(role, typeof value);
  }
}

/** The key an identity stands for; composites come back as fresh, equal arrays and objects. */
export function decodeKeyId(id: KeyId): unknown {
  if (typeof id !== 'string' || id.length === 0 || id.charCodeAt(0) !== 0) return id;
  const parser = new CanonicalParser(id);
  const value = parser.value();
  if (parser.pos !== id.length) throw new Error(`Malformed canonical key at ${parser.pos}: ${JSON.stringify(id)}`);
  return value;
}

/** A printable, shortened form of a key for error messages. */
export function describeKey(value: unknown): string {
  let text: string;
  try {
    const id = keyIdentity(value, 'key');
    text = typeof id === 'string' ? (id.startsWith(PREFIX) ? id.slice(1) : JSON.stringify(id)) : typeof id === 'bigint' ? `${id}n` : String(id);
  } catch {
    text = `<${describeType(value)}>`;
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function encodeValue(value: unknown, role: KeyRole, depth: number): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return `${value}n`;
    case 'undefined':
      return 'undefined';
    case 'object':
      return value === null ? 'null' : encodeComposite(value, role, depth + 1);
    default:
      throw new UnsupportedKeyError(role, typeof value);
  }
}

function encodeComposite(value: object, role: KeyRole, depth: number): string {
  if (depth >= MAX_KEY_DEPTH) throw new UnsupportedKeyError(role, 'cyclic or too deeply nested value');
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += encodeValue(value[i], role, depth);
    }
    return out + ']';
  }
  if (!isPlainObject(value)) throw new UnsupportedKeyError(role, describeType(value));
  const record = value as Record<string, unknown>;
  const names = Object.keys(record).sort();
  let out = '{';
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    if (i > 0) out += ',';
    out += JSON.stringify(name) + ':' + encodeValue(record[name], role, depth);
  }
  return out + '}';
}

/** Reads back what `encodeValue` wrote; only ever sees strings this module produced. */
class CanonicalParser {
  pos = 1;

  constructor(private readonly text: string) {}

  value(): unknown {
    const c = this.text.charAt(this.pos);
    switch (c) {
      case '"':
        return this.string();
      case '[':
        return this.array();
      case '{':
        return this.object();
      default:
        return this.scalar();
    }
  }

  private string(): string {
    const start = this.pos;
    let i = start + 1;
    while (i < this.text.length) {
      const c = this.text.charCodeAt(i);
      if (c === 0x5c) i += 2;
      else if (c === 0x22) break;
      else i++;
    }
    this.pos = i + 1;
    return JSON.parse(this.text.slice(start, this.pos)) as string;
  }

  private array(): unknown[] {
    const out: unknown[] = [];
    this.pos++;
    if (this.text.charAt(this.pos) === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      const c = this.text.charAt(this.pos++);
      if (c === ']') return out;
      if (c !== ',') throw this.malformed();
    }
  }

  private object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.pos++;
    if (this.text.charAt(this.pos) === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      const name = this.string();
      if (this.text.charAt(this.pos++) !== ':') throw this.malformed();
      // defineProperty so a key named "__proto__" stays an own property.
      Object.defineProperty(out, name, { value: this.value(), enumerable: true, writable: true, configurable: true });
      const c = this.text.charAt(this.pos++);
      if (c === '}') return out;
      if (c !== ',') throw this.malformed();
    }
  }

  private scalar(): unknown {
    let end = this.pos;
    while (end < this.text.length) {
      const c = this.text.charAt(end);
      if (c === ',' || c === ']' || c === '}' || c === ':') break;
      end++;
    }
    const token = this.text.slice(this.pos, end);
    this.pos = end;
    switch (token) {
      case 'true':
        return true;
      case 'false':
        return false;
      case 'null':
        return null;
      case 'undefined':
        return undefined;
      default:
        if (token.endsWith('n')) return BigInt(token.slice(0, -1));
        if (token.length === 0) throw this.malformed();
        return Number(token);
    }
  }

  private malformed(): Error {
    return new Error(`Malformed canonical key at ${this.pos}: ${JSON.stringify(this.text)}`);
  }
}
