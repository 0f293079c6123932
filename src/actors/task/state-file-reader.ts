/**
 * Reads a task state file (state-files.ts) without holding its key groups' bytes.
 *
 * A state file is one CBOR item whose bulk is the key groups' entries, each embedded CBOR (tag
 * 24 over a byte string). A small CBOR walker streams through the file with one read buffer and
 * copies everything else into a *skeleton*: the file's CBOR with each key group's byte string
 * replaced by tag 24 over a number, the index of a span (offset and length) in the file. The
 * skeleton is then decoded as usual (src/net/codec.ts) and a key group's bytes are read from the
 * file only when the restore asks for its entries (`readSpan`), so a restore holds the skeleton
 * and one key group rather than the whole file. Small key groups are kept in the skeleton, up to
 * a budget per file, which saves their reads.
 *
 * The walker checks that the file is well-formed CBOR throughout: its skeleton, that every
 * item ends before the file does (a truncated file is found here, not when a key group is read)
 * and that nothing follows the item. What a key group's bytes hold is checked when decoded.
 *
 * No descriptor outlives a call: the walk opens and closes the file, and so does each read of a
 * span, checking first that the file is still the one walked (device, inode, size, modification
 * time), since the spans' offsets are only true of that file.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { cborHead } from '../../net/index.js';
import { StateFileError } from './errors.js';

/** Where a key group's embedded entries are in the file. */
export interface EmbeddedSpan {
  readonly offset: number;
  readonly length: number;
}

/** What tells a later read that the file is still the one whose skeleton was read. */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

/** What a walk read, for tests and measurements. */
export interface SkeletonReadStats {
  readonly fileBytes: number;
  /** Bytes read from the file: the skeleton, and what a read-ahead took of the key groups. */
  readonly bytesRead: number;
  readonly reads: number;
  /** The size of the walker's one read buffer, the most of the file it holds at a time. */
  readonly bufferBytes: number;
}

export interface StateFileSkeleton {
  /** The file's CBOR, each span's byte string replaced by tag 24 over its index in `spans`. */
  readonly cbor: Uint8Array;
  readonly spans: readonly EmbeddedSpan[];
  readonly identity: FileIdentity;
  readonly stats: SkeletonReadStats;
}

export interface SkeletonReadOptions {
  /** The read buffer's size; at least 4 KiB. */
  readonly bufferBytes?: number;
  /** How many bytes of key groups the skeleton may keep, in total; the others become spans. */
  readonly inlineBytes?: number;
}

const BUFFER_BYTES = 4 << 20;
const INLINE_BYTES = 1 << 20;
/** The read-ahead after the walker skipped a key group: what follows is likely a few bytes of skeleton and the next key group. */
const MIN_READ = 16 << 10;
/** Deeper nesting is refused rather than risking the stack (cbor-x itself gives up a little beyond 2,000). */
const MAX_DEPTH = 1000;
/** Longer map keys are not names of the state file's layout, so their text is not read. */
const MAX_KEY_BYTES = 64;
/** CBOR's tag for an embedded, separately encoded data item. */
const EMBEDDED_CBOR = 24;
/** The typed-array tag (RFC 8746) for a Uint8Array, which cbor-x puts on one. */
const CBOR_X_UINT8_ARRAY = 64;

/** Which byte strings become spans: the key groups' entries, `operators.<id>.keyed.states[i].keyGroups[j].entries`. */
const ENTRIES_PATH: readonly ((key: string | number) => boolean)[] = [
  (k) => k === 'operators',
  (k) => typeof k === 'string',
  (k) => k === 'keyed',
  (k) => k === 'states',
  (k) => typeof k === 'number',
  (k) => k === 'keyGroups',
  (k) => typeof k === 'number',
  (k) => k === 'entries',
];
/** An item off ENTRIES_PATH. */
const OFF_PATH = -1;

/**
 * Walks the state file at `path` and returns its skeleton; a missing or unreadable file, or one
 * that is not well-formed CBOR (truncated, trailing bytes, ...), throws a StateFileError naming it.
 */
