import { Type } from '@sinclair/typebox';
import { defineProtocol } from '../system/protocol.js';
import { ArtifactSchema, CheckpointBarrierSchema, DeploymentSchema, JobGraphSchema } from '../task/schemas.js';

/** One task's metrics, as a slot worker reports them (see TaskMetrics in task/deployment.ts). */
export const TaskMetricsSchema = Type.Object({
  executionId: Type.String(),
  numRecordsIn: Type.Number(),
  numRecordsOut: Type.Number(),
  backPressuredTimeMsPerSecond: Type.Number(),
  idleTimeMsPerSecond: Type.Number(),
  busyTimeMsPerSecond: Type.Number(),
});

/** The TaskExecutor: runs tasks in its slots' workers. */
export const TaskExecutorProtocol = defineProtocol('taskexecutor', {
  /**
   * Readies the slots for a job: each slot's worker loads the job's operators and, on a
   * TaskManager with a data plane, binds its data socket. Replies when every slot is ready,
   * with the data endpoints of the slots that have one (the JobMaster hands them to the tasks
   * of other TaskManagers); fails with the job module's error if it cannot be loaded.
   */
  prepareJob: {
    request: Type.Object({
      jobGraph: JobGraphSchema,
      artifact: ArtifactSchema,
      slots: Type.Array(Type.Integer({ minimum: 0 })),
      /** The JobMaster's path, and its leader session: task reports are sent under it. */
      jobMaster: Type.String(),
      jobMasterId: Type.String(),
    }),
    reply: Type.Object({ dataEndpoints: Type.Array(Type.Object({ slot: Type.Integer({ minimum: 0 }), endpoint: Type.String() })) }),
  },
  /** Deploys one task into its slot; replies once handed over. State changes go to the JobMaster. */
  submitTask: { request: Type.Object({ slot: Type.Integer({ minimum: 0 }), deployment: DeploymentSchema }), reply: Type.Null() },
  /**
   * The latest metrics (reported about once a second) of the job's tasks on this TaskExecutor:
   * records in and out, and busy, idle and back-pressured milliseconds per second. Empty for a
   * job it does not run. Not fenced.
   */
  requestTaskMetrics: { request: Type.Object({ jobId: Type.String() }), reply: Type.Array(TaskMetricsSchema) },
  /**
   * Cancels the job's tasks and frees its slots. Replies once the slots' workers are gone and
   * the job's local files removed, so a restarting job can take the slots again at once.
   */
  releaseJob: { request: Type.Object({ jobId: Type.String() }), reply: Type.Null() },
  /**
   * The ResourceManager's heartbeat: answered with the slot report. A TaskExecutor that stops
   * hearing these re-registers.
   */
  heartbeatFromResourceManager: {
    request: Type.Object({ resourceManagerId: Type.String() }),
    reply: Type.Object({ resourceId: Type.String(), slots: Type.Array(Type.Union([Type.String(), Type.Null()])) }),
  },
  /**
   * A JobMaster's heartbeat for its job: answered while this TaskExecutor runs the job. A
   * TaskExecutor that stops hearing these cancels the job's tasks and frees its slots.
   */
  heartbeatFromJobMaster: { request: Type.Object({ jobId: Type.String() }), reply: Type.Object({ known: Type.Boolean() }) },
});
export type TaskExecutorSpec = typeof TaskExecutorProtocol.spec;

/** One deployed task, as an actor: a child of its TaskExecutor named after the execution id. */
export const TaskProtocol = defineProtocol('task', {
  cancel: { request: Type.Object({}) },
  addSplits: { request: Type.Object({ splits: Type.Array(Type.Unknown()) }) },
  noMoreSplits: { request: Type.Object({}) },
  sourceEvent: { request: Type.Object({ event: Type.Unknown() }) },
  /** To a source task: snapshot now and send the barrier downstream. */
  triggerCheckpoint: { request: Type.Object({ barrier: CheckpointBarrierSchema }) },
  notifyCheckpointComplete: { request: Type.Object({ checkpointId: Type.Integer() }) },
  notifyCheckpointAborted: { request: Type.Object({ checkpointId: Type.Integer() }) },
  /** To a source task (stop --drain): stop reading, end event time, and wait for the final savepoint. */
  drain: { request: Type.Object({}) },
});
export type TaskSpec = typeof TaskProtocol.spec;
