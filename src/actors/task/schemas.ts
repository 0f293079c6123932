/**
 * Wire schemas of the job-level data that actors exchange: job graphs, task deployments and
 * job results. Checked on arrival like every message body.
 */
import { Type, type Static, type TLiteral, type TUnion } from '@sinclair/typebox';

function literals<const T extends string>(values: readonly T[]): TUnion<TLiteral<T>[]> {
  return Type.Union(values.map((v) => Type.Literal(v))) as TUnion<TLiteral<T>[]>;
}

const Partitioner = Type.Object({
  type: literals(['forward', 'rebalance', 'rescale', 'shuffle', 'broadcast', 'global', 'hash', 'custom']),
});

export const JobGraphSchema = Type.Object({
  jobId: Type.String({ pattern: '^[0-9a-f]{32}$' }),
  jobName: Type.String(),
  vertices: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      parallelism: Type.Integer({ minimum: 1 }),
      maxParallelism: Type.Integer({ minimum: 1 }),
      nodeIds: Type.Array(Type.Integer()),
      operatorIds: Type.Array(Type.String()),
      isSource: Type.Boolean(),
    }),
  ),
  edges: Type.Array(
    Type.Object({
      id: Type.String(),
      sourceVertex: Type.String(),
      targetVertex: Type.String(),
      sourceNode: Type.Integer(),
      targetNode: Type.Integer(),
      typeNumber: Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)]),
      partitioner: Partitioner,
      sideOutputTag: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
  settings: Type.Object({
    runtimeMode: Type.Union([Type.Literal('STREAMING'), Type.Literal('BATCH')]),
    bufferTimeoutMs: Type.Number({ minimum: 0 }),
    maxParallelism: Type.Integer({ minimum: 1 }),
    parallelism: Type.Integer({ minimum: 1 }),
    autoWatermarkIntervalMs: Type.Number({ minimum: 0 }),
    checkpointing: Type.Object({
      intervalMs: Type.Number({ minimum: 0 }),
      mode: Type.Union([Type.Literal('EXACTLY_ONCE'), Type.Literal('AT_LEAST_ONCE')]),
      timeoutMs: Type.Number({ minimum: 0 }),
      minPauseMs: Type.Number({ minimum: 0 }),
      numRetained: Type.Integer({ minimum: 1 }),
      tolerableFailures: Type.Integer({ minimum: 0 }),
      dir: Type.Union([Type.String(), Type.Null()]),
      savepointDir: Type.Union([Type.String(), Type.Null()]),
    }),
    stateBackend: Type.Object({
      type: Type.Union([Type.Literal('hashmap'), Type.Literal('rocksdb')]),
      incremental: Type.Boolean(),
      localDir: Type.Union([Type.String(), Type.Null()]),
      residentKeys: Type.Integer({ minimum: 1 }),
      timerService: Type.Optional(Type.Union([Type.Literal('ROCKSDB'), Type.Literal('HEAP')])),
    }),
    restartStrategy: Type.Union([
      Type.Object({ type: Type.Literal('none') }),
      Type.Object({ type: Type.Literal('fixed-delay'), attempts: Type.Integer({ minimum: 0 }), delayMs: Type.Number({ minimum: 0 }) }),
      Type.Object({
        type: Type.Literal('exponential-delay'),
        initialBackoffMs: Type.Number({ minimum: 0 }),
        maxBackoffMs: Type.Number({ minimum: 0 }),
        multiplier: Type.Number({ minimum: 1 }),
        resetBackoffThresholdMs: Type.Number({ minimum: 0 }),
        jitterFactor: Type.Number({ minimum: 0, maximum: 1 }),
        attemptsBeforeReset: Type.Integer({ minimum: 1 }),
      }),
      Type.Object({
        type: Type.Literal('failure-rate'),
        maxFailuresPerInterval: Type.Integer({ minimum: 1 }),
        intervalMs: Type.Number({ minimum: 0 }),
        delayMs: Type.Number({ minimum: 0 }),
      }),
    ]),
  }),
  fingerprint: Type.String(),
});

export const ArtifactSchema = Type.Object({
  modulePath: Type.Optional(Type.String()),
  args: Type.Array(Type.String()),
  /** A bundle on the JobManager's blob server (actor path `server`), by SHA-256 `key`. */
  blob: Type.Optional(Type.Object({ server: Type.String(), key: Type.String({ pattern: '^[0-9a-f]{64}$' }) })),
  /** The configuration the job's main ran with on the JobManager (raw values by key). */
  configuration: Type.Optional(
    Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Array(Type.Union([Type.String(), Type.Number(), Type.Boolean()]))])),
  ),
});

const Location = Type.Object({ taskManager: Type.String(), slot: Type.Integer({ minimum: 0 }) });
const Endpoint = Type.Object({ id: Type.String(), peer: Location });

export const DeploymentSchema = Type.Object({
  jobId: Type.String(),
  vertexId: Type.String(),
  taskName: Type.String(),
  subtaskIndex: Type.Integer({ minimum: 0 }),
  parallelism: Type.Integer({ minimum: 1 }),
  attemptNumber: Type.Integer({ minimum: 0 }),
  executionId: Type.String(),
  inputs: Type.Array(Type.Object({ edgeId: Type.String(), input: Type.Integer({ minimum: 0, maximum: 1 }), channels: Type.Array(Endpoint) })),
  outputs: Type.Array(Type.Object({ edgeId: Type.String(), channels: Type.Array(Endpoint) })),
  dataEndpoints: Type.Optional(Type.Array(Type.Object({ taskManager: Type.String(), slot: Type.Integer({ minimum: 0 }), endpoint: Type.String() }))),
  restore: Type.Optional(Type.Object({ checkpointId: Type.Integer({ minimum: 0 }), files: Type.Array(Type.Union([Type.String(), Type.Null()])) })),
});

export const WireErrorSchema = Type.Object({
  name: Type.String(),
  message: Type.String(),
  stack: Type.Optional(Type.String()),
  cause: Type.Optional(Type.Unknown()),
  data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

export const JobStatusSchema = literals(['INITIALIZING', 'CREATED', 'RUNNING', 'FAILING', 'FAILED', 'CANCELLING', 'CANCELED', 'FINISHED', 'RESTARTING', 'SUSPENDED', 'RECONCILING']);
export type JobStatus = Static<typeof JobStatusSchema>;

export const JobResultSchema = Type.Object({
  jobId: Type.String(),
  status: JobStatusSchema,
  netRuntimeMs: Type.Number(),
  error: Type.Optional(WireErrorSchema),
  collected: Type.Optional(Type.Array(Type.Unknown())),
});
export type JobResult = Static<typeof JobResultSchema>;

export const ExecutionStateSchema = literals(['CREATED', 'SCHEDULED', 'DEPLOYING', 'INITIALIZING', 'RUNNING', 'FINISHED', 'CANCELING', 'CANCELED', 'FAILED']);

/** A checkpoint barrier's description (CheckpointBarrierInfo in deployment.ts). */
export const CheckpointBarrierSchema = Type.Object({
  checkpointId: Type.Integer({ minimum: 1 }),
  timestamp: Type.Number(),
  kind: Type.Union([Type.Literal('CHECKPOINT'), Type.Literal('SAVEPOINT')]),
  targetDir: Type.String(),
  traceContext: Type.String(),
  final: Type.Optional(Type.Boolean()),
});
