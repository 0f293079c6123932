/**
 * A stand-in for the runtime in connector tests: it plays the JobManager's source coordinator
 * (enumerator context) and the tasks (reader contexts and the poll loop). Messages between the
 * two sides are delivered asynchronously, in order, as they would travel through actors, and
 * every split and state that would cross a process boundary is passed through CBOR first.
 */
import { decode, encode } from '../../src/net/index.js';
import type {
  InputStatus,
  Source,
  SourceCancellable,
  SourceClock,
  SourceReader,
  SplitEnumerator,
  SplitEnumeratorContext,
} from '../../src/connectors/index.js';

/** What a value looks like after a trip through the wire or a checkpoint. */
export function overTheWire<V>(value: V): V {
  return decode(encode(value)) as V;
}

const STALL_MS = 10_000;

export interface RunOptions {
  /** Stop (without closing) once this reader has emitted at least this many records in total. */
  readonly stopAfter?: number;
  /** Yield to the event loop after every poll, so that several readers interleave. */
  readonly interleave?: boolean;
}

export type RunResult = 'END_OF_INPUT' | 'STOPPED';

export class SourceHarness<T, Split, EnumState> {
  readonly source: Source<T, Split, EnumState>;
  readonly parallelism: number;
  readonly enumerator: SplitEnumerator<Split, EnumState>;
  /** Errors thrown by enumerator calls delivered as messages (they would fail the job). */
  readonly coordinatorFailures: unknown[] = [];
  /** Every assignment the enumerator made, in order. */
  readonly assignments: Array<{ subtask: number; splits: Split[] }> = [];
  private readonly readers = new Map<number, SourceReader<T, Split>>();
  private readonly outputs = new Map<number, T[]>();
  private readonly mailbox: Array<() => void> = [];
  private pumping = false;
  private inFlightAsync = 0;

  constructor(source: Source<T, Split, EnumState>, parallelism: number, restoredEnumState?: EnumState) {
    this.source = source;
    this.parallelism = parallelism;
    const ctx: SplitEnumeratorContext<Split> = {
      currentParallelism: () => parallelism,
      registeredReaders: () => [...this.readers.keys()],
      assignSplits: (assignment) => {
        for (const [key, splits] of Object.entries(assignment)) {
          const subtask = Number(key);
          const travelled = overTheWire(splits);
          this.assignments.push({ subtask, splits: travelled });
          this.post(() => this.readers.get(subtask)?.addSplits(travelled));
        }
      },
      signalNoMoreSplits: (subtask) => this.post(() => this.readers.get(subtask)?.notifyNoMoreSplits()),
      callAsync: (callable, handler) => {
        this.inFlightAsync++;
        callable().then(
          (result) => this.post(() => handler(result, undefined)),
          (error: unknown) => this.post(() => handler(undefined, error)),
        ).finally(() => this.inFlightAsync--);
      },
    };
    this.enumerator =
      restoredEnumState === undefined
        ? source.createEnumerator(ctx)
        : source.restoreEnumerator(ctx, overTheWire(restoredEnumState));
    this.enumerator.start();
  }

  /** Deploys reader `subtask`, restoring `splits` first when given, and starts it. */
  addReader(subtask: number, restoredSplits?: Split[]): SourceReader<T, Split> {
    const reader = this.source.createReader({
      indexOfSubtask: subtask,
      parallelism: this.parallelism,
      sendSplitRequest: () => this.post(() => this.enumerator.handleSplitRequest(subtask)),
      sendSourceEventToCoordinator: () => undefined,
    });
    this.readers.set(subtask, reader);
    this.outputs.set(subtask, []);
    this.enumerator.addReader(subtask);
    if (restoredSplits !== undefined && restoredSplits.length > 0) reader.addSplits(overTheWire(restoredSplits));
    reader.start();
    return reader;
  }

  /** Deploys readers 0..parallelism-1. */
  addAllReaders(): void {
    for (let i = 0; i < this.parallelism; i++) this.addReader(i);
  }

