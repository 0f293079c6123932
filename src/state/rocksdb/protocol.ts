/**
 * What the RocksDB client (db-client.ts, on a task's thread) and the RocksDB worker
 * (db-worker.ts, a thread of its own) exchange. Keys and values travel packed in one
 * ArrayBuffer per message (see pack/unpack), transferred rather than copied.
 */

/** Tuning of a RocksDB instance; the binding's defaults where not given. */
export interface RocksDBTuning {
  /** LRU block cache bytes (binding default 8 MiB). */
  readonly blockCacheSize?: number;
  /** Memtable bytes before RocksDB flushes it to an SST file (binding default 4 MiB). */
  readonly writeBufferSize?: number;
}

export type DbRequest =
  | { readonly op: 'open'; readonly db: number; readonly dir: string; readonly tuning: RocksDBTuning }
  /** Puts and deletes, packed: see packWrites. Answered only when it fails. */
  | { readonly op: 'write'; readonly db: number; readonly data: ArrayBuffer }
  | { readonly op: 'getMany'; readonly db: number; readonly keys: ArrayBuffer }
  /** Up to `limit` rows from `gte` (inclusive) to `lt`, in key order. */
  | { readonly op: 'scan'; readonly db: number; readonly gte: Uint8Array; readonly lt: Uint8Array; readonly limit: number }
  /** An iterator over the database as it is once every earlier write is done. */
  | { readonly op: 'iterOpen'; readonly db: number; readonly iterator: number; readonly gte: Uint8Array; readonly lt: Uint8Array }
  | { readonly op: 'iterNext'; readonly db: number; readonly iterator: number; readonly maxBytes: number }
  | { readonly op: 'iterClose'; readonly db: number; readonly iterator: number }
  /** Closes the database, captures its folder into `target`, reopens it. */
  | { readonly op: 'checkpoint'; readonly db: number; readonly target: string }
  /**
   * Closes the database, replaces its folder's content with `files` (each hard-linked where
   * `link`, copied otherwise, under `name`) and opens it again: a restore from a checkpoint's
   * files.
   */
  | { readonly op: 'restoreFiles'; readonly db: number; readonly files: readonly DbFile[] }
  | { readonly op: 'close'; readonly db: number };

/** A file to put in a database's folder: `from` (absolute) under the name `name`. */
export interface DbFile {
  readonly from: string;
  readonly name: string;
  /** Hard-link it (an immutable SST file) rather than copy it. */
  readonly link: boolean;
}

export interface DbRequestFrame {
  readonly id: number;
  /** Answered on the sync port (the caller waits) or the async port. */
  readonly sync: boolean;
  readonly request: DbRequest;
}

export type DbResult =
  | { readonly kind: 'ok' }
  | { readonly kind: 'rows'; readonly data: ArrayBuffer; readonly done: boolean }
  | { readonly kind: 'values'; readonly data: ArrayBuffer }
  | { readonly kind: 'checkpoint'; readonly directory: string; readonly sharedFiles: readonly string[]; readonly privateFiles: readonly string[] };

export interface DbResponseFrame {
  readonly id: number;
  readonly result?: DbResult;
  readonly error?: string;
}

/** Writes `parts` one after another, each behind its 4-byte length (-1 for an absent one). */
export function pack(parts: ReadonlyArray<Uint8Array | undefined>): ArrayBuffer {
  let size = 0;
  for (const p of parts) size += 4 + (p === undefined ? 0 : p.byteLength);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const p of parts) {
    if (p === undefined) {
      view.setInt32(at, -1);
      at += 4;
      continue;
    }
    view.setInt32(at, p.byteLength);
    out.set(p, at + 4);
    at += 4 + p.byteLength;
  }
  return out.buffer;
}

/** The parts `pack` wrote, as views into `data`. */
export function unpack(data: ArrayBuffer): Array<Uint8Array | undefined> {
  const bytes = new Uint8Array(data);
  const view = new DataView(data);
  const parts: Array<Uint8Array | undefined> = [];
  for (let at = 0; at < bytes.byteLength; ) {
    const length = view.getInt32(at);
    at += 4;
    if (length < 0) {
      parts.push(undefined);
      continue;
    }
    parts.push(bytes.subarray(at, at + length));
    at += length;
  }
  return parts;
}

/**
 * A write batch: pairs of (key, value) parts, the value absent for a delete. Grows as rows are
 * added; `take()` hands over the packed bytes and starts afresh.
 */
export class WriteBatchBuilder {
  private parts: Array<Uint8Array | undefined> = [];

  get size(): number {
    return this.parts.length / 2;
  }

  put(key: Uint8Array, value: Uint8Array): void {
    this.parts.push(key, value);
  }

  del(key: Uint8Array): void {
    this.parts.push(key, undefined);
  }

  take(): ArrayBuffer {
    const data = pack(this.parts);
    this.parts = [];
    return data;
  }
}
