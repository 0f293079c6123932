/**
 * What a slot worker is told and tells back. These messages cross from a TaskExecutor's main
 * thread to its slot workers (structured clone over a MessagePort), so they are plain data.
 */
import type { JobGraph } from '../../api/job-graph.js';
import type { WireError } from '../system/errors.js';
import type { RawScalar } from '../../config/index.js';

/** Where a task runs: a TaskManager (by resource id) and one of its slots. */
export interface SlotLocation {
  readonly taskManager: string;
  readonly slot: number;
}

/** Where a slot's data plane (its ZeroMQ data socket) accepts connections from other TaskManagers. */
export interface DataEndpoint {
  readonly taskManager: string;
  readonly slot: number;
  /** `tcp://host:port`. */
  readonly endpoint: string;
}

/** One end of a data channel as a task sees it: the channel's id and where the other end is. */
export interface ChannelEndpoint {
  readonly id: string;
  readonly peer: SlotLocation;
}

export interface TaskDeployment {
  readonly jobId: string;
  readonly vertexId: string;
  readonly taskName: string;
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly attemptNumber: number;
  /** Unique per attempt of a subtask: 32 hex characters. */
  readonly executionId: string;
  /** Incoming channels, per job edge, with the operator input (0 or 1) they feed. */
  readonly inputs: Array<{ readonly edgeId: string; readonly input: number; readonly channels: ChannelEndpoint[] }>;
  /** Outgoing channels, per job edge, in the order the edge's partitioner numbers them. */
  readonly outputs: Array<{ readonly edgeId: string; readonly channels: ChannelEndpoint[] }>;
  /** The data endpoints of the channels' peers on other TaskManagers; absent when there are none. */
  readonly dataEndpoints?: DataEndpoint[];
  /** The checkpoint this attempt starts from; absent: from empty state. */
  readonly restore?: TaskRestore;
}

/** Where a task's state comes from when its job restarts from a checkpoint (or savepoint). */
export interface TaskRestore {
  readonly checkpointId: number;
  /**
   * The state files the subtasks of this task's vertex wrote for that checkpoint, one per
   * subtask of the parallelism it had then (index = that subtask), null for a subtask that
   * had no state. With the same parallelism a task reads its own; otherwise it picks its key
   * groups out of all of them and takes its share of the operator state.
   */
  readonly files: Array<string | null>;
}

/** A checkpoint or savepoint as a task sees it when it is triggered or a barrier arrives. */
export interface CheckpointBarrierInfo {
  readonly checkpointId: number;
  readonly timestamp: number;
  readonly kind: 'CHECKPOINT' | 'SAVEPOINT';
  /** The folder the task writes its state file into (`<dir>/<job-id>/chk-<n>` or the savepoint's). */
  readonly targetDir: string;
  /** W3C trace context of the checkpoint's trace; empty until tracing is on. */
  readonly traceContext: string;
  /**
   * Every task had reached the end of its input when it was triggered: once it completes, the
   * tasks finish. Set on the sources' trigger, it travels on with the barrier.
   */
  readonly final?: boolean;
}

/** What a task reports once its part of a checkpoint is durable. */
export interface CheckpointAck {
  readonly checkpointId: number;
  /** The task's state file, or null when none of its operators has state. */
  readonly file: string | null;
  readonly bytes: number;
  /** First to last barrier at this task (0 for a source). */
  readonly alignmentMs: number;
  readonly syncMs: number;
  readonly asyncMs: number;
  /**
   * Incremental checkpoints: every file under the job's `shared/` folder the task's state
   * references (absolute paths), the ones uploaded for this checkpoint and the ones reused from
   * earlier ones. The coordinator counts references to them and removes a file once no retained
   * checkpoint references it. Absent for a full snapshot, and never set for a savepoint.
   */
  readonly sharedFiles?: readonly string[];
  /**
   * Those of `sharedFiles` uploaded for an earlier checkpoint: the coordinator refuses the
   * checkpoint if one of them is no longer referenced by a retained checkpoint (it may be gone).
   */
  readonly reusedSharedFiles?: readonly string[];
}

