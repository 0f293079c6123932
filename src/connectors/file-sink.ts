/**
 * `FileSink.forRowFormat(dir, encoder?).build()`: records encoded one by one into part files in
 * `dir`, named as Flink names them: `part-<uid>-<subtaskIndex>-<partCounter>` (prefix and
 * suffix configurable), `uid` being a random UUID per writer so that restarted or concurrent
 * writers never collide. There is no bucket assigner yet: every part goes straight into `dir`.
 *
 * Life of a part file: it is written as a hidden in-progress file
 * `.part-<uid>-<subtaskIndex>-<partCounter>.inprogress`, which readers of the folder skip (file
 * sources ignore names starting with `.`); it is closed when it grows past the rolling policy's
 * `maxPartSize` (default 128 MiB, Flink's) and the next part begins; and it is published (synced
 * and renamed to its final name) only at `flush(true)`, after the last record of a bounded input.
 * So nothing is visible before the end of the input, and a writer that is closed without
 * reaching it (cancelled, failed) publishes nothing.
 *
 * Exactly-once with checkpoints arrives with the checkpoint work, at the seam `sink.ts`
 * describes: `prepareCommit(checkpointId)` will close the in-progress parts (roll on
 * checkpoint) and return `{ inProgressPath, finalPath }` committables; a committer will rename
 * them once the checkpoint completes (renaming is idempotent: done if the final file exists and
 * the in-progress one does not); and restore will delete in-progress files no checkpoint names.
 * `flush(true)` then becomes "roll, and commit with the final checkpoint".
 *
 * I/O: `write` only encodes and buffers; the buffered lines go to the file in one asynchronous
 * write per batch (at the end of the synchronous run that wrote them, or once 1 MiB is gathered),
 * in order, one writer's operations one after another. An I/O failure is thrown by the next
 * `write`, `flush` or `close`.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, rename, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConnectorArgumentError, FileSinkError } from './errors.js';
import type { Sink, SinkWriter, WriterInitContext } from './sink.js';

/** Turns one record into its row, line terminator included. */
export type Encoder<T> = (element: T) => string;

/** When a part file is closed and the next one begins. */
export interface RollingPolicy {
  /** Roll once a part file holds more than this many bytes. */
  readonly maxPartSize: number;
}

/** Flink's `OutputFileConfig`: part files are named `<partPrefix>-<uid>-<subtask>-<counter><partSuffix>`. */
export interface OutputFileConfig {
  readonly partPrefix: string;
  readonly partSuffix: string;
}

export const DEFAULT_MAX_PART_SIZE = 128 * 1024 * 1024;
/** Buffered bytes at which a write is started without waiting for the end of the batch. */
export const FILE_SINK_BUFFER_BYTES = 1024 * 1024;

/** Flink's default encoder (`SimpleStringEncoder`): `String(element)` and a newline. */
export function simpleStringEncoder<T>(element: T): string {
  return `${String(element)}\n`;
}

/** `DefaultRollingPolicy.builder().withMaxPartSize(bytes).build()`, as in Flink (size only for now). */
export class DefaultRollingPolicy implements RollingPolicy {
  readonly maxPartSize: number;

  private constructor(maxPartSize: number) {
    this.maxPartSize = maxPartSize;
  }

  static builder(): DefaultRollingPolicyBuilder {
    return new DefaultRollingPolicyBuilder();
  }

  /** Used by the builder; validates the size. */
  static of(maxPartSize: number): DefaultRollingPolicy {
    if (!Number.isSafeInteger(maxPartSize) || maxPartSize <= 0) {
      throw new ConnectorArgumentError('FileSink', 'maxPartSize', `expected a positive number of bytes, got ${String(maxPartSize)}`);
    }
    return new DefaultRollingPolicy(maxPartSize);
  }
}

export class DefaultRollingPolicyBuilder {
  private maxPartSize = DEFAULT_MAX_PART_SIZE;

  /** Bytes; the default is 128 MiB. */
  withMaxPartSize(bytes: number): this {
    this.maxPartSize = bytes;
    return this;
  }

  build(): DefaultRollingPolicy {
    return DefaultRollingPolicy.of(this.maxPartSize);
  }
}

