/**
 * The RocksDB worker: a thread that owns the RocksDB instances of one slot worker's tasks and
 * serves their requests (protocol.ts). RocksDB's binding is asynchronous only; running it here
 * lets a task's thread wait for a read synchronously (db-client.ts), as a Flink task thread
 * calls RocksDB directly.
 *
 * Per database, requests run one after another in the order they arrived (a read sees every
 * write sent before it; an iterator or a checkpoint starts after them), except an open
 * iterator's reads, which run beside the rest on RocksDB's own snapshot. A failed write fails
 * the database: every later request gets its error, so no task goes on over lost writes.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import type { LevelIterator, LevelRocksDB, RocksDBNative } from 'level-rocksdb';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { captureClosedDatabase, linkOrCopy } from './checkpoint.js';
import { pack, unpack, type DbRequest, type DbRequestFrame, type DbResponseFrame, type DbResult, type RocksDBTuning } from './protocol.js';

interface WorkerPorts {
  readonly requests: MessagePort;
  readonly syncResponses: MessagePort;
  readonly asyncResponses: MessagePort;
  /** Two counters, each bumped and notified: answers on the sync port, and posted writes done. */
  readonly syncSignal: SharedArrayBuffer;
}

/**
 * The binding, loaded here rather than imported: when it does not load in this thread, every
 * request gets that error, so a task waiting on a read fails at once instead of waiting for a
 * worker that is gone.
 */
const binding: { level: typeof import('level-rocksdb').default } | { failure: string } = await import('level-rocksdb').then(
  (module) => ({ level: module.default }),
  (error: unknown) => ({ failure: `RocksDB's native binding did not load in this thread: ${error instanceof Error ? error.message : String(error)}` }),
);

function levelFactory(): typeof import('level-rocksdb').default {
  if ('failure' in binding) throw new Error(binding.failure);
  return binding.level;
}

class Database {
  private queue: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private level: LevelRocksDB | undefined;
  private native: RocksDBNative | undefined;
  private readonly iterators = new Map<number, LevelIterator>();
  private iteratorsClosed: (() => void) | undefined;

  constructor(
    readonly dir: string,
    private readonly tuning: RocksDBTuning,
  ) {}