/** How a slot worker obtains the job's operators. */
export interface JobArtifact {
  /** The job module to import (file path); absent when the job's graph is live in this thread. */
  readonly modulePath?: string;
  /** The job's arguments (process.argv.slice(2) inside the job). */
  readonly args: string[];
  /**
   * A standalone cluster's bundle: the TaskExecutor fetches it from the blob server (`server`,
   * an actor path) into its cache and sets `modulePath` before the slots load it.
   */
  readonly blob?: { readonly server: string; readonly key: string };
  /**
   * The configuration the job's main ran with when its graph was extracted (raw values by
   * key); the slots run it with the same, so that it builds the same graph.
   */
  readonly configuration?: Record<string, RawScalar | RawScalar[]>;
}

export type ExecutionState = 'CREATED' | 'SCHEDULED' | 'DEPLOYING' | 'INITIALIZING' | 'RUNNING' | 'FINISHED' | 'CANCELING' | 'CANCELED' | 'FAILED';

export type ToWorker =
  | { readonly type: 'job'; readonly jobGraph: JobGraph; readonly artifact: JobArtifact }
  | { readonly type: 'link'; readonly peer: SlotLocation; readonly port: import('node:worker_threads').MessagePort }
  | { readonly type: 'deploy'; readonly deployment: TaskDeployment }
  | { readonly type: 'cancel'; readonly executionId: string }
  | { readonly type: 'addSplits'; readonly executionId: string; readonly splits: unknown[] }
  | { readonly type: 'noMoreSplits'; readonly executionId: string }
  | { readonly type: 'sourceEvent'; readonly executionId: string; readonly event: unknown }
  | { readonly type: 'endJob'; readonly jobId: string }
  /** To a source task (no inputs): snapshot now and send the barrier downstream. */
  | { readonly type: 'triggerCheckpoint'; readonly executionId: string; readonly barrier: CheckpointBarrierInfo }
  | { readonly type: 'drain'; readonly executionId: string }
  /** The checkpoint is complete everywhere: two-phase-commit sinks commit what it covers. */
  | { readonly type: 'notifyCheckpointComplete'; readonly executionId: string; readonly checkpointId: number }
  /** The checkpoint was given up: drop what was prepared for it. */
  | { readonly type: 'notifyCheckpointAborted'; readonly executionId: string; readonly checkpointId: number }
  /** The worker is about to stop: close its sockets and exit the thread. */
  | { readonly type: 'shutdown' };

export type FromWorker =
  /** The slot has the job's operators; `dataEndpoint` is where its data socket listens, if it has one. */
  | { readonly type: 'jobReady'; readonly jobId: string; readonly dataEndpoint?: string }
  | { readonly type: 'jobFailed'; readonly jobId: string; readonly error: WireError }
  | {
      readonly type: 'state';
      readonly executionId: string;
      readonly state: ExecutionState;
      readonly error?: WireError;
      /** Records of a collecting sink, with FINISHED. */
      readonly collected?: unknown[];
      readonly metrics?: { readonly numRecordsIn: number; readonly numRecordsOut: number };
    }
  | { readonly type: 'splitRequest'; readonly executionId: string }
  | { readonly type: 'sourceEvent'; readonly executionId: string; readonly event: unknown }
  /** A running task's counters and busy/idle/back-pressured time, about once a second. */
  | ({ readonly type: 'metrics' } & TaskMetrics)
  /**
   * The task has processed all its input and waits, its operators finished but open and its
   * outputs carrying `endOfData`, for a final checkpoint that commits what they hold
   * (checkpointing on, STREAMING).
   */
  | { readonly type: 'endOfData'; readonly executionId: string }
  /** The task's part of a checkpoint is durable. */
  | ({ readonly type: 'acknowledgeCheckpoint'; readonly executionId: string } & CheckpointAck)
  /** The task cannot take part in the checkpoint (e.g. a snapshot failed): the checkpoint is aborted. */
  | { readonly type: 'declineCheckpoint'; readonly executionId: string; readonly checkpointId: number; readonly reason: string };

/**
 * A task's metrics as Flink defines them: records in and out so far, and over the last
 * interval the milliseconds per second it could not emit for lack of credit (back-pressured),
 * waited for input (idle), and spent otherwise (busy).
 */
export interface TaskMetrics {
  readonly executionId: string;
  readonly numRecordsIn: number;
  readonly numRecordsOut: number;
  readonly backPressuredTimeMsPerSecond: number;
  readonly idleTimeMsPerSecond: number;
  readonly busyTimeMsPerSecond: number;
}

export function channelId(edgeId: string, from: number, to: number): string {
  return `${edgeId}[${from}->${to}]`;
}

export function sameSlot(a: SlotLocation, b: SlotLocation): boolean {
  return a.taskManager === b.taskManager && a.slot === b.slot;
}
