import { Type } from '@sinclair/typebox';
import { defineProtocol } from '../system/protocol.js';
import { ArtifactSchema, DeploymentSchema, JobGraphSchema } from '../task/schemas.js';

/** The TaskExecutor: runs tasks in its slots' workers. */
export const TaskExecutorProtocol = defineProtocol('taskexecutor', {
  /**
   * Readies the slots for a job: each slot's worker loads the job's operators. Replies when
   * every slot is ready; fails with the job module's error if it cannot be loaded.
   */
  prepareJob: {
    request: Type.Object({ jobGraph: JobGraphSchema, artifact: ArtifactSchema, slots: Type.Array(Type.Integer({ minimum: 0 })), jobMaster: Type.String() }),
    reply: Type.Null(),
  },
  /** Deploys one task into its slot; replies once handed over. State changes go to the JobMaster. */
  submitTask: { request: Type.Object({ slot: Type.Integer({ minimum: 0 }), deployment: DeploymentSchema }), reply: Type.Null() },
  /** Cancels the job's tasks and frees its slots (tell). */
  releaseJob: { request: Type.Object({ jobId: Type.String() }) },
});
export type TaskExecutorSpec = typeof TaskExecutorProtocol.spec;

/** One deployed task, as an actor: a child of its TaskExecutor named after the execution id. */
export const TaskProtocol = defineProtocol('task', {
  cancel: { request: Type.Object({}) },
  addSplits: { request: Type.Object({ splits: Type.Array(Type.Unknown()) }) },
  noMoreSplits: { request: Type.Object({}) },
  sourceEvent: { request: Type.Object({ event: Type.Unknown() }) },
});
export type TaskSpec = typeof TaskProtocol.spec;