/** Configures a row-format {@link FileSink}; from `FileSink.forRowFormat`. */
export class RowFormatBuilder<T> {
  private readonly basePath: string;
  private readonly encoder: Encoder<T>;
  private rollingPolicy: RollingPolicy = DefaultRollingPolicy.of(DEFAULT_MAX_PART_SIZE);
  private outputFileConfig: OutputFileConfig = { partPrefix: 'part', partSuffix: '' };

  constructor(basePath: string, encoder: Encoder<T>) {
    this.basePath = basePath;
    this.encoder = encoder;
  }

  withRollingPolicy(policy: RollingPolicy): this {
    this.rollingPolicy = DefaultRollingPolicy.of(policy.maxPartSize);
    return this;
  }

  withOutputFileConfig(config: Partial<OutputFileConfig>): this {
    const merged = { ...this.outputFileConfig, ...config };
    if (merged.partPrefix === '' || /[/\\]/.test(merged.partPrefix + merged.partSuffix)) {
      throw new ConnectorArgumentError('FileSink', 'outputFileConfig', 'part prefix must be non-empty, and neither may contain a path separator');
    }
    this.outputFileConfig = merged;
    return this;
  }

  build(): FileSink<T> {
    return new FileSink(this.basePath, this.encoder, this.rollingPolicy, this.outputFileConfig);
  }
}

export class FileSink<T> implements Sink<T> {
  /** The output folder as given (a path or a `file://` URL). */
  readonly basePath: string;
  readonly rollingPolicy: RollingPolicy;
  readonly outputFileConfig: OutputFileConfig;
  private readonly encoder: Encoder<T>;

  /** Rows, one per record, encoded by `encoder` (default: `String(element)` and a newline). */
  static forRowFormat<T>(basePath: string | URL, encoder: Encoder<T> = simpleStringEncoder): RowFormatBuilder<T> {
    return new RowFormatBuilder(typeof basePath === 'string' ? basePath : basePath.href, encoder);
  }

  constructor(basePath: string, encoder: Encoder<T>, rollingPolicy: RollingPolicy, outputFileConfig: OutputFileConfig) {
    this.basePath = basePath;
    this.encoder = encoder;
    this.rollingPolicy = rollingPolicy;
    this.outputFileConfig = outputFileConfig;
  }

  createWriter(ctx: WriterInitContext): FileSinkWriter<T> {
    const dir = resolve(this.basePath.startsWith('file:') ? fileURLToPath(this.basePath) : this.basePath);
    return new FileSinkWriter(dir, ctx.indexOfSubtask, this.encoder, this.rollingPolicy, this.outputFileConfig);
  }
}

/** One part file of a writer. */
interface Part {
  readonly inProgressPath: string;
  readonly finalPath: string;
  /** Bytes written or buffered for it. */
  bytes: number;
  handle: FileHandle | undefined;
  /** The in-progress file exists on disk. */
  created: boolean;
}

export class FileSinkWriter<T> implements SinkWriter<T> {
  readonly dir: string;
  readonly uid: string;
  private readonly subtask: number;
  private readonly encoder: Encoder<T>;
  private readonly maxPartSize: number;
  private readonly naming: OutputFileConfig;
  private partCounter = 0;
  private current: Part | undefined;
  /** Closed parts waiting to be published by `flush(true)`. */
  private finished: Part[] = [];
  private buffer: string[] = [];
  private bufferedBytes = 0;
  private scheduled = false;
  /** The writer's I/O, one operation after another. */
  private chain: Promise<void> = Promise.resolve();
  private dirReady = false;
  private closed = false;
  private failure: unknown;
  private failed = false;

  constructor(dir: string, subtask: number, encoder: Encoder<T>, rollingPolicy: RollingPolicy, naming: OutputFileConfig) {
    this.dir = dir;
    this.uid = randomUUID();
    this.subtask = subtask;
    this.encoder = encoder;
    this.maxPartSize = rollingPolicy.maxPartSize;
    this.naming = naming;
  }