  /** Runs `work` after everything queued before it; its failure is the caller's only. */
  enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      if (this.failure !== undefined) throw this.failure;
      return work();
    });
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** A write that fails fails the database. */
  fail(error: Error): void {
    this.failure ??= error;
  }

  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const level = levelFactory();
    this.level = await new Promise<LevelRocksDB>((resolve, reject) => {
      const db: LevelRocksDB = level(
        this.dir,
        {
          keyEncoding: 'binary',
          valueEncoding: 'binary',
          createIfMissing: true,
          ...(this.tuning.blockCacheSize !== undefined ? { cacheSize: this.tuning.blockCacheSize } : {}),
          ...(this.tuning.writeBufferSize !== undefined ? { writeBufferSize: this.tuning.writeBufferSize } : {}),
        },
        (error) => (error ? reject(error) : resolve(db)),
      );
    });
    this.native = findNative(this.level);
  }

  /** `endIterators`: end open iterators instead of waiting for their readers (the database goes away). */
  async close(endIterators = false): Promise<void> {
    if (endIterators) for (const id of [...this.iterators.keys()]) await this.closeIterator(id);
    await this.waitForIterators();
    const db = this.level;
    this.level = undefined;
    this.native = undefined;
    if (db !== undefined) await new Promise<void>((resolve, reject) => db.close((e) => (e ? reject(e) : resolve())));
  }

  private db(): RocksDBNative {
    if (this.native === undefined) throw new Error(`the RocksDB database in ${this.dir} is not open`);
    return this.native;
  }

  write(data: ArrayBuffer): Promise<void> {
    const parts = unpack(data);
    const batch = this.db().batch();
    for (let i = 0; i < parts.length; i += 2) {
      const key = toBuffer(parts[i]!);
      const value = parts[i + 1];
      if (value === undefined) batch.del(key);
      else batch.put(key, toBuffer(value));
    }
    return new Promise((resolve, reject) => batch.write({}, (e) => (e ? reject(e) : resolve())));
  }

  async getMany(keys: ArrayBuffer): Promise<ArrayBuffer> {
    const wanted = unpack(keys).map((k) => toBuffer(k!));
    const values = await new Promise<(Buffer | undefined)[]>((resolve, reject) =>
      this.db().getMany(wanted, { fillCache: true }, (e, v) => (e ? reject(e) : resolve(v ?? []))),
    );
    return pack(values);
  }

  /** Rows from `gte` to `lt`, `limit` at most, with an iterator opened and closed here. */
  async scan(gte: Uint8Array, lt: Uint8Array, limit: number): Promise<{ data: ArrayBuffer; done: boolean }> {
    const iterator = this.db().iterator({ gte: toBuffer(gte), lt: toBuffer(lt), limit: limit + 1 });
    try {
      const parts: Uint8Array[] = [];
      let done = false;
      while (parts.length < 2 * limit) {
        const row = await next(iterator);
        if (row === undefined) {
          done = true;
          break;
        }
        parts.push(row[0], row[1]);
      }
      if (!done) done = (await next(iterator)) === undefined;
      return { data: pack(parts), done };
    } finally {
      await end(iterator);
    }
  }

  openIterator(id: number, gte: Uint8Array, lt: Uint8Array): void {
    this.iterators.set(id, this.db().iterator({ gte: toBuffer(gte), lt: toBuffer(lt), highWaterMark: 1 << 20 }));
  }

  async iteratorNext(id: number, maxBytes: number): Promise<{ data: ArrayBuffer; done: boolean }> {
    const iterator = this.iterators.get(id);
    if (iterator === undefined) throw new Error(`no open iterator ${id}`);
    const parts: Uint8Array[] = [];
    let bytes = 0;
    while (bytes < maxBytes) {
      const row = await next(iterator);
      if (row === undefined) return { data: pack(parts), done: true };
      parts.push(row[0], row[1]);
      bytes += row[0].byteLength + row[1].byteLength;
    }
    return { data: pack(parts), done: false };
  }

  async closeIterator(id: number): Promise<void> {
    const iterator = this.iterators.get(id);
    if (iterator === undefined) return;
    this.iterators.delete(id);
    try {
      await end(iterator);
    } finally {
      if (this.iterators.size === 0) this.iteratorsClosed?.();
    }
  }

  private waitForIterators(): Promise<void> {
    if (this.iterators.size === 0) return Promise.resolve();
    return new Promise((resolve) => (this.iteratorsClosed = resolve));
  }
}

function next(iterator: LevelIterator): Promise<[Buffer, Buffer] | undefined> {
  return new Promise((resolve, reject) =>
    iterator.next((e, key, value) => (e ? reject(e) : resolve(key === undefined || value === undefined ? undefined : [key, value]))),
  );
}

function end(iterator: LevelIterator): Promise<void> {
  return new Promise((resolve, reject) => iterator.end((e) => (e ? reject(e) : resolve())));
}

/** A Buffer over the same bytes (the binding wants Buffers). */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** `rocksdb`'s LevelDOWN beneath levelup and encoding-down: the hot path without their per-key work. */
function findNative(db: LevelRocksDB): RocksDBNative {
  let layer: unknown = db;
  for (let depth = 0; depth < 5 && typeof layer === 'object' && layer !== null; depth++) {
    const candidate = layer as Partial<RocksDBNative> & { db?: unknown };
    if (typeof candidate.getProperty === 'function' && typeof candidate.compactRange === 'function') return candidate as RocksDBNative;
    layer = candidate.db;
  }
  throw new Error('level-rocksdb: no rocksdb binding beneath levelup; has the package layout changed?');
}

const databases = new Map<number, Database>();

function database(id: number): Database {
  const db = databases.get(id);
  if (db === undefined) throw new Error(`no RocksDB database ${id} is open`);
  return db;
}

