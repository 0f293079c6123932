import { Type } from '@sinclair/typebox';
import { JobDetailsSchema, VertexTaskMetricsSchema } from '../jobmaster/protocol.js';
import { defineProtocol } from '../system/protocol.js';
import { CheckpointingStatsSchema } from '../checkpoint/protocol.js';
import { ArtifactSchema, JobGraphSchema, JobResultSchema, JobStatusSchema } from '../task/schemas.js';

/** The Dispatcher: accepts jobs, runs a JobMaster per job, keeps the job list and results. */
export const DispatcherProtocol = defineProtocol('dispatcher', {
  /** Submits a job; replies once its JobMaster is started. Fails if the job id is in use. */
  submitJob: {
    request: Type.Object({
      jobGraph: JobGraphSchema,
      artifact: ArtifactSchema,
      /** The savepoint or retained checkpoint to start from (`runnel run -s`), already read and checked. */
      restore: Type.Optional(Type.Object({ path: Type.String(), metadata: Type.Unknown(), bytes: Type.Number() })),
    }),
    reply: Type.Object({ jobId: Type.String() }),
  },
  /** Replies with the job's result once it has reached a terminal state (ask with a long timeout). */
  requestJobResult: { request: Type.Object({ jobId: Type.String() }), reply: JobResultSchema },
  /**
   * Replies at once with the job's result if it has reached a terminal state, else null (for
   * polling, e.g. `GET /jobs/:jobid/execution-result`). Fails with UnknownJobError.
   */
  jobResult: { request: Type.Object({ jobId: Type.String() }), reply: Type.Union([JobResultSchema, Type.Null()]) },
  /** Cancels a running job. Fails with UnknownJobError for an unknown id. */
  cancelJob: { request: Type.Object({ jobId: Type.String() }), reply: Type.Null() },
  /** Every job this dispatcher knows, running or ended. */
  listJobs: {
    request: Type.Object({}),
    reply: Type.Array(
      Type.Object({ jid: Type.String(), name: Type.String(), state: JobStatusSchema, startTime: Type.Number(), endTime: Type.Number() }),
    ),
  },
  /** The job's details (REST `/jobs/:jobid`) and its plan. Fails with UnknownJobError. */
  requestJobDetails: { request: Type.Object({ jobId: Type.String() }), reply: Type.Object({ details: JobDetailsSchema, plan: Type.Unknown() }) },
  /** The latest metrics of the job's running tasks (empty once it ended). Fails with UnknownJobError. */
  requestJobMetrics: { request: Type.Object({ jobId: Type.String() }), reply: Type.Array(VertexTaskMetricsSchema) },
  /** The job's checkpoint statistics and configuration. Fails with UnknownJobError. */
  requestCheckpointStats: {
    request: Type.Object({ jobId: Type.String() }),
    reply: Type.Object({ stats: CheckpointingStatsSchema, checkpointing: Type.Unknown() }),
  },
  /** Takes a savepoint of a running job; replies with its folder once complete. Fails with UnknownJobError. */
  triggerSavepoint: {
    request: Type.Object({ jobId: Type.String(), targetDir: Type.Union([Type.String(), Type.Null()]), stop: Type.Boolean(), drain: Type.Optional(Type.Boolean()) }),
    reply: Type.Object({ checkpointId: Type.Integer(), path: Type.String() }),
  },
  /** From a JobMaster: its job ended (tell). */
  jobReachedTerminalState: { request: Type.Object({ result: JobResultSchema, details: JobDetailsSchema }) },
  /** From a JobMaster: its job went RUNNING, RESTARTING, FAILING, ... (tell; the job list shows it). */
  jobStatusChanged: { request: Type.Object({ jobId: Type.String(), status: JobStatusSchema }) },
});
export type DispatcherSpec = typeof DispatcherProtocol.spec;
