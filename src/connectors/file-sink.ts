/**
 * `FileSink.forRowFormat(dir, encoder?).build()`: records encoded one by one into part files in
 * `dir`, exactly once when the job checkpoints. There is no bucket assigner yet: every part goes
 * straight into `dir`.
 *
 * Names: a part is published as `<prefix>-<uid>-<subtask>-<counter><suffix>` (`part-…` by
 * default, as Flink names them) and written before that as the hidden
 * `.<prefix>-<uid>-<subtask>-<counter><suffix>.inprogress`. The writer's `uid` is
 * `<8 random hex digits>-a<attemptNumber>`: the attempt number says which run of the subtask
 * wrote a file, and the random part keeps names apart where attempt numbers are not unique (a
 * job started again from a savepoint or after a JobManager failover counts attempts from 0
 * again; two sinks may write into one folder). The counter starts at 0 per writer.
 *
 * Life of a part file: written (hidden, in progress); closed when it grows past the rolling
 * policy's `maxPartSize` (default 128 MiB, Flink's) or when a checkpoint is taken (Flink's
 * roll-on-checkpoint, which row formats always do on checkpoints); once closed it is *pending*
 * (same hidden name, synced, never written again); published by renaming it to its final name.
 * Readers of the folder skip names starting with `.` or `_` (`isHiddenFileName`).
 *
 * When a pending file is published depends on whether the job checkpoints:
 * - Without checkpoints (`prepareCommit` never called): at `flush(true)`, after the last record
 *   of a bounded input. Nothing is visible before, and a writer closed without reaching it
 *   (cancelled, failed) publishes nothing.
 * - With checkpoints (two-phase commit, see `sink.ts`): `prepareCommit(checkpointId)` closes
 *   the current part and returns a {@link FileSinkCommittable} per pending file; the sink's
 *   {@link FileCommitter} renames them once the checkpoint completes, idempotently, so that a
 *   restore commits the restored checkpoint's committables again without harm. Records written
 *   after the last completed checkpoint stay hidden: on restore they are written again, into
 *   new part files. Hidden files no completed checkpoint names are left where they are (they
 *   are invisible to readers; cleaning them up needs the restored committables in the writer).
 * - At the end of a bounded input with checkpoints on, what happens is {@link EndOfInputCommit}:
 *   see {@link END_OF_INPUT_COMMIT} for the choice made while the runtime has no final checkpoint.
 *
 * I/O: `write` only encodes and buffers; the buffered lines go to the file in one asynchronous
 * write per batch (at the end of the synchronous run that wrote them, or once 1 MiB is gathered),
 * in order, one writer's operations one after another. An I/O failure is thrown by the next
 * `write`, `flush`, `prepareCommit` or `close`.
 */
import { randomBytes } from 'node:crypto';
import { access, mkdir, open, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConnectorArgumentError, FileSinkError } from './errors.js';
import { FileCommitter, commitPendingFile, syncFolder, type FileSinkCommittable } from './file-committer.js';
import type { CommitterInitContext, Sink, SinkWriter, WriterInitContext } from './sink.js';

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

/**
 * What `flush(true)` does with the last part (and with parts handed to checkpoints but maybe not
 * committed yet) when the job checkpoints:
 * - `'final-checkpoint'`: the right thing for exactly-once. The last part stays pending, and the
 *   next `prepareCommit` — the runtime's final checkpoint, taken after end of input — returns it,
 *   so the final checkpoint's completion commits it, and a failure before that completion
 *   replays the tail into new files without publishing anything twice.
 * - `'publish'`: publish at end of input every part this writer ever wrote that is not committed
 *   yet (the last part, and those of checkpoints whose completion has not reached the task),
 *   renaming them idempotently. That needs no final checkpoint and no completion notification.
 *   Its cost: a failure after this subtask's end of input but before the job finishes replays
 *   the records since the last completed checkpoint and publishes them a second time.
 */
export type EndOfInputCommit = 'final-checkpoint' | 'publish';

/**
 * A task at the end of its input waits for the job's final checkpoint and commits what it
 * covers before it finishes, so the last part stays pending for that checkpoint.
 */
export const END_OF_INPUT_COMMIT: EndOfInputCommit = 'final-checkpoint';

export class FileSink<T> implements Sink<T, FileSinkCommittable> {
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

  /** The output folder as an absolute path. */
  get dir(): string {
    return resolve(this.basePath.startsWith('file:') ? fileURLToPath(this.basePath) : this.basePath);
  }

  createWriter(ctx: WriterInitContext): FileSinkWriter<T> {
    return new FileSinkWriter(this.dir, ctx, this.encoder, this.rollingPolicy, this.outputFileConfig);
  }