export function readStateFileSkeleton(path: string, options: SkeletonReadOptions = {}): StateFileSkeleton {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new StateFileError(path, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : `it cannot be read (${(err as Error).message})`, err);
  }
  try {
    const stats = fstatSync(fd);
    const identity: FileIdentity = { dev: stats.dev, ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs };
    const walker = new Walker(path, fd, stats.size, Math.max(4096, options.bufferBytes ?? BUFFER_BYTES), options.inlineBytes ?? INLINE_BYTES);
    walker.walk();
    return {
      cbor: walker.skeleton.bytes(),
      spans: walker.spans,
      identity,
      stats: { fileBytes: stats.size, bytesRead: walker.bytesRead, reads: walker.reads, bufferBytes: walker.bufferBytes },
    };
  } catch (err) {
    if (err instanceof StateFileError) throw err;
    throw new StateFileError(path, `it cannot be read (${(err as Error).message})`, err);
  } finally {
    closeSync(fd);
  }
}

/**
 * The bytes of `span` of the file walked, read with an open of their own; `what` names them in
 * errors (a file that is gone, or changed since its skeleton was read, or ends early).
 */
export function readSpan(path: string, identity: FileIdentity, span: EmbeddedSpan, what: string): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new StateFileError(path, `${what} cannot be read (${(err as Error).message})`, err);
  }
  try {
    const now = fstatSync(fd);
    if (now.dev !== identity.dev || now.ino !== identity.ino || now.size !== identity.size || now.mtimeMs !== identity.mtimeMs) {
      throw new StateFileError(path, `it changed after it was opened for restore, so ${what} is no longer where it was`);
    }
    const bytes = Buffer.allocUnsafe(span.length);
    for (let at = 0; at < span.length; ) {
      const n = readSync(fd, bytes, at, span.length - at, span.offset + at);
      if (n === 0) throw new StateFileError(path, `it ends before the end of ${what}`);
      at += n;
    }
    return bytes;
  } catch (err) {
    if (err instanceof StateFileError) throw err;
    throw new StateFileError(path, `${what} cannot be read (${(err as Error).message})`, err);
  } finally {
    closeSync(fd);
  }
}

/** A CBOR item's head: where the item starts, its major type, and its argument (a length, count, tag or value), -1 for indefinite length. */
interface Head {
  readonly start: number;
  readonly major: number;
  readonly arg: number;
}

/**
 * One pass over the file. The buffer holds the file's bytes from `bufferStart` to `bufferEnd`;
 * `pos` is where the walk is; the bytes from `copyFrom` to `pos` belong to the skeleton and are
 * copied into it before the buffer lets them go.
 */
class Walker {
  readonly skeleton = new ByteBuilder();
  readonly spans: EmbeddedSpan[] = [];
  bytesRead = 0;
  reads = 0;
  private readonly buffer: Buffer;
  private bufferStart = 0;
  private bufferEnd = 0;
  private pos = 0;
  private copyFrom = 0;
  private readAhead = MIN_READ;
  private inlined = 0;

  constructor(
    private readonly path: string,
    private readonly fd: number,
    private readonly size: number,
    bufferBytes: number,
    private readonly inlineBytes: number,
  ) {
    this.buffer = Buffer.allocUnsafe(bufferBytes);
  }

  get bufferBytes(): number {
    return this.buffer.byteLength;
  }

  walk(): void {
    this.item(0, 0);
    if (this.pos !== this.size) this.malformed(`${this.size - this.pos} bytes follow its item, from byte ${this.pos}`);
    this.flush();
  }

  /** One item; `matched` is how many steps of ENTRIES_PATH its path follows, OFF_PATH if it left it. */
  private item(depth: number, matched: number): void {
    this.body(this.head(), depth, matched);
  }

