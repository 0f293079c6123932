/**
 * Types for the parts of `level-rocksdb` (levelup 5 + encoding-down 7 over `rocksdb` 5.2) that
 * the store uses; the package ships none. With `keyEncoding`/`valueEncoding` 'binary', keys and
 * values go in as Buffers (a plain Uint8Array would be copied, or worse, stringified by the
 * binding) and come back as Buffers.
 */
declare module 'level-rocksdb' {
  export interface LevelRocksDBOptions {
    keyEncoding?: 'binary';
    valueEncoding?: 'binary';
    createIfMissing?: boolean;
    errorIfExists?: boolean;
    /** Snappy compression of SST blocks; default true. */
    compression?: boolean;
    /** LRU block cache bytes; default 8 MiB, 0 for none. */
    cacheSize?: number;
    /** Memtable bytes before a flush to an SST file; default 4 MiB. */
    writeBufferSize?: number;
    blockSize?: number;
    maxOpenFiles?: number;
    infoLogLevel?: 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'header';
  }

  export type LevelCallback<T = void> = (error: Error | null | undefined, result?: T) => void;

  export type BatchOperation = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

  export interface IteratorOptions {
    gt?: Buffer;
    gte?: Buffer;
    lt?: Buffer;
    lte?: Buffer;
    reverse?: boolean;
    limit?: number;
    keys?: boolean;
    values?: boolean;
    /** Bytes the binding reads ahead per native call (at most 1000 entries); default 16 KiB. */
    highWaterMark?: number;
    fillCache?: boolean;
  }

  /**
   * An iterator over an implicit RocksDB snapshot taken when it is created: it never sees
   * writes made after that. An entry `(undefined, undefined)` means the end.
   */
  export interface LevelIterator {
    next(callback: (error: Error | null | undefined, key?: Buffer, value?: Buffer) => void): this;
    end(callback: (error?: Error | null) => void): void;
    seek(target: Buffer): void;
  }

  export interface LevelRocksDB {
    readonly status: string;
    isOpen(): boolean;
    open(callback: LevelCallback): void;
    close(callback: LevelCallback): void;
    get(key: Buffer, callback: LevelCallback<Buffer>): void;
    /** One native call, one implicit snapshot; `undefined` where a key is absent. */
    getMany(keys: Buffer[], callback: LevelCallback<(Buffer | undefined)[]>): void;
    put(key: Buffer, value: Buffer, callback: LevelCallback): void;
    del(key: Buffer, callback: LevelCallback): void;
    /** One atomic WriteBatch. `sync: true` fsyncs the WAL before calling back. */
    batch(operations: BatchOperation[], options: { sync?: boolean }, callback: LevelCallback): void;
    iterator(options: IteratorOptions): LevelIterator;
    /** The layer beneath (deferred-leveldown or encoding-down, and so on down to `rocksdb`). */
    readonly db: unknown;
  }

  /** A WriteBatch filled op by op: one native call per op, cheaper than an array of op objects. */
  export interface ChainedBatch {
    put(key: Buffer, value: Buffer): this;
    del(key: Buffer): this;
    /** Writes the batch atomically. `sync: true` fsyncs the WAL before calling back. */
    write(options: { sync?: boolean }, callback: LevelCallback): void;
  }

  /**
   * `rocksdb`'s LevelDOWN, at the bottom of level-rocksdb's stack: what levelup does not pass
   * through (getProperty; compactRange and approximateSize with raw Buffers) and the hot path
   * without levelup's and encoding-down's per-key work.
   */
  export interface RocksDBNative {
    /** One native call and one implicit snapshot for all keys; `undefined` where a key is absent. */
    getMany(keys: Buffer[], options: { fillCache?: boolean }, callback: LevelCallback<(Buffer | undefined)[]>): void;
    batch(): ChainedBatch;
    iterator(options: IteratorOptions): LevelIterator;
    /** A RocksDB property (`rocksdb.stats`, `rocksdb.estimate-num-keys`...); '' if unknown. */
    getProperty(property: string): string;
    compactRange(start: Buffer, end: Buffer, callback: LevelCallback): void;
    approximateSize(start: Buffer, end: Buffer, callback: LevelCallback<number>): void;
  }

  export interface Level {
    (location: string, options: LevelRocksDBOptions, callback: LevelCallback): LevelRocksDB;
    destroy(location: string, callback: LevelCallback): void;
    repair(location: string, callback: LevelCallback): void;
  }

  const level: Level;
  export default level;
}
