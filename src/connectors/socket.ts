/**
 * `env.socketTextStream(host, port, delimiter, maxRetry)`: lines read from a TCP server, as
 * Flink's socket source (for demos and tests: `nc -lk 9999`).
 *
 * - Not parallel: like Flink's, this source runs with parallelism 1 only; the enumerator and
 *   the reader refuse to be built with more (the API sets parallelism 1 for it).
 * - Unbounded. Records are the text between delimiters (UTF-8); with the default `\n` delimiter
 *   a `\r` before it is dropped. When the server closes the connection, text after the last
 *   delimiter is one more record.
 * - `maxRetry`: how many times to connect again after the connection is lost or a connection
 *   attempt fails, waiting `retryDelayMs` (default 500 ms, Flink's delay) each time; 0 means
 *   never (Flink: "the reader is immediately terminated"), a negative number means forever.
 *   Retries are counted over the reader's life. With retries used up, a connection the server
 *   closed ends the input (`END_OF_INPUT`); a failed connection fails the task with a
 *   {@link SocketSourceError}.
 * - No replay: a checkpoint only records that the socket is being read. After a failure the
 *   reader reconnects, and what the server sent in between is lost (at most once, as in Flink).
 * - Backpressure: past `maxBufferedLines` unread lines the socket is paused, so a slow job
 *   slows the sender down through TCP instead of filling memory.
 */
import { createConnection, type Socket } from 'node:net';
import { systemSourceClock, type SourceCancellable, type SourceClock } from './availability.js';
import { ConnectorArgumentError, SocketSourceError } from './errors.js';
import { StaticSplitEnumerator, type SplitQueueState } from './split-enumerator.js';
import { SequentialSplitReader, positiveIntegerOption, validateReaderOptions, type ReaderOptions, type SplitProgress } from './split-reader.js';
import type { Boundedness, ReaderOutput, Source, SourceReaderContext, SplitEnumeratorContext } from './source.js';

/** The one split of a socket source: "read the socket". It has no position. */
export interface SocketSplit {
  readonly splitId: string;
}

export interface SocketTextSourceOptions extends ReaderOptions {
  /** Wait before connecting again. Default {@link DEFAULT_RETRY_DELAY_MS}. */
  readonly retryDelayMs?: number;
  /** Unread lines at which the socket is paused. Default {@link DEFAULT_MAX_BUFFERED_LINES}. */
  readonly maxBufferedLines?: number;
  /** Time for the reconnect delay; the system clock by default. */
  readonly clock?: SourceClock;
}

export type SocketEnumState = SplitQueueState<SocketSplit>;

export const DEFAULT_RETRY_DELAY_MS = 500;
export const DEFAULT_MAX_BUFFERED_LINES = 16_384;

const SOCKET_SPLIT: SocketSplit = { splitId: 'socket' };

export class SocketTextSource implements Source<string, SocketSplit, SocketEnumState> {
  readonly host: string;
  readonly port: number;
  readonly delimiter: string;
  readonly maxRetry: number;
  private readonly options: SocketTextSourceOptions;

  constructor(host: string, port: number, delimiter = '\n', maxRetry = 0, options: SocketTextSourceOptions = {}) {
    const name = 'SocketTextSource';
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new ConnectorArgumentError(name, 'port', `expected 0..65535, got ${String(port)}`);
    }
    if (delimiter.length === 0) throw new ConnectorArgumentError(name, 'delimiter', 'must not be empty');
    if (!Number.isInteger(maxRetry)) throw new ConnectorArgumentError(name, 'maxRetry', `expected an integer, got ${String(maxRetry)}`);
    if (options.retryDelayMs !== undefined && !(options.retryDelayMs >= 0)) {
      throw new ConnectorArgumentError(name, 'retryDelayMs', `expected a non-negative number, got ${String(options.retryDelayMs)}`);
    }
    validateReaderOptions(name, options);
    positiveIntegerOption(name, 'maxBufferedLines', options.maxBufferedLines, DEFAULT_MAX_BUFFERED_LINES);
    this.host = host;
    this.port = port;
    this.delimiter = delimiter;
    this.maxRetry = maxRetry;
    this.options = options;
  }

  getBoundedness(): Boundedness {
    return 'CONTINUOUS_UNBOUNDED';
  }

  createEnumerator(ctx: SplitEnumeratorContext<SocketSplit>): StaticSplitEnumerator<SocketSplit> {
    requireParallelismOne(ctx.currentParallelism());
    return new StaticSplitEnumerator(ctx, { kind: 'static', splits: [SOCKET_SPLIT] });
  }

  restoreEnumerator(ctx: SplitEnumeratorContext<SocketSplit>, state: SocketEnumState): StaticSplitEnumerator<SocketSplit> {
    requireParallelismOne(ctx.currentParallelism());
    return new StaticSplitEnumerator(ctx, { kind: 'static', splits: [] }, state);
  }

  createReader(ctx: SourceReaderContext): SocketTextReader {
    requireParallelismOne(ctx.parallelism);
    return new SocketTextReader(ctx, this.host, this.port, this.delimiter, this.maxRetry, this.options);
  }
}

