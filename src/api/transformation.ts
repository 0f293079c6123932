/**
 * Transformations: what the DataStream API records as a user builds a job. Each is one node of
 * the logical plan; partitioning, unions and side outputs are virtual nodes that only shape the
 * edges of the StreamGraph. Ids come from a per-environment counter, so running the same job
 * code again (as every slot worker does) yields the same ids.
 */
import type { Source } from '../connectors/index.js';
import type { OperatorFactory } from '../operators/operator.js';
import type { PartitionerSpec } from '../operators/partitioners.js';

export type ChainingStrategy = 'ALWAYS' | 'HEAD' | 'NEVER';

interface Base {
  readonly id: number;
  name: string;
  uid: string | undefined;
  /** Undefined: the environment's default parallelism. */
  parallelism: number | undefined;
  maxParallelism: number | undefined;
  /** Non-parallel operators (socket source, global aggregation) cannot change parallelism. */
  readonly fixedParallelism?: boolean;
}

export interface SourceTransformation extends Base {
  readonly kind: 'source';
  readonly source: Source<unknown, unknown, unknown>;
  readonly bounded: boolean;
}

export interface OneInputTransformation extends Base {
  readonly kind: 'one-input';
  readonly input: Transformation;
  readonly factory: OperatorFactory;
  /** Set when the operator is keyed: the key selector of its input. */
  readonly keySelector: ((value: unknown) => unknown) | undefined;
  readonly chaining: ChainingStrategy;
  /** A short label of the operator kind for the plan ("Map", "Filter", "KeyedProcess"). */
  readonly operatorName: string;
}

export interface TwoInputTransformation extends Base {
  readonly kind: 'two-input';
  readonly input1: Transformation;
  readonly input2: Transformation;
  readonly factory: OperatorFactory;
  readonly keySelector1: ((value: unknown) => unknown) | undefined;
  readonly keySelector2: ((value: unknown) => unknown) | undefined;
  readonly chaining: ChainingStrategy;
  readonly operatorName: string;
}

export interface SinkTransformation extends Base {
  readonly kind: 'sink';
  readonly input: Transformation;
  readonly factory: OperatorFactory;
  readonly operatorName: string;
}

export interface PartitionTransformation extends Base {
  readonly kind: 'partition';
  readonly input: Transformation;
  readonly partitioner: PartitionerSpec;
  /** hash (keyBy) and custom partitioning: the key of a record. */
  readonly keySelector?: (value: unknown) => unknown;
  readonly customPartitioner?: (key: unknown, numPartitions: number) => number;
}

export interface UnionTransformation extends Base {
  readonly kind: 'union';
  readonly inputs: readonly Transformation[];
}

export interface SideOutputTransformation extends Base {
  readonly kind: 'side-output';
  readonly input: Transformation;
  readonly tag: string;
}

export type Transformation =
  | SourceTransformation
  | OneInputTransformation
  | TwoInputTransformation
  | SinkTransformation
  | PartitionTransformation
  | UnionTransformation
  | SideOutputTransformation;

export type PhysicalTransformation = SourceTransformation | OneInputTransformation | TwoInputTransformation | SinkTransformation;

export function isPhysical(t: Transformation): t is PhysicalTransformation {
  return t.kind === 'source' || t.kind === 'one-input' || t.kind === 'two-input' || t.kind === 'sink';
}
