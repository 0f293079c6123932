/**
 * `DataStream.print()`: every record as one line on standard output (or standard error, or a
 * given stream), like Flink's `PrintSink`.
 *
 * - Prefix: with parallelism > 1 each line starts with `N> `, N being the subtask index + 1;
 *   with a sink identifier, `identifier:N> `, or `identifier> ` at parallelism 1.
 * - Format: a string is printed as is. Any other value is printed the way `console.log` shows
 *   it, forced onto one line (`util.inspect`, no line breaks, full depth): `42`,
 *   `{ word: 'hi', count: 2 }`, `[ 'hi', 2 ]`, `Map(1) { 'k' => 1 }`. A class that defines its
 *   own `toString()` is printed with it, which is what Flink (Java's `toString`) does.
 *   `util.inspect` rather than JSON because it shows every value faithfully (undefined,
 *   bigint, Map, Set, cycles) and never throws.
 * - Batching: lines are gathered in memory and written with one `write` per batch of records
 *   (at the end of the synchronous run that wrote them, when 64 KiB are gathered, or on
 *   `flush`), not one write per record.
 */
import { inspect, type InspectOptions } from 'node:util';
import type { Sink, SinkWriter, WriterInitContext } from './sink.js';

/** Where printed lines go: `process.stdout`, `process.stderr`, or anything with `write`. */
export interface PrintTarget {
  write(chunk: string): boolean;
  once?(event: 'drain', listener: () => void): unknown;
}

export interface PrintSinkOptions {
  /** Printed before each line, as Flink's `print(sinkIdentifier)`. */
  readonly sinkIdentifier?: string;
  /** Standard error instead of standard output. */
  readonly stdErr?: boolean;
  /** Any other target; wins over `stdErr`. */
  readonly target?: PrintTarget;
}

/** Characters gathered before a write is made without waiting for the end of the batch. */
export const PRINT_BUFFER_CHARS = 64 * 1024;

export class PrintSink<T> implements Sink<T> {
  private readonly options: PrintSinkOptions;

  /** `new PrintSink()`, `new PrintSink('identifier')` or `new PrintSink({ ... })`. */
  constructor(sinkIdentifierOrOptions: string | PrintSinkOptions = {}) {
    this.options =
      typeof sinkIdentifierOrOptions === 'string' ? { sinkIdentifier: sinkIdentifierOrOptions } : sinkIdentifierOrOptions;
  }

  createWriter(ctx: WriterInitContext): PrintSinkWriter<T> {
    // The target is looked up here, in the task, not where the job graph was built.
    const target = this.options.target ?? (this.options.stdErr === true ? process.stderr : process.stdout);
    return new PrintSinkWriter(target, printPrefix(this.options.sinkIdentifier, ctx.indexOfSubtask, ctx.parallelism));
  }
}

/** Flink's print prefix: `N> `, `id:N> `, `id> ` or nothing. */
export function printPrefix(sinkIdentifier: string | undefined, indexOfSubtask: number, parallelism: number): string {
  const hasIdentifier = sinkIdentifier !== undefined && sinkIdentifier !== '';
  if (parallelism > 1) return hasIdentifier ? `${sinkIdentifier}:${indexOfSubtask + 1}> ` : `${indexOfSubtask + 1}> `;
  return hasIdentifier ? `${sinkIdentifier}> ` : '';
}

const INSPECT_OPTIONS: InspectOptions = { breakLength: Infinity, compact: true, depth: Infinity };

/** How the print sink shows one value; see the module comment. */
export function formatForPrint(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && hasOwnToString(value)) return String(value);
  return inspect(value, INSPECT_OPTIONS);
}

function hasOwnToString(value: object): boolean {
  if (Array.isArray(value) || value instanceof Date || ArrayBuffer.isView(value)) return false;
  const toString: unknown = Reflect.get(value, 'toString');
  return typeof toString === 'function' && toString !== Object.prototype.toString;
}

export class PrintSinkWriter<T> implements SinkWriter<T> {
  private readonly target: PrintTarget;
  private readonly prefix: string;
  private buffer = '';
  private scheduled = false;
  private draining: Promise<void> | undefined;

  constructor(target: PrintTarget, prefix: string) {
    this.target = target;
    this.prefix = prefix;
  }

  write(element: T, _timestamp?: number): void {
    this.buffer += this.prefix + formatForPrint(element) + '\n';
    if (this.buffer.length >= PRINT_BUFFER_CHARS) this.writeOut();
    else if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => {
        this.scheduled = false;
        this.writeOut();
      });
    }
  }

  flush(_endOfInput: boolean): void | Promise<void> {
    this.writeOut();
    return this.draining;
  }

  close(): void | Promise<void> {
    return this.flush(true);
  }

  private writeOut(): void {
    if (this.buffer.length === 0) return;
    const chunk = this.buffer;
    this.buffer = '';
    const accepted = this.target.write(chunk);
    const once = this.target.once;
    if (!accepted && once !== undefined && this.draining === undefined) {
      this.draining = new Promise<void>((resolve) => {
        once.call(this.target, 'drain', () => {
          this.draining = undefined;
          resolve();
        });
      });
    }
  }
}
