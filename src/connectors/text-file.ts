/**
 * `env.readTextFile(path)`: the lines of a file, or of every file in a folder.
 *
 * - Input: `path` is a file, or a folder whose regular files (symbolic links followed, not
 *   recursive) are read in name order, skipping names that start with `.` or `_` (in-progress
 *   and marker files, as Flink's default file filter does). Plain paths and `file://` URLs.
 *   The enumerator lists the input once, asynchronously, when the job starts.
 * - Splits: one per file, whole files. Flink can also cut large files into byte ranges; that
 *   would add an `end` to {@link FileSourceSplit}, with the reader skipping to the first line
 *   that starts inside its range. Not done yet: a folder of files already spreads over readers.
 * - Lines: split on `\n`; a `\r` right before it is dropped; a last line without `\n` counts;
 *   empty lines are records. Text is UTF-8.
 * - Reading: chunks are read with asynchronous file I/O, one read ahead of the lines being
 *   emitted; `pollNext` cuts whole lines out of the buffered chunk synchronously and returns
 *   `NOTHING_AVAILABLE` while the next chunk is still being read. Only whole lines are decoded,
 *   so a multi-byte character cut by a chunk boundary is never split (a `\n` byte never occurs
 *   inside a UTF-8 sequence).
 * - Position: the byte offset of the next line not yet emitted, so a restored reader reopens
 *   the file there and continues exactly.
 */
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileSourceError } from './errors.js';
import { StaticSplitEnumerator, type SplitQueueState } from './split-enumerator.js';
import { SequentialSplitReader, positiveIntegerOption, validateReaderOptions, type ReaderOptions, type SplitProgress } from './split-reader.js';
import type { Boundedness, ReaderOutput, Source, SourceReaderContext, SplitEnumeratorContext } from './source.js';

/** One whole file; `offset` is the byte offset of the next line to read. */
export interface FileSourceSplit {
  readonly splitId: string;
  /** Absolute path. */
  readonly path: string;
  readonly offset: number;
}

export interface TextLineFileSourceOptions extends ReaderOptions {
  /** Bytes per read. Default {@link DEFAULT_CHUNK_SIZE}. */
  readonly chunkSize?: number;
}

export type FileSourceEnumState = SplitQueueState<FileSourceSplit>;

export const DEFAULT_CHUNK_SIZE = 64 * 1024;

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

export class TextLineFileSource implements Source<string, FileSourceSplit, FileSourceEnumState> {
  /** The input as given (a path or a `file://` URL). */
  readonly path: string;
  private readonly options: TextLineFileSourceOptions;
  private readonly chunkSize: number;

  constructor(path: string | URL, options: TextLineFileSourceOptions = {}) {
    this.path = typeof path === 'string' ? path : path.href;
    this.options = options;
    validateReaderOptions('TextLineFileSource', options);
    this.chunkSize = positiveIntegerOption('TextLineFileSource', 'chunkSize', options.chunkSize, DEFAULT_CHUNK_SIZE);
  }

  getBoundedness(): Boundedness {
    return 'BOUNDED';
  }

  createEnumerator(ctx: SplitEnumeratorContext<FileSourceSplit>): StaticSplitEnumerator<FileSourceSplit> {
    return new StaticSplitEnumerator(ctx, { kind: 'async', discover: () => this.discoverSplits() });
  }

  restoreEnumerator(ctx: SplitEnumeratorContext<FileSourceSplit>, state: FileSourceEnumState): StaticSplitEnumerator<FileSourceSplit> {
    return new StaticSplitEnumerator(ctx, { kind: 'async', discover: () => this.discoverSplits() }, state);
  }

  createReader(ctx: SourceReaderContext): TextLineFileReader {
    return new TextLineFileReader(ctx, this.chunkSize, this.options);
  }

  private async discoverSplits(): Promise<FileSourceSplit[]> {
    const files = await listInputFiles(this.path);
    return files.map((path): FileSourceSplit => ({ splitId: path, path, offset: 0 }));
  }
}

/** True for names the file source (and Flink) treat as hidden: `.inprogress`, `_SUCCESS`, ... */
export function isHiddenFileName(name: string): boolean {
  return name.startsWith('.') || name.startsWith('_');
}

/**
 * The absolute paths a file source reads for `input`: the file itself, or the folder's visible
 * regular files in name order. Rejects with a {@link FileSourceError} naming the path.
 */
