/** Sinks: a SinkWriter per subtask, and the collecting sink behind executeAndCollect(). */
import type { Sink, SinkWriter } from '../connectors/index.js';
import { OneInputOperator } from './base.js';
import type { OperatorSetup } from './operator.js';

export class SinkWriterOperator extends OneInputOperator {
  private writer!: SinkWriter<unknown>;
  constructor(private readonly sink: Sink<unknown>) {
    super();
  }
  override async open(setup: OperatorSetup): Promise<void> {
    super.open(setup);
    const { subtaskIndex, parallelism, attemptNumber } = setup.info;
    this.writer = await this.sink.createWriter({ indexOfSubtask: subtaskIndex, parallelism, attemptNumber });
  }
  processElement(value: unknown, timestamp: number | undefined): void {
    this.writer.write(value, timestamp);
  }
  override processWatermark(): void {}
  override async finish(): Promise<void> {
    await this.writer.flush(true);
  }
  override async close(): Promise<void> {
    await this.writer?.close();
  }
}

/** Keeps every record; the task hands them to the JobMaster when it finishes. */
export class CollectSinkOperator extends OneInputOperator {
  readonly collected: unknown[] = [];
  processElement(value: unknown): void {
    this.collected.push(value);
  }
  override processWatermark(): void {}
}
