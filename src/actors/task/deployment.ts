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
  | ({ readonly type: 'metrics' } & TaskMetrics);

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