  write(element: T, _timestamp?: number): void {
    if (this.failed) throw this.failure;
    if (this.closed) throw new FileSinkError(this.dir, 'Write after close to the file sink writing to');
    const row = this.encoder(element);
    const size = Buffer.byteLength(row);
    let part = this.current;
    if (part !== undefined && part.bytes > this.maxPartSize) {
      this.roll();
      part = undefined;
    }
    if (part === undefined) part = this.current = this.newPart();
    part.bytes += size;
    this.buffer.push(row);
    this.bufferedBytes += size;
    if (this.bufferedBytes >= FILE_SINK_BUFFER_BYTES) this.writeBuffered();
    else if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => {
        this.scheduled = false;
        this.writeBuffered();
      });
    }
  }

  async flush(endOfInput: boolean): Promise<void> {
    this.writeBuffered();
    if (endOfInput) {
      if (this.current !== undefined) this.roll();
      const parts = this.finished;
      this.finished = [];
      this.enqueue(async () => {
        for (const part of parts) await publish(part);
      });
    }
    await this.chain;
    if (this.failed) throw this.failure;
  }

  async close(): Promise<void> {
    // Nothing more goes out: what was not published stays in hidden in-progress files.
    this.closed = true;
    const parts = [...this.finished, ...(this.current === undefined ? [] : [this.current])];
    this.current = undefined;
    this.finished = [];
    this.buffer = [];
    this.enqueue(async () => {
      for (const part of parts) await closePart(part, false);
    }, true);
    await this.chain;
    if (this.failed) throw this.failure;
  }

  /** Part files written so far and not yet published (for tests and metrics). */
  get pendingPartCount(): number {
    return this.finished.length + (this.current === undefined ? 0 : 1);
  }

  private newPart(): Part {
    const { partPrefix, partSuffix } = this.naming;
    const name = `${partPrefix}-${this.uid}-${this.subtask}-${this.partCounter++}${partSuffix}`;
    return { inProgressPath: join(this.dir, `.${name}.inprogress`), finalPath: join(this.dir, name), bytes: 0, handle: undefined, created: false };
  }

  private roll(): void {
    this.writeBuffered();
    const part = this.current;
    if (part === undefined) return;
    this.current = undefined;
    this.finished.push(part);
    this.enqueue(() => closePart(part, true));
  }

  private writeBuffered(): void {
    const part = this.current;
    if (this.buffer.length === 0 || part === undefined || this.closed) return;
    const data = this.buffer.join('');
    this.buffer = [];
    this.bufferedBytes = 0;
    this.enqueue(async () => {
      if (part.handle === undefined) {
        if (!this.dirReady) {
          await mkdir(this.dir, { recursive: true }).catch((cause: unknown) => {
            throw new FileSinkError(this.dir, 'Cannot create output folder', { cause });
          });
          this.dirReady = true;
        }
        part.handle = await open(part.inProgressPath, 'wx').catch((cause: unknown) => {
          throw new FileSinkError(part.inProgressPath, 'Cannot create part file', { cause });
        });
        part.created = true;
      }
      await part.handle.write(data).catch((cause: unknown) => {
        throw new FileSinkError(part.inProgressPath, 'Cannot write part file', { cause });
      });
    });
  }

  /** Runs `op` after every earlier operation; after a failure only cleanup (`always`) still runs. */
  private enqueue(op: () => Promise<void>, always = false): void {
    this.chain = this.chain.then(async () => {
      if (this.failed && !always) return;
      try {
        await op();
      } catch (error) {
        if (!this.failed) {
          this.failed = true;
          this.failure = error;
        }
      }
    });
  }
}

async function closePart(part: Part, sync: boolean): Promise<void> {
  const handle = part.handle;
  if (handle === undefined) return;
  part.handle = undefined;
  try {
    if (sync) await handle.datasync();
    await handle.close();
  } catch (cause) {
    throw new FileSinkError(part.inProgressPath, 'Cannot close part file', { cause });
  }
}

async function publish(part: Part): Promise<void> {
  if (!part.created) return;
  try {
    await rename(part.inProgressPath, part.finalPath);
  } catch (cause) {
    throw new FileSinkError(part.finalPath, 'Cannot publish part file', { cause });
  }
}