  reader(subtask: number): SourceReader<T, Split> {
    const reader = this.readers.get(subtask);
    if (reader === undefined) throw new Error(`no reader ${subtask}`);
    return reader;
  }

  output(subtask: number): T[] {
    return this.outputs.get(subtask) ?? [];
  }

  /** Every record emitted by any reader. */
  allOutput(): T[] {
    return [...this.outputs.values()].flat();
  }

  /** The task's loop for one reader: poll until END_OF_INPUT (or `stopAfter`), awaiting availability. */
  async run(subtask: number, options: RunOptions = {}): Promise<RunResult> {
    const reader = this.reader(subtask);
    const records = this.output(subtask);
    const output = { collect: (record: T) => void records.push(record) };
    for (;;) {
      if (options.stopAfter !== undefined && records.length >= options.stopAfter) return 'STOPPED';
      const status: InputStatus = reader.pollNext(output);
      if (status === 'END_OF_INPUT') return 'END_OF_INPUT';
      if (options.stopAfter !== undefined && records.length >= options.stopAfter) return 'STOPPED';
      if (status === 'NOTHING_AVAILABLE') await withStallGuard(reader.isAvailable(), subtask);
      else if (options.interleave === true) await new Promise<void>((r) => setImmediate(r));
    }
  }

  /** Runs every reader to its end, concurrently. */
  async runAll(options: RunOptions = {}): Promise<RunResult[]> {
    return Promise.all([...this.readers.keys()].map((subtask) => this.run(subtask, options)));
  }

  /** Waits until no message and no coordinator I/O is in flight. */
  async settle(): Promise<void> {
    for (let quiet = 0; quiet < 3; ) {
      await new Promise<void>((r) => setImmediate(r));
      quiet = this.mailbox.length === 0 && !this.pumping && this.inFlightAsync === 0 ? quiet + 1 : 0;
    }
  }

  /** A checkpoint of one reader, as it would be stored. */
  snapshotReader(subtask: number, checkpointId: number): Split[] {
    return overTheWire(this.reader(subtask).snapshotState(checkpointId));
  }

  snapshotEnumerator(checkpointId: number): EnumState {
    return overTheWire(this.enumerator.snapshotState(checkpointId));
  }

  async close(): Promise<void> {
    for (const reader of this.readers.values()) await reader.close();
    await this.enumerator.close();
  }

  private post(message: () => void): void {
    this.mailbox.push(message);
    if (this.pumping) return;
    this.pumping = true;
    setImmediate(() => {
      while (this.mailbox.length > 0) {
        const next = this.mailbox.shift();
        try {
          next?.();
        } catch (error) {
          this.coordinatorFailures.push(error);
        }
      }
      this.pumping = false;
    });
  }
}

async function withStallGuard(promise: Promise<void>, subtask: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const stall = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`reader ${subtask} never became available again`)), STALL_MS);
  });
  try {
    await Promise.race([promise, stall]);
  } finally {
    clearTimeout(timer);
  }
}

/** Sorted copy, for comparing multisets of records. */
export function sorted<V>(values: readonly V[], compare?: (a: V, b: V) => number): V[] {
  return [...values].sort(compare ?? ((a, b) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0)));
}

export function numeric(a: number, b: number): number {
  return a - b;
}

export function range(from: number, toExclusive: number): number[] {
  return Array.from({ length: Math.max(0, toExclusive - from) }, (_, i) => from + i);
}

/** A clock that only moves when told to. */
export class ManualSourceClock implements SourceClock {
  private current = 0;
  private timers: Array<{ at: number; fn: () => void; cancelled: boolean }> = [];

  now(): number {
    return this.current;
  }

  schedule(delayMs: number, fn: () => void): SourceCancellable {
    const timer = { at: this.current + Math.max(0, delayMs), fn, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }

  advance(ms: number): void {
    this.current += ms;
    const due = this.timers.filter((t) => !t.cancelled && t.at <= this.current).sort((a, b) => a.at - b.at);
    this.timers = this.timers.filter((t) => !t.cancelled && t.at > this.current);
    for (const timer of due) timer.fn();
  }

  get pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
}
