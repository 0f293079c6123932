/**
 * A task thread's handle on a RocksDB instance in the RocksDB worker (db-worker.ts). Reads are
 * synchronous — the thread posts the request and waits on a shared counter until the answer is
 * there, as a Flink task thread waits on RocksDB — so keyed state stays synchronous per record.
 * Writes are posted and not waited for: the worker applies each database's requests in order,
 * so a later read, iterator or checkpoint sees them. A failed write fails the handle: the next
 * call throws its error.
 *
 * One worker serves every handle of the thread (a slot worker's tasks); it starts with the
 * first handle and is unref'd, so it never keeps a process alive.
 */
import { createRequire } from 'node:module';
import { isMainThread, MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { LocalCheckpoint } from './checkpoint.js';
import { unpack, type DbFile, type DbRequest, type DbRequestFrame, type DbResponseFrame, type DbResult, type RocksDBTuning } from './protocol.js';

const WORKER = new URL('./db-worker.mjs', import.meta.url);
/** How long a synchronous call waits for the worker before it gives up. */
const SYNC_TIMEOUT_MS = 120_000;
/**
 * Write batches posted and not yet applied, at most: beyond, the posting thread waits, as a
 * Flink task thread stalls on RocksDB's writes. Without a bound, a task that evicts keys
 * faster than RocksDB takes their rows queues them all in memory.
 */
const MAX_PENDING_WRITES = 8;
/** Slots of the shared counters: answers on the sync port, write batches applied. */
const SYNC_ANSWERS = 0;
const WRITES_APPLIED = 1;

export class RocksDBError extends Error {
  override readonly name = 'RocksDBError';
}

class WorkerLink {
  private readonly worker: Worker;
  private readonly requests: MessagePort;
  private readonly syncResponses: MessagePort;
  /** Referenced while an answer is awaited, so a pending call keeps the process alive. */
  private readonly asyncResponses: MessagePort;
  private readonly signal = new Int32Array(new SharedArrayBuffer(8));
  /** Write batches posted (compared with the worker's count of those applied). */
  private writesPosted = 0;
  private readonly pending = new Map<number, { resolve: (r: DbResult) => void; reject: (e: Error) => void }>();
  /** Async failures of writes, by database: the database's next call throws it. */
  readonly writeFailures = new Map<number, Error>();
  private nextId = 1;
  private exited: Error | undefined;

  constructor() {
    const requests = new MessageChannel();
    const syncResponses = new MessageChannel();
    const asyncResponses = new MessageChannel();
    this.requests = requests.port1;
    this.syncResponses = syncResponses.port1;
    this.worker = new Worker(WORKER, {
      workerData: { requests: requests.port2, syncResponses: syncResponses.port2, asyncResponses: asyncResponses.port2, syncSignal: this.signal.buffer },
      transferList: [requests.port2, syncResponses.port2, asyncResponses.port2],
    });
    this.worker.unref();
    this.worker.on('error', (error) => this.fail(new RocksDBError(`The RocksDB worker failed: ${error.message}`)));
    this.worker.on('exit', (code) => this.fail(new RocksDBError(`The RocksDB worker exited (code ${code}).`)));
    this.asyncResponses = asyncResponses.port1;
    this.asyncResponses.on('message', (frame: DbResponseFrame) => this.settle(frame));
    this.asyncResponses.unref();
    this.requests.unref();
  }

  private fail(error: RocksDBError): void {
    this.exited ??= error;
    if (link === this) link = undefined;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  private settle(frame: DbResponseFrame): void {
    const waiting = this.pending.get(frame.id);
    this.pending.delete(frame.id);
    if (this.pending.size === 0) this.asyncResponses.unref();
    if (frame.error !== undefined) {
      const error = new RocksDBError(frame.error);
      if (waiting !== undefined) waiting.reject(error);
      else this.writeFailures.set(this.writesById.get(frame.id) ?? -1, error);
    } else if (waiting !== undefined) {
      waiting.resolve(frame.result!);
    }
    this.writesById.delete(frame.id);
  }

  private readonly writesById = new Map<number, number>();

  /**
   * Posts a write, whose answer nobody waits for: its failure fails the database. Waits first
   * while {@link MAX_PENDING_WRITES} are still to be applied.
   */
  post(request: DbRequest, transfer: ArrayBuffer[] = []): void {
    this.check();
    const deadline = Date.now() + SYNC_TIMEOUT_MS;
    for (let applied = Atomics.load(this.signal, WRITES_APPLIED); this.writesPosted - applied >= MAX_PENDING_WRITES; applied = Atomics.load(this.signal, WRITES_APPLIED)) {
      if (Date.now() > deadline) throw new RocksDBError(`RocksDB did not apply ${this.writesPosted - applied} writes within ${SYNC_TIMEOUT_MS / 1000} s.`);
      Atomics.wait(this.signal, WRITES_APPLIED, applied, 50);
    }
    this.writesPosted++;
    const id = this.nextId++;
    this.writesById.set(id, request.db);
    this.requests.postMessage({ id, sync: false, request } satisfies DbRequestFrame, transfer);
    // Only failures come back; forget ids of writes long done (a failure names its database anyway).
    if (this.writesById.size > 100_000) this.writesById.clear();
  }

  call(request: DbRequest, transfer: ArrayBuffer[] = []): Promise<DbResult> {
    try {
      this.check();
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.asyncResponses.ref();
      this.pending.set(id, { resolve, reject });
      this.requests.postMessage({ id, sync: false, request } satisfies DbRequestFrame, transfer);
    });
  }

  /** Waits, blocking this thread, for the answer. */
  callSync(request: DbRequest, transfer: ArrayBuffer[] = []): DbResult {
    this.check();
    const id = this.nextId++;
    let seen = Atomics.load(this.signal, SYNC_ANSWERS);
    this.requests.postMessage({ id, sync: true, request } satisfies DbRequestFrame, transfer);
    const deadline = Date.now() + SYNC_TIMEOUT_MS;
    for (;;) {
      const message = receiveMessageOnPort(this.syncResponses);
      if (message !== undefined) {
        const frame = message.message as DbResponseFrame;
        if (frame.id !== id) continue;
        if (frame.error !== undefined) throw new RocksDBError(frame.error);
        return frame.result!;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new RocksDBError(`RocksDB did not answer a ${request.op} within ${SYNC_TIMEOUT_MS / 1000} s.`);
      Atomics.wait(this.signal, SYNC_ANSWERS, seen, Math.min(left, 50));
      seen = Atomics.load(this.signal, SYNC_ANSWERS);
    }
  }

  private check(): void {
    if (this.exited !== undefined) throw this.exited;
  }

  async shutdown(): Promise<void> {
    await this.worker.terminate();
  }
}

let pinned = false;

/**
 * Loads RocksDB's native binding in the main thread for the life of the process. Node forgets
 * a Node-API addon once every thread that loaded it has ended, but the library itself stays
 * mapped (RocksDB's cannot be unloaded), so a thread loading it after that fails with "Module
 * did not self-register". A process whose threads come and go (a TaskManager's slot workers,
 * each with its RocksDB worker) calls this before starting them. It costs ~25 ms and ~12 MB
 * once. A binding that does not load here is not an error here: the RocksDB worker of a job
 * that uses it reports it to that job.
 */
export function pinRocksDBBinding(): void {
  if (pinned || !isMainThread) return;
  pinned = true;
  try {
    createRequire(import.meta.url)('level-rocksdb');
  } catch {
    // Reported by the RocksDB worker, to the job that needs it.
  }
}

let link: WorkerLink | undefined;
let nextDatabase = 1;

function workerLink(): WorkerLink {
  link ??= new WorkerLink();
  return link;
}

/** Stops the RocksDB worker of this thread, if any (its databases must be closed). */
export async function stopRocksDBWorker(): Promise<void> {
  const current = link;
  link = undefined;
  await current?.shutdown();
}

export class RocksDBHandle {
  private closed = false;
  private nextIterator = 1;

  /** Settles once the database is open; a failure to open also fails every later call. */
  readonly opened: Promise<void>;
  private openFailure: Error | undefined;

  private constructor(
    private readonly link: WorkerLink,
    private readonly id: number,
    readonly directory: string,
    tuning: RocksDBTuning,
  ) {
    this.opened = link.call({ op: 'open', db: id, dir: directory, tuning }).then(
      () => undefined,
      (error: unknown) => {
        this.openFailure = new RocksDBError(`RocksDB cannot open ${directory}: ${(error as Error).message}`);
        throw this.openFailure;
      },
    );
    // Failures surface on the next call too; nobody need await this.
    this.opened.catch(() => undefined);
  }

  /**
   * Opens (creating if missing) the database in `directory` without waiting: requests sent
   * meanwhile are served once it is open.
   */
  static openLater(directory: string, tuning: RocksDBTuning = {}): RocksDBHandle {
    return new RocksDBHandle(workerLink(), nextDatabase++, directory, tuning);
  }

  /** Opens (creating if missing) the database in `directory`. */
  static async open(directory: string, tuning: RocksDBTuning = {}): Promise<RocksDBHandle> {
    const handle = RocksDBHandle.openLater(directory, tuning);
    await handle.opened;
    return handle;
  }

  /** Applies a packed write batch (protocol.ts WriteBatchBuilder) after every earlier request. */
  write(batch: ArrayBuffer): void {
    this.check();
    this.link.post({ op: 'write', db: this.id, data: batch }, [batch]);
  }

  /** The values of `keys` (undefined where absent), waiting for them. */
  getMany(keys: ArrayBuffer): Array<Uint8Array | undefined> {
    this.check();
    const result = this.link.callSync({ op: 'getMany', db: this.id, keys }, [keys]);
    if (result.kind !== 'values') throw new RocksDBError(`unexpected answer ${result.kind} to getMany`);
    return unpack(result.data);
  }

  /** Up to `limit` rows from `gte` to `lt` in key order, waiting for them; `done` when no more follow. */
  scan(gte: Uint8Array, lt: Uint8Array, limit: number): { rows: Array<[Uint8Array, Uint8Array]>; done: boolean } {
    this.check();
    const result = this.link.callSync({ op: 'scan', db: this.id, gte, lt, limit });
    if (result.kind !== 'rows') throw new RocksDBError(`unexpected answer ${result.kind} to scan`);
    return { rows: pairs(unpack(result.data)), done: result.done };
  }

  /**
   * An iterator over the rows from `gte` to `lt` as they are once every write posted so far is
   * done (a RocksDB snapshot), whatever is written later.
   */
  iterate(gte: Uint8Array, lt: Uint8Array, maxBytesPerChunk = 1 << 20): AsyncIterable<Array<[Uint8Array, Uint8Array]>> & { close(): Promise<void> } {
    this.check();
    const iterator = this.nextIterator++;
    const opened = this.link.call({ op: 'iterOpen', db: this.id, iterator, gte, lt });
    const link = this.link;
    const db = this.id;
    let closed = false;
    const close = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      await opened.catch(() => undefined);
      await link.call({ op: 'iterClose', db, iterator }).catch(() => undefined);
    };
    return {
      close,
      async *[Symbol.asyncIterator]() {
        try {
          await opened;
          for (;;) {
            const result = await link.call({ op: 'iterNext', db, iterator, maxBytes: maxBytesPerChunk });
            if (result.kind !== 'rows') throw new RocksDBError(`unexpected answer ${result.kind} to iterNext`);
            const rows = pairs(unpack(result.data));
            if (rows.length > 0) yield rows;
            if (result.done) return;
          }
        } finally {
          await close();
        }
      },
    };
  }

  /**
   * Captures the database, as it is once every write posted so far is done, into the new
   * folder `target`: SST files hard-linked, the rest copied.
   */
  async checkpoint(target: string): Promise<LocalCheckpoint> {
    this.check();
    const result = await this.link.call({ op: 'checkpoint', db: this.id, target });
    if (result.kind !== 'checkpoint') throw new RocksDBError(`unexpected answer ${result.kind} to checkpoint`);
    return { directory: result.directory, sharedFiles: result.sharedFiles, privateFiles: result.privateFiles };
  }

  /**
   * Replaces the database with the one made of `files` (a checkpoint's), waiting until it is
   * open again: RocksDB's files are linked or copied into its folder, nothing is read.
   */
  restoreFiles(files: readonly DbFile[]): void {
    this.check();
    this.link.callSync({ op: 'restoreFiles', db: this.id, files });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.link.call({ op: 'close', db: this.id });
    this.link.writeFailures.delete(this.id);
  }

  private check(): void {
    if (this.closed) throw new RocksDBError(`The RocksDB database in ${this.directory} is closed.`);
    if (this.openFailure !== undefined) throw this.openFailure;
    const failure = this.link.writeFailures.get(this.id);
    if (failure !== undefined) throw new RocksDBError(`A write to the RocksDB database in ${this.directory} failed: ${failure.message}`);
  }
}

function pairs(parts: Array<Uint8Array | undefined>): Array<[Uint8Array, Uint8Array]> {
  const rows: Array<[Uint8Array, Uint8Array]> = [];
  for (let i = 0; i < parts.length; i += 2) rows.push([parts[i]!, parts[i + 1]!]);
  return rows;
}