  private body(head: Head, depth: number, matched: number): void {
    if (depth > MAX_DEPTH) this.malformed(`it is nested more than ${MAX_DEPTH} deep`);
    const { major, arg } = head;
    switch (major) {
      case 0:
      case 1:
      case 7:
        return;
      case 2:
      case 3:
        if (arg >= 0) this.pass(arg);
        else this.chunks(major);
        return;
      case 4:
        for (let i = 0; arg < 0 ? !this.atBreak() : i < arg; i++) this.item(depth + 1, step(matched, i));
        return;
      case 5:
        for (let i = 0; arg < 0 ? !this.atBreak() : i < arg; i++) {
          const key = this.key(depth + 1, matched);
          this.item(depth + 1, key === undefined ? OFF_PATH : step(matched, key));
        }
        return;
      case 6:
        if (arg === EMBEDDED_CBOR && matched === ENTRIES_PATH.length) this.embedded(head.start, depth);
        else this.item(depth + 1, OFF_PATH);
        return;
    }
  }

  /**
   * A key group's entries: tag 24 over a byte string, which becomes a span unless the file's
   * budget for inline key groups still has room for it. Nothing else is let through here, so
   * that nothing in the file decodes to what a placeholder does (a number).
   */
  private embedded(tagStart: number, depth: number): void {
    let content = this.head();
    if (content.major === 6 && content.arg === CBOR_X_UINT8_ARRAY) {
      // What cbor-x writes for a Uint8Array (not a Buffer): kept as it is.
      content = this.head();
      if (content.major !== 2) this.malformed(`the tag 24 at byte ${tagStart} does not hold a byte string`);
      this.body(content, depth + 2, OFF_PATH);
      return;
    }
    if (content.major !== 2) this.malformed(`the tag 24 at byte ${tagStart} does not hold a byte string`);
    const length = content.arg;
    if (length < 0 || this.inlined + length <= this.inlineBytes) {
      this.inlined += Math.max(length, 0);
      this.body(content, depth + 1, OFF_PATH);
      return;
    }
    const offset = this.pos;
    if (offset + length > this.size) this.truncated();
    // The tag and byte-string heads just read are in the skeleton once flushed: take them back
    // out and put the placeholder in their place.
    this.flush();
    this.skeleton.drop(offset - tagStart);
    this.skeleton.append(Uint8Array.of(0xd8, EMBEDDED_CBOR));
    this.skeleton.append(cborHead(0, this.spans.length));
    this.spans.push({ offset, length });
    this.pos = offset + length;
    this.copyFrom = this.pos;
    if (this.pos > this.bufferEnd) {
      this.bufferStart = this.bufferEnd = this.pos;
      this.readAhead = MIN_READ;
    }
  }

  /**
   * A map's key, read as text if it could be a step of ENTRIES_PATH; undefined for any other
   * key, or when the map is off the path (its keys are walked over, not read).
   */
  private key(depth: number, matched: number): string | undefined {
    const head = this.head();
    if (matched === OFF_PATH || matched >= ENTRIES_PATH.length || head.major !== 3 || head.arg < 0) {
      this.body(head, depth, OFF_PATH);
      return undefined;
    }
    if (head.arg > MAX_KEY_BYTES) {
      // Not a name of the layout, but it may be an operator's id: any text will do for that.
      this.pass(head.arg);
      return '';
    }
    this.ensure(head.arg);
    const at = this.pos - this.bufferStart;
    this.pos += head.arg;
    return this.buffer.toString('utf8', at, at + head.arg);
  }

  /** An indefinite-length byte or text string: definite strings of its major type up to a break. */
  private chunks(major: number): void {
    while (!this.atBreak()) {
      const chunk = this.head();
      if (chunk.major !== major || chunk.arg < 0) this.malformed(`a chunk of the indefinite-length string before byte ${this.pos} is not a definite string of its type`);
      this.pass(chunk.arg);
    }
  }