  createCommitter(ctx: CommitterInitContext): FileCommitter {
    return new FileCommitter(ctx);
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

export class FileSinkWriter<T> implements SinkWriter<T, FileSinkCommittable> {
  readonly dir: string;
  /** `<8 hex digits>-a<attemptNumber>`; see the module comment. */
  readonly uid: string;
  readonly endOfInputCommit: EndOfInputCommit;
  private readonly subtask: number;
  private readonly encoder: Encoder<T>;
  private readonly maxPartSize: number;
  private readonly naming: OutputFileConfig;
  private partCounter = 0;
  private current: Part | undefined;
  /** Closed parts not handed to a checkpoint yet. */
  private finished: Part[] = [];
  /** Parts handed to checkpoints whose pending file still existed at the last look (not known committed). */
  private handedOut: Part[] = [];
  /** `prepareCommit` has been called: the job checkpoints, committers publish. */
  private checkpointing = false;
  private buffer: string[] = [];
  private bufferedBytes = 0;
  private scheduled = false;
  /** The writer's I/O, one operation after another. */
  private chain: Promise<void> = Promise.resolve();
  private dirReady = false;
  private closed = false;
  private failure: unknown;
  private failed = false;

  constructor(
    dir: string,
    ctx: WriterInitContext,
    encoder: Encoder<T>,
    rollingPolicy: RollingPolicy,
    naming: OutputFileConfig,
    endOfInputCommit: EndOfInputCommit = END_OF_INPUT_COMMIT,
  ) {
    this.dir = dir;
    this.uid = `${randomBytes(4).toString('hex')}-a${ctx.attemptNumber}`;
    this.subtask = ctx.indexOfSubtask;
    this.encoder = encoder;
    this.maxPartSize = rollingPolicy.maxPartSize;
    this.naming = naming;
    this.endOfInputCommit = endOfInputCommit;
    // With checkpoints, even a job too short for one before its end leaves its parts pending
    // for the final checkpoint.
    this.checkpointing = ctx.checkpointing === true;
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
      if (!this.checkpointing || this.endOfInputCommit === 'publish') {
        // Without checkpoints nothing was handed out; with them, see END_OF_INPUT_COMMIT.
        const parts = [...this.handedOut, ...this.finished];
        this.handedOut = [];
        this.finished = [];
        this.enqueue(() => this.publish(parts));
      }
      // 'final-checkpoint': the parts stay in `finished` for the final checkpoint's prepareCommit,
      // whose completion commits them.
    }
    await this.chain;
    if (this.failed) throw this.failure;
  }

  /**
   * Closes (syncs) the current part and returns a committable for each part closed since the
   * last call; the checkpoint stores them and its completion commits them.
   */
  async prepareCommit(_checkpointId: number): Promise<FileSinkCommittable[]> {
    if (this.failed) throw this.failure;
    if (this.closed) throw new FileSinkError(this.dir, 'prepareCommit after close of the file sink writing to');
    this.checkpointing = true;
    if (this.current !== undefined) this.roll();
    const parts = this.finished;
    this.finished = [];
    const previous = this.handedOut;
    let stillPending: Part[] = [];
    this.enqueue(async () => {
      // The pending files must survive a crash once the checkpoint is acknowledged: contents
      // were synced when each part closed; their names need the folder synced.
      if (parts.some((p) => p.created)) await syncFolder(this.dir);
      stillPending = await existing(previous);
    });
    await this.chain;
    if (this.failed) throw this.failure;
    const prepared = parts.filter((p) => p.created);
    this.handedOut = [...stillPending, ...prepared];
    return prepared.map((p) => ({ pendingPath: p.inProgressPath, finalPath: p.finalPath, size: p.bytes }));
  }

  async close(): Promise<void> {
    // Nothing more goes out: what was not published stays in hidden in-progress files.
    this.closed = true;
    const parts = [...this.finished, ...(this.current === undefined ? [] : [this.current])];
    this.current = undefined;
    this.finished = [];
    this.handedOut = [];
    this.buffer = [];
    this.enqueue(async () => {
      for (const part of parts) await closePart(part, false);
    }, true);
    await this.chain;
    if (this.failed) throw this.failure;
  }

  /** Part files written so far and neither published nor handed to a checkpoint (for tests and metrics). */
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

  private async publish(parts: readonly Part[]): Promise<void> {
    let renamed = false;
    for (const part of parts) {
      if (!part.created) continue;
      const outcome = await commitPendingFile({ pendingPath: part.inProgressPath, finalPath: part.finalPath, size: part.bytes });
      renamed ||= outcome === 'committed';
    }
    if (renamed) await syncFolder(this.dir);
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

/** The parts whose pending file is still there (the others were committed). */
async function existing(parts: readonly Part[]): Promise<Part[]> {
  const kept: Part[] = [];
  for (const part of parts) {
    const there = await access(part.inProgressPath).then(
      () => true,
      () => false,
    );
    if (there) kept.push(part);
  }
  return kept;
}
