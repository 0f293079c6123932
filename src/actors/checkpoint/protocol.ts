import { Type, type Static } from '@sinclair/typebox';
import { defineProtocol } from '../system/protocol.js';

export const TaskInfoSchema = Type.Object({
  executionId: Type.String(),
  vertexId: Type.String(),
  subtask: Type.Integer(),
  isSource: Type.Boolean(),
  /** The task actor's path (notifications go there). */
  task: Type.String(),
});
export type TaskInfo = Static<typeof TaskInfoSchema>;

/** One checkpoint in the statistics (REST `/jobs/:id/checkpoints`). */
export const CheckpointStatsSchema = Type.Object({
  id: Type.Integer(),
  status: Type.Union([Type.Literal('IN_PROGRESS'), Type.Literal('COMPLETED'), Type.Literal('FAILED')]),
  isSavepoint: Type.Boolean(),
  triggerTimestamp: Type.Number(),
  latestAckTimestamp: Type.Number(),
  stateSize: Type.Number(),
  endToEndDuration: Type.Number(),
  alignmentMs: Type.Number(),
  numSubtasks: Type.Integer(),
  numAcknowledgedSubtasks: Type.Integer(),
  externalPath: Type.Union([Type.String(), Type.Null()]),
  failureMessage: Type.Union([Type.String(), Type.Null()]),
  /** Per vertex: acknowledged subtasks and the bytes of their state. */
  tasks: Type.Record(Type.String(), Type.Object({ acknowledged: Type.Integer(), subtasks: Type.Integer(), stateSize: Type.Number(), latestAckTimestamp: Type.Number() })),
});
export type CheckpointStats = Static<typeof CheckpointStatsSchema>;

export const CheckpointingStatsSchema = Type.Object({
  counts: Type.Object({ restored: Type.Integer(), total: Type.Integer(), inProgress: Type.Integer(), completed: Type.Integer(), failed: Type.Integer() }),
  history: Type.Array(CheckpointStatsSchema),
  restored: Type.Union([Type.Object({ id: Type.Integer(), restoreTimestamp: Type.Number(), isSavepoint: Type.Boolean(), externalPath: Type.String() }), Type.Null()]),
});
export type CheckpointingStats = Static<typeof CheckpointingStatsSchema>;

/** A task's acknowledgement of a checkpoint (CheckpointAck in task/deployment.ts, with its execution). */
export const CheckpointAckSchema = Type.Object({
  executionId: Type.String(),
  checkpointId: Type.Integer(),
  file: Type.Union([Type.String(), Type.Null()]),
  bytes: Type.Number(),
  alignmentMs: Type.Number(),
  syncMs: Type.Number(),
  asyncMs: Type.Number(),
  /**
   * The shared state files of an incremental checkpoint (absolute paths); see CheckpointAck.
   * Validated as an array of strings; typed readonly, as CheckpointAck has it.
   */
  sharedFiles: Type.Optional(Type.Unsafe<readonly string[]>(Type.Array(Type.String({ minLength: 1 })))),
  reusedSharedFiles: Type.Optional(Type.Unsafe<readonly string[]>(Type.Array(Type.String({ minLength: 1 })))),
});
export const CheckpointDeclineSchema = Type.Object({ executionId: Type.String(), checkpointId: Type.Integer(), reason: Type.String() });

/** The CheckpointCoordinator of one job: a child of its JobMaster. */
export const CheckpointCoordinatorProtocol = defineProtocol('checkpointcoordinator', {
  /** Every task of attempt `attempt` is running: checkpoint them periodically (tell). */
  attemptRunning: { request: Type.Object({ attempt: Type.Integer(), tasks: Type.Array(TaskInfoSchema) }) },
  /** The attempt ended or lost a task: abort what is pending and stop triggering (tell). */
  attemptEnded: { request: Type.Object({ attempt: Type.Integer() }) },
  /** From the JobMaster: the sources of `checkpointId` were triggered, with the enumerators' states (tell). */
  checkpointTriggered: { request: Type.Object({ checkpointId: Type.Integer(), enumerators: Type.Record(Type.String(), Type.Unknown()), final: Type.Boolean() }) },
  /** Every task reached the end of its data: take the final checkpoint now (tell). */
  triggerNow: { request: Type.Object({ attempt: Type.Integer() }) },
  /** From the JobMaster: `checkpointId` could not be triggered (tell). */
  checkpointNotTriggered: { request: Type.Object({ checkpointId: Type.Integer(), reason: Type.String() }) },
  /** A task's acknowledgement, relayed by the JobMaster (tell). */
  acknowledge: { request: CheckpointAckSchema },
  decline: { request: CheckpointDeclineSchema },
  /**
   * Takes a savepoint into `targetDir` (or the configured savepoint folder); replies with its path
   * once complete. With `stop`, no checkpoint is triggered after it (the job is being stopped).
   */
  /**
   * With `drain` (stop --drain), the savepoint waits until every task reached the end of its
   * data (the JobMaster drains the sources and says triggerNow) and is the final checkpoint.
   */
  triggerSavepoint: { request: Type.Object({ targetDir: Type.Union([Type.String(), Type.Null()]), stop: Type.Boolean(), drain: Type.Optional(Type.Boolean()) }), reply: Type.Object({ checkpointId: Type.Integer(), path: Type.String() }) },
  /** The checkpoint a restart restores: the latest completed one, or the one the job was submitted with. */
  latestCompleted: {
    request: Type.Object({}),
    reply: Type.Union([Type.Object({ checkpointId: Type.Integer(), path: Type.String(), metadata: Type.Unknown() }), Type.Null()]),
  },
  requestStats: { request: Type.Object({}), reply: CheckpointingStatsSchema },
});
export type CheckpointCoordinatorSpec = typeof CheckpointCoordinatorProtocol.spec;