export async function listInputFiles(input: string): Promise<string[]> {
  const root = resolve(input.startsWith('file:') ? fileURLToPath(input) : input);
  let rootStats;
  try {
    rootStats = await stat(root);
  } catch (cause) {
    throw new FileSourceError(root, 'Cannot read input path', { cause });
  }
  if (rootStats.isFile()) return [root];
  if (!rootStats.isDirectory()) throw new FileSourceError(root, 'Input path is neither a file nor a folder:');
  try {
    const names = (await readdir(root)).filter((name) => !isHiddenFileName(name)).sort(compareCodeUnits);
    const files: string[] = [];
    for (const name of names) {
      const path = join(root, name);
      if ((await stat(path)).isFile()) files.push(path);
    }
    return files;
  } catch (cause) {
    throw new FileSourceError(root, 'Cannot list input folder', { cause });
  }
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class TextLineFileReader extends SequentialSplitReader<string, FileSourceSplit> {
  private readonly chunkSize: number;
  /** Bumped whenever the current split ends, so late I/O results of an old split are dropped. */
  private generation = 0;
  private splitId = '';
  private path = '';
  private handle: FileHandle | undefined;
  /** The open-or-read in flight, if any; always settles without rejecting. */
  private io: Promise<void> | undefined;
  private reading = false;
  /** Every byte before this file offset has been read into `segment`, `ready` or `carry`. */
  private readPosition = 0;
  /** Bytes after the last complete line read so far (the start of a line still being read). */
  private carry: Buffer[] = [];
  /** The next buffer of complete lines, read ahead. */
  private ready: Buffer | undefined;
  /** The buffer lines are being cut from, and where the next line starts in it. */
  private segment: Buffer | undefined;
  private cursor = 0;
  /** True once the file's end was read; the last `ready` then may end without `\n`. */
  private endOfFile = false;
  /** The byte offset in the file of the next line not yet emitted: the checkpointed position. */
  private nextLineOffset = 0;

  constructor(ctx: SourceReaderContext, chunkSize: number = DEFAULT_CHUNK_SIZE, options: ReaderOptions = {}) {
    super(ctx, options);
    this.chunkSize = chunkSize;
  }

  protected beginSplit(split: FileSourceSplit): void {
    this.splitId = split.splitId;
    this.path = split.path;
    this.nextLineOffset = split.offset;
    this.readPosition = split.offset;
    this.reading = true;
    this.io = this.openAndRead(this.generation);
  }

  protected emitFromSplit(output: ReaderOutput<string>, budget: number): SplitProgress {
    let emitted = 0;
    for (;;) {
      let segment = this.segment;
      if (segment === undefined) {
        segment = this.ready;
        if (segment === undefined) return this.endOfFile && !this.reading ? 'FINISHED' : 'NOTHING_AVAILABLE';
        this.segment = segment;
        this.ready = undefined;
        this.cursor = 0;
        if (!this.endOfFile) this.readAhead();
      }
      let cursor = this.cursor;
      const length = segment.length;
      while (emitted < budget && cursor < length) {
        let next = segment.indexOf(NEWLINE, cursor);
        let end: number;
        if (next < 0) {
          // Only the file's last buffer can end without a newline: that is its last line.
          end = length;
          next = length;
        } else {
          end = next > cursor && segment[next - 1] === CARRIAGE_RETURN ? next - 1 : next;
          next += 1;
        }
        output.collect(segment.toString('utf8', cursor, end));
        this.nextLineOffset += next - cursor;
        cursor = next;
        emitted++;
      }
      this.cursor = cursor;
      if (cursor >= length) this.segment = undefined;
      if (emitted >= budget) return 'MORE_AVAILABLE';
    }
  }

  protected splitPosition(): FileSourceSplit {
    return { splitId: this.splitId, path: this.path, offset: this.nextLineOffset };
  }

  protected async endSplit(): Promise<void> {
    this.generation++;
    const io = this.io;
    const handle = this.handle;
    this.io = undefined;
    this.handle = undefined;
    this.reading = false;
    this.carry = [];
    this.ready = undefined;
    this.segment = undefined;
    this.endOfFile = false;
    if (io !== undefined) await io;
    if (handle !== undefined) {
      try {
        await handle.close();
      } catch (cause) {
        throw new FileSourceError(this.path, 'Cannot close file', { cause });
      }
    }
  }

  private readAhead(): void {
    this.reading = true;
    this.io = this.readUntilLines(this.generation);
  }

  private async openAndRead(generation: number): Promise<void> {
    let handle: FileHandle;
    try {
      handle = await open(this.path, 'r');
    } catch (cause) {
      if (generation === this.generation) this.fail(new FileSourceError(this.path, 'Cannot open file', { cause }));
      return;
    }
    if (generation !== this.generation) {
      await handle.close().catch(() => undefined);
      return;
    }
    this.handle = handle;
    await this.readUntilLines(generation);
  }

  /**
   * Reads chunks until it has at least one complete line (or the end of the file), puts those
   * lines in `ready` and wakes the runtime. Never rejects: failures go to `fail`.
   */
  private async readUntilLines(generation: number): Promise<void> {
    const handle = this.handle;
    if (handle === undefined) return;
    try {
      for (;;) {
        const buffer = Buffer.allocUnsafe(this.chunkSize);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.readPosition);
        if (generation !== this.generation) return;
        if (bytesRead === 0) {
          const tail = this.takeCarry();
          if (tail.length > 0) this.ready = tail;
          this.endOfFile = true;
          break;
        }
        this.readPosition += bytesRead;
        const chunk = buffer.subarray(0, bytesRead);
        const lastNewline = chunk.lastIndexOf(NEWLINE);
        if (lastNewline < 0) {
          this.carry.push(chunk);
          continue;
        }
        const lines = chunk.subarray(0, lastNewline + 1);
        this.ready = this.carry.length === 0 ? lines : Buffer.concat([...this.carry, lines]);
        this.carry = [];
        if (lastNewline + 1 < bytesRead) this.carry.push(chunk.subarray(lastNewline + 1));
        break;
      }
    } catch (cause) {
      if (generation === this.generation) this.fail(new FileSourceError(this.path, 'Cannot read file', { cause }));
      return;
    }
    this.reading = false;
    this.notifyAvailable();
  }

  private takeCarry(): Buffer {
    const carry = this.carry;
    this.carry = [];
    return carry.length === 1 ? carry[0] : Buffer.concat(carry);
  }
}