async function serve(request: DbRequest): Promise<DbResult | undefined> {
  switch (request.op) {
    case 'open': {
      const db = new Database(request.dir, request.tuning);
      databases.set(request.db, db);
      try {
        await db.enqueue(() => db.open());
      } catch (error) {
        // Requests already queued behind the open get its error too.
        db.fail(error as Error);
        databases.delete(request.db);
        throw error;
      }
      return { kind: 'ok' };
    }
    case 'write': {
      const db = database(request.db);
      await db.enqueue(() => db.write(request.data)).catch((error: unknown) => {
        db.fail(error as Error);
        throw error;
      });
      return undefined;
    }
    case 'getMany': {
      const db = database(request.db);
      return { kind: 'values', data: await db.enqueue(() => db.getMany(request.keys)) };
    }
    case 'scan': {
      const db = database(request.db);
      return { kind: 'rows', ...(await db.enqueue(() => db.scan(request.gte, request.lt, request.limit))) };
    }
    case 'iterOpen': {
      const db = database(request.db);
      await db.enqueue(async () => db.openIterator(request.iterator, request.gte, request.lt));
      return { kind: 'ok' };
    }
    case 'iterNext':
      return { kind: 'rows', ...(await database(request.db).iteratorNext(request.iterator, request.maxBytes)) };
    case 'iterClose':
      await database(request.db).closeIterator(request.iterator);
      return { kind: 'ok' };
    case 'checkpoint': {
      const db = database(request.db);
      const captured = await db.enqueue(async () => {
        // Opening a database writes its log (the writes since the last flush) into an SST
        // file: closed and opened once more, the copy holds them as an SST file, which the
        // next checkpoint can reuse, rather than as a log, which each checkpoint copies.
        await db.close();
        await db.open();
        await db.close();
        try {
          return await captureClosedDatabase(db.dir, request.target);
        } finally {
          await db.open();
        }
      });
      return { kind: 'checkpoint', ...captured };
    }
    case 'restoreFiles': {
      const db = database(request.db);
      await db.enqueue(async () => {
        await db.close(true);
        await rm(db.dir, { recursive: true, force: true });
        await mkdir(db.dir, { recursive: true });
        for (const file of request.files) {
          const to = join(db.dir, file.name);
          if (file.link) await linkOrCopy(file.from, to);
          else await copyFile(file.from, to);
        }
        await db.open();
      });
      return { kind: 'ok' };
    }
    case 'close': {
      const db = databases.get(request.db);
      if (db === undefined) return { kind: 'ok' };
      databases.delete(request.db);
      await db.enqueue(() => db.close(true)).catch(() => db.close(true));
      return { kind: 'ok' };
    }
  }
}

const ports = workerData as WorkerPorts;
const signal = new Int32Array(ports.syncSignal);

function answer(frame: DbRequestFrame, response: DbResponseFrame): void {
  const transfer = response.result !== undefined && 'data' in response.result ? [response.result.data] : [];
  if (frame.sync) {
    ports.syncResponses.postMessage(response, transfer);
    Atomics.add(signal, 0, 1);
    Atomics.notify(signal, 0);
  } else {
    ports.asyncResponses.postMessage(response, transfer);
  }
}

/** Counts a posted write as done (applied or failed): its poster may be waiting for room (db-client). */
function writeDone(): void {
  Atomics.add(signal, 1, 1);
  Atomics.notify(signal, 1);
}

ports.requests.on('message', (frame: DbRequestFrame) => {
  const served = serve(frame.request);
  if (frame.request.op === 'write' && !frame.sync) void served.then(writeDone, writeDone);
  served.then(
    (result) => {
      // A write succeeds silently: the client does not wait for it.
      if (frame.request.op !== 'write' || frame.sync) answer(frame, result === undefined ? { id: frame.id, result: { kind: 'ok' } } : { id: frame.id, result });
    },
    (error: unknown) => answer(frame, { id: frame.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
