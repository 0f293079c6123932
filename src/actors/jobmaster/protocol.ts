import { Type } from '@sinclair/typebox';
import { defineProtocol } from '../system/protocol.js';
import { ExecutionStateSchema, JobStatusSchema, WireErrorSchema } from '../task/schemas.js';

/** The JobMaster of one job: its execution graph, scheduling and source coordinators. */
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
  /** A source reader asks its enumerator for a split (tell). */
  requestSplit: { request: Type.Object({ executionId: Type.String() }) },
  /** A source reader's event for its enumerator (tell). */
  sourceEvent: { request: Type.Object({ executionId: Type.String(), event: Type.Unknown() }) },
  /** Cancels the job; replies once cancelling has begun. */
  cancel: { request: Type.Object({}), reply: Type.Null() },
  /** The job's status and per-vertex task states. */
  requestJobStatus: {
    request: Type.Object({}),
    reply: Type.Object({
      status: JobStatusSchema,
      vertices: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), parallelism: Type.Integer(), states: Type.Array(ExecutionStateSchema) })),
    }),
  },
});
export type JobMasterSpec = typeof JobMasterProtocol.spec;
