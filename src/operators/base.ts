/**
 * Shared machinery of operators: the runtime context rich functions see, and a Collector that
 * forwards to the operator's output with the current record's timestamp (one object per
 * operator, reused for every record).
 */
import { richOf, type CheckpointListener, type Collector, type OpenContext, type RuntimeContext } from '../api/functions.js';
import type { AggregatingStateDescriptor, KeyedStateBackend, ListStateDescriptor, MapStateDescriptor, ReducingStateDescriptor, ValueStateDescriptor } from '../state/index.js';
import type { Input, OperatorSetup, Output, StreamOperator } from './operator.js';

/** A Collector whose records carry the timestamp of the record being processed. */
export class TimestampedCollector implements Collector<unknown> {
  timestamp: number | undefined = undefined;
  constructor(private readonly output: Output) {}
  collect(record: unknown): void {
    this.output.collect(record, this.timestamp);
  }
}

const NO_KEYED_STATE = (what: string): Error =>
  new Error(`${what} is keyed state: it is only available in an operator on a keyed stream (after keyBy)`);

export function runtimeContextOf(setup: OperatorSetup, keyed: KeyedStateBackend | undefined): RuntimeContext {
  const info = setup.info;
  const need = (what: string): KeyedStateBackend => {
    if (keyed === undefined) throw NO_KEYED_STATE(what);
    return keyed;
  };
  return {
    getIndexOfThisSubtask: () => info.subtaskIndex,
    getNumberOfParallelSubtasks: () => info.parallelism,
    getMaxNumberOfParallelSubtasks: () => info.maxParallelism,
    getTaskName: () => info.taskName,
    getAttemptNumber: () => info.attemptNumber,
    getJobId: () => info.jobId,
    getState: <T>(d: ValueStateDescriptor<T>) => need('ValueState').getState(d),
    getListState: <T>(d: ListStateDescriptor<T>) => need('ListState').getListState(d),
    getMapState: <K, V>(d: MapStateDescriptor<K, V>) => need('MapState').getMapState(d),
    getReducingState: <T>(d: ReducingStateDescriptor<T>) => need('ReducingState').getReducingState(d),
    getAggregatingState: <IN, ACC, OUT>(d: AggregatingStateDescriptor<IN, ACC, OUT>) => need('AggregatingState').getAggregatingState(d),
  };
}

/** Opens the rich functions among `functions` with the operator's runtime context. */
export async function openFunctions(functions: readonly unknown[], context: RuntimeContext): Promise<void> {
  for (const f of functions) {
    const rich = richOf(f);
    if (rich === undefined) continue;
    rich.setRuntimeContext(context);
    await rich.open({} as OpenContext);
  }
}

/**
 * Tells the user functions among `functions` that implement Flink's CheckpointListener
 * (a `notifyCheckpointComplete(checkpointId)` method) that a checkpoint completed.
 */
export async function notifyFunctions(functions: readonly unknown[], checkpointId: number): Promise<void> {
  for (const f of functions) {
    const listener = f as Partial<CheckpointListener> | null;
    if (typeof f === 'object' && listener !== null && typeof listener.notifyCheckpointComplete === 'function') await listener.notifyCheckpointComplete(checkpointId);
  }
}

export async function closeFunctions(functions: readonly unknown[]): Promise<void> {
  for (const f of functions) await richOf(f)?.close();
}

/** Base of one-input operators that forward watermarks unchanged. */
export abstract class OneInputOperator implements StreamOperator, Input {
  readonly inputs: readonly Input[] = [this];
  protected output!: Output;

  open(setup: OperatorSetup): void | Promise<void> {
    this.output = setup.output;
  }
  abstract processElement(value: unknown, timestamp: number | undefined): void;
  processWatermark(watermark: number): void {
    this.output.emitWatermark(watermark);
  }
  processWatermarkStatus(idle: boolean): void {
    this.output.emitWatermarkStatus(idle);
  }
  endInput(): void {}
  finish(): void | Promise<void> {}
  close(): void | Promise<void> {}
}