function requireParallelismOne(parallelism: number): void {
  if (parallelism > 1) {
    throw new ConnectorArgumentError(
      'SocketTextSource',
      'parallelism',
      `the socket source is not parallel and must run with parallelism 1, not ${parallelism}`,
    );
  }
}

export class SocketTextReader extends SequentialSplitReader<string, SocketSplit> {
  private readonly host: string;
  private readonly port: number;
  private readonly delimiter: string;
  private readonly maxRetry: number;
  private readonly retryDelayMs: number;
  private readonly maxBufferedLines: number;
  private readonly clock: SourceClock;
  private socket: Socket | undefined;
  private lastError: unknown;
  private retryTimer: SourceCancellable | undefined;
  /** Connection attempts so far, the first included. */
  private attempts = 0;
  private lines: string[] = [];
  private head = 0;
  private partial = '';
  private paused = false;
  /** No connection will be made any more: once `lines` are emitted the split is done. */
  private ended = false;

  constructor(
    ctx: SourceReaderContext,
    host: string,
    port: number,
    delimiter = '\n',
    maxRetry = 0,
    options: SocketTextSourceOptions = {},
  ) {
    super(ctx, options);
    this.host = host;
    this.port = port;
    this.delimiter = delimiter;
    this.maxRetry = maxRetry;
    this.retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
    this.maxBufferedLines = options.maxBufferedLines ?? DEFAULT_MAX_BUFFERED_LINES;
    this.clock = options.clock ?? systemSourceClock;
  }

  protected beginSplit(_split: SocketSplit): void {
    this.ended = false;
    this.connect();
  }

  protected emitFromSplit(output: ReaderOutput<string>, budget: number): SplitProgress {
    const lines = this.lines;
    const stop = Math.min(lines.length, this.head + budget);
    let i = this.head;
    for (; i < stop; i++) output.collect(lines[i]);
    this.head = i;
    if (i === lines.length) {
      this.lines = [];
      this.head = 0;
    }
    const buffered = this.lines.length - this.head;
    if (this.paused && buffered <= this.maxBufferedLines / 2) {
      this.paused = false;
      this.socket?.resume();
    }
    if (buffered > 0) return 'MORE_AVAILABLE';
    return this.ended ? 'FINISHED' : 'NOTHING_AVAILABLE';
  }

  protected splitPosition(): SocketSplit {
    return SOCKET_SPLIT;
  }

  protected endSplit(): void {
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
    this.lines = [];
    this.head = 0;
    this.partial = '';
    this.paused = false;
  }

  private connect(): void {
    this.retryTimer = undefined;
    this.attempts++;
    this.lastError = undefined;
    const socket = createConnection({ host: this.host, port: this.port });
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      if (socket === this.socket) this.onData(chunk);
    });
    socket.on('error', (error: Error) => {
      this.lastError = error;
    });
    socket.on('close', (hadError: boolean) => {
      if (socket === this.socket) this.onClose(hadError);
    });
  }

  private onData(chunk: string): void {
    const delimiter = this.delimiter;
    // Only the end of the old partial text can start a delimiter that spans into this chunk.
    let from = Math.max(0, this.partial.length - delimiter.length + 1);
    const text = this.partial + chunk;
    const stripReturn = delimiter === '\n';
    let start = 0;
    for (let at = text.indexOf(delimiter, from); at >= 0; at = text.indexOf(delimiter, from)) {
      const end = stripReturn && at > start && text.charCodeAt(at - 1) === 13 ? at - 1 : at;
      this.lines.push(text.slice(start, end));
      start = at + delimiter.length;
      from = start;
    }
    this.partial = start === 0 ? text : text.slice(start);
    if (!this.paused && this.lines.length - this.head >= this.maxBufferedLines) {
      this.paused = true;
      this.socket?.pause();
    }
    this.notifyAvailable();
  }

  private onClose(hadError: boolean): void {
    this.socket = undefined;
    this.paused = false;
    if (!hadError && this.partial.length > 0) this.lines.push(this.partial);
    this.partial = '';
    if (this.maxRetry < 0 || this.attempts - 1 < this.maxRetry) {
      this.retryTimer = this.clock.schedule(this.retryDelayMs, () => this.connect());
      if (this.lines.length > this.head) this.notifyAvailable();
      return;
    }
    if (hadError) this.fail(new SocketSourceError(this.host, this.port, this.attempts, { cause: this.lastError }));
    else {
      this.ended = true;
      this.notifyAvailable();
    }
  }
}