  private head(): Head {
    this.ensure(1);
    const start = this.pos;
    const initial = this.buffer[start - this.bufferStart]!;
    this.pos += 1;
    const major = initial >> 5;
    const info = initial & 0x1f;
    if (info < 24) return { start, major, arg: info };
    if (info < 28) {
      const n = 1 << (info - 24);
      this.ensure(n);
      const at = this.pos - this.bufferStart;
      this.pos += n;
      const arg = n === 1 ? this.buffer[at]! : n === 2 ? this.buffer.readUInt16BE(at) : n === 4 ? this.buffer.readUInt32BE(at) : this.buffer.readUInt32BE(at) * 2 ** 32 + this.buffer.readUInt32BE(at + 4);
      return { start, major, arg };
    }
    if (info === 31 && major >= 2 && major <= 5) return { start, major, arg: -1 };
    if (info === 31 && major === 7) this.malformed(`a break at byte ${start} ends nothing`);
    return this.malformed(`the head at byte ${start} (0x${initial.toString(16)}) is not well-formed`);
  }

  /** Whether a break (0xff) is next, which it then consumes. */
  private atBreak(): boolean {
    this.ensure(1);
    if (this.buffer[this.pos - this.bufferStart] !== 0xff) return false;
    this.pos += 1;
    return true;
  }

  /** Walks over `n` bytes of the skeleton, a buffer at a time. */
  private pass(n: number): void {
    if (this.pos + n > this.size) this.truncated();
    for (let left = n; left > 0; ) {
      if (this.pos === this.bufferEnd) this.refill(1);
      const step = Math.min(left, this.bufferEnd - this.pos);
      this.pos += step;
      left -= step;
    }
  }

  /** Makes the next `n` bytes (at most the buffer's size) readable in the buffer. */
  private ensure(n: number): void {
    if (this.bufferEnd - this.pos < n) this.refill(n);
  }

  /**
   * Copies what the skeleton still needs out of the buffer, moves the unread rest to its start
   * and reads on: at least `n` bytes, at most a read-ahead that doubles with every refill since
   * the last key group skipped.
   */
  private refill(n: number): void {
    if (this.pos + n > this.size) this.truncated();
    this.flush();
    const kept = this.bufferEnd - this.pos;
    this.buffer.copyWithin(0, this.pos - this.bufferStart, this.bufferEnd - this.bufferStart);
    this.bufferStart = this.pos;
    const want = Math.min(this.buffer.byteLength, this.size - this.pos, Math.max(n, kept + this.readAhead));
    while (this.bufferEnd - this.bufferStart < want) {
      const filled = this.bufferEnd - this.bufferStart;
      const read = readSync(this.fd, this.buffer, filled, want - filled, this.bufferEnd);
      if (read === 0) break;
      this.bufferEnd += read;
      this.bytesRead += read;
      this.reads += 1;
    }
    // The file is shorter than when it was opened.
    if (this.bufferEnd - this.pos < n) this.truncated();
    this.readAhead = Math.min(this.readAhead * 2, this.buffer.byteLength);
  }

  /** Copies the skeleton's bytes walked since the last copy out of the buffer. */
  private flush(): void {
    if (this.copyFrom < this.pos) this.skeleton.append(this.buffer.subarray(this.copyFrom - this.bufferStart, this.pos - this.bufferStart));
    this.copyFrom = this.pos;
  }

  private truncated(): never {
    return this.malformed(`it ends at byte ${this.size} in the middle of an item: the file is truncated`);
  }

  private malformed(reason: string): never {
    throw new StateFileError(this.path, `it is not valid CBOR (${reason})`);
  }
}

/** The steps of ENTRIES_PATH an item follows, given its parent's and its own key or index. */
function step(matched: number, key: string | number): number {
  return matched !== OFF_PATH && matched < ENTRIES_PATH.length && ENTRIES_PATH[matched]!(key) ? matched + 1 : OFF_PATH;
}

/** A growing byte array. */
class ByteBuilder {
  private buffer = new Uint8Array(1 << 12);
  private length = 0;

  append(bytes: Uint8Array): void {
    if (this.length + bytes.byteLength > this.buffer.byteLength) {
      const grown = new Uint8Array(Math.max(this.buffer.byteLength * 2, this.length + bytes.byteLength));
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    }
    this.buffer.set(bytes, this.length);
    this.length += bytes.byteLength;
  }

  /** Takes the last `n` bytes back. */
  drop(n: number): void {
    this.length -= n;
  }

  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}
