/**
 * Drives one one-input operator directly, without a task: records, watermarks and a manual
 * processing-time clock go in, and what the operator emits is recorded. Deterministic: time only
 * moves when the test moves it.
 */
import type { Cancellable } from '../../src/actors/system/clock.js';
import type { OperatorSetup, Output, StreamOperator } from '../../src/operators/operator.js';

export interface Emitted {
  readonly value: unknown;
  readonly timestamp: number | undefined;
}

interface Scheduled {
  readonly at: number;
  readonly callback: () => void;
  cancelled: boolean;
}

export class OneInputHarness {
  readonly output: Emitted[] = [];
  readonly sideOutputs = new Map<string, Emitted[]>();
  readonly watermarks: number[] = [];
  private now: number;
  private scheduled: Scheduled[] = [];

  constructor(
    readonly operator: StreamOperator,
    private readonly keySelector: ((value: unknown) => unknown) | undefined,
    private readonly options: {
      readonly startTime?: number;
      readonly runtimeMode?: 'STREAMING' | 'BATCH';
      readonly maxParallelism?: number;
      /** The keyed state backend (the heap's when not given). */
      readonly createKeyedStateBackend?: OperatorSetup['createKeyedStateBackend'];
    } = {},
  ) {
    this.now = options.startTime ?? 0;
  }

  async open(): Promise<void> {
    const harness = this;
    const output: Output = {
      collect: (value, timestamp) => harness.output.push({ value, timestamp }),
      collectSide: (tag, value, timestamp) => {
        let list = harness.sideOutputs.get(tag);
        if (list === undefined) harness.sideOutputs.set(tag, (list = []));
        list.push({ value, timestamp });
      },
      emitWatermark: (watermark) => harness.watermarks.push(watermark),
      emitWatermarkStatus: () => {},
    };
    const setup: OperatorSetup = {
      info: {
        jobId: '0'.repeat(32),
        taskName: 'harness',
        operatorName: 'harness',
        operatorId: 'harness',
        subtaskIndex: 0,
        parallelism: 1,
        maxParallelism: this.options.maxParallelism ?? 128,
        attemptNumber: 0,
      },
      output,
      processingTime: {
        now: () => harness.now,
        schedule: (at, callback): Cancellable => {
          const entry: Scheduled = { at, callback, cancelled: false };
          harness.scheduled.push(entry);
          return { cancel: () => (entry.cancelled = true) };
        },
      },
      keySelectors: [this.keySelector],
      runtimeMode: this.options.runtimeMode ?? 'STREAMING',
      autoWatermarkIntervalMs: 200,
      ...(this.options.createKeyedStateBackend !== undefined ? { createKeyedStateBackend: this.options.createKeyedStateBackend } : {}),
    };
    await this.operator.open(setup);
  }

  processElement(value: unknown, timestamp?: number): void {
    this.operator.inputs[0]!.processElement(value, timestamp);
  }

  processWatermark(watermark: number): void {
    this.operator.inputs[0]!.processWatermark(watermark);
  }

  /** Moves processing time to `time`, running every callback scheduled at or before it, in order. */
  setProcessingTime(time: number): void {
    this.now = time;
    for (;;) {
      const due = this.scheduled.filter((s) => !s.cancelled && s.at <= time).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      due.cancelled = true;
      due.callback();
    }
    this.scheduled = this.scheduled.filter((s) => !s.cancelled);
  }

  /** The values emitted so far, and forgets them. */
  takeOutput(): Emitted[] {
    return this.output.splice(0, this.output.length);
  }

  side(tag: string): Emitted[] {
    return this.sideOutputs.get(tag) ?? [];
  }

  async finish(): Promise<void> {
    this.operator.inputs[0]!.endInput();
    await this.operator.finish();
  }

  async close(): Promise<void> {
    await this.operator.close();
  }
}
