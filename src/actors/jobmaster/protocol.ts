import { Type, type Static } from '@sinclair/typebox';
import { defineProtocol } from '../system/protocol.js';
import { CheckpointAckSchema, CheckpointDeclineSchema, CheckpointingStatsSchema } from '../checkpoint/protocol.js';
import { ExecutionStateSchema, JobStatusSchema, WireErrorSchema } from '../task/schemas.js';

/** One entry of a job's exception history (REST `/jobs/:jobid/exceptions`). */
export const ExceptionEntrySchema = Type.Object({
  exceptionName: Type.String(),
  message: Type.String(),
  stacktrace: Type.String(),
  timestamp: Type.Number(),
  taskName: Type.Optional(Type.String()),
  /** The TaskManager the failing task ran on. */
  taskManagerId: Type.Optional(Type.String()),
});

/** The job as the REST API shows it: status with timestamps, tasks, restarts and failures. */
export const JobDetailsSchema = Type.Object({
  jobId: Type.String(),
  name: Type.String(),
  status: JobStatusSchema,
  startTime: Type.Number(),
  /** -1 while the job has not ended. */
  endTime: Type.Number(),
  /** When the job entered each status it went through (ms since the epoch). */
  timestamps: Type.Record(Type.String(), Type.Number()),
  restarts: Type.Integer(),
  restartStrategy: Type.String(),
  vertices: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      parallelism: Type.Integer(),
      maxParallelism: Type.Integer(),
      subtasks: Type.Array(
        Type.Object({
          subtask: Type.Integer(),
          status: ExecutionStateSchema,
          attempt: Type.Integer(),
          taskManagerId: Type.String(),
          taskExecutor: Type.String(),
          startTime: Type.Number(),
          endTime: Type.Number(),
        }),
      ),
    }),
  ),
  exceptions: Type.Array(ExceptionEntrySchema),
});
export type JobDetails = Static<typeof JobDetailsSchema>;

/** One running task's latest metrics, placed in the job by vertex and subtask. */
export const VertexTaskMetricsSchema = Type.Object({
  vertexId: Type.String(),
  subtask: Type.Integer(),
  taskManagerId: Type.String(),
  numRecordsIn: Type.Number(),
  numRecordsOut: Type.Number(),
  backPressuredTimeMsPerSecond: Type.Number(),
  idleTimeMsPerSecond: Type.Number(),
  busyTimeMsPerSecond: Type.Number(),
});
export type VertexTaskMetrics = Static<typeof VertexTaskMetricsSchema>;

/**
 * The JobMaster of one job: its execution graph, scheduling, restarts and source coordinators.
 * Fenced by its leader session (tasks report under it); the Dispatcher's queries are not.
 */
export const JobMasterProtocol = defineProtocol('jobmaster', {
  /** A task's new execution state, from its TaskExecutor (tell). */
  updateTaskExecutionState: {
    request: Type.Object({
      executionId: Type.String(),
      state: ExecutionStateSchema,
      error: Type.Optional(WireErrorSchema),
      collected: Type.Optional(Type.Array(Type.Unknown())),
      metrics: Type.Optional(Type.Object({ numRecordsIn: Type.Number(), numRecordsOut: Type.Number() })),
    }),
  },
  /** A task processed all its input and waits for the final checkpoint (tell). */
  endOfData: { request: Type.Object({ executionId: Type.String() }) },
  /** A task's part of a checkpoint is durable (tell). */
  acknowledgeCheckpoint: { request: CheckpointAckSchema },
  /** A task cannot take part in a checkpoint; it is aborted (tell). */
  declineCheckpoint: { request: CheckpointDeclineSchema },
  /** A source reader asks its enumerator for a split (tell). */
  requestSplit: { request: Type.Object({ executionId: Type.String() }) },
  /** A source reader's event for its enumerator (tell). */
  sourceEvent: { request: Type.Object({ executionId: Type.String(), event: Type.Unknown() }) },
  /** Cancels the job; replies once cancelling has begun. */
  cancel: { request: Type.Object({}), reply: Type.Null(), unfenced: true },
  /** The job's details for the REST API. */
  requestJobDetails: { request: Type.Object({}), reply: JobDetailsSchema, unfenced: true },
  /** The job's checkpoint statistics (REST `/jobs/:id/checkpoints`). */
  requestCheckpointStats: { request: Type.Object({}), reply: CheckpointingStatsSchema, unfenced: true },
  /**
   * Takes a savepoint; replies with its folder once complete. With `stop`, the job is cancelled
   * once the savepoint is complete (stop with savepoint).
   */
  triggerSavepoint: { request: Type.Object({ targetDir: Type.Union([Type.String(), Type.Null()]), stop: Type.Boolean(), drain: Type.Optional(Type.Boolean()) }), reply: Type.Object({ checkpointId: Type.Integer(), path: Type.String() }), unfenced: true },
  /** The latest metrics of the job's running tasks, gathered from their TaskExecutors. */
  requestTaskMetrics: { request: Type.Object({}), reply: Type.Array(VertexTaskMetricsSchema), unfenced: true },
});
export type JobMasterSpec = typeof JobMasterProtocol.spec;
