/**
 * The JobMaster of one job: asks the ResourceManager for slots, readies the TaskExecutors,
 * deploys every subtask, runs the source coordinators, and follows each task's state to the
 * job's end — FINISHED when every task finished, CANCELED when cancelled, and on a failure
 * either a restart (RESTARTING, then a fresh attempt after the restart strategy's delay) or
 * FAILED. The result goes to the Dispatcher.
 *
 * It leads its job under a session from the HA services; tasks report under that session's
 * token, so reports meant for an earlier JobMaster of the job are rejected. It heartbeats the
 * TaskExecutors running its tasks: one silent for `heartbeat.timeout` fails its tasks.
 *
 * Scheduling is a sequence of asks whose replies come back as messages tagged with the attempt
 * they belong to, so the JobMaster keeps answering (status, cancel) while slots are found, and
 * a late reply for an attempt that was given up changes nothing.
 */
import { Type } from '@sinclair/typebox';
import type { JobGraph, JobVertex } from '../../api/job-graph.js';
import type { StreamGraph } from '../../api/stream-graph.js';
import type { Source, SourceSplit } from '../../connectors/index.js';
import { acceptLeadership, contend, LeadershipMessages, type HighAvailabilityServices, type LeaderElection, type LeaderGateway } from '../../ha/index.js';
import type { DispatcherSpec } from '../dispatcher/protocol.js';
import { ResourceManagerProtocol, type ResourceManagerSpec } from '../resourcemanager/protocol.js';
import { Actor } from '../system/actor.js';
import { RequestError, toWireError, type WireError } from '../system/errors.js';
import { HeartbeatMonitor, type HeartbeatSettings } from '../system/heartbeat.js';
import { defineProtocol, type Handlers, type Message } from '../system/protocol.js';
import type { ActorRef } from '../system/ref.js';
import { TaskExecutorProtocol, TaskProtocol } from '../taskexecutor/protocol.js';
import type { ExecutionState, JobArtifact } from '../task/deployment.js';
import { CheckpointBarrierSchema, type JobStatus } from '../task/schemas.js';
import { CheckpointCoordinator } from '../checkpoint/coordinator.js';
import type { CheckpointCoordinatorSpec } from '../checkpoint/protocol.js';
import type { CheckpointMetadata, CompletedCheckpoint } from '../checkpoint/storage.js';
import { planDeployments, slotsNeeded, type AllocatedSlot, type PlannedTask } from './execution-plan.js';
import { JobMasterProtocol, type JobDetails, type JobMasterSpec } from './protocol.js';
import { createRestartStrategy, type RestartStrategy } from './restart-strategy.js';
import { SourceCoordinator } from './source-coordinator.js';

export interface JobMasterSettings {
  /** The leading ResourceManager. */
  readonly resourceManager: LeaderGateway;
  /** The Dispatcher that started this JobMaster, under its session. */
  readonly dispatcher: ActorRef<DispatcherSpec>;
  readonly askTimeoutMs: number;
  readonly slotRequestTimeoutMs: number;
  readonly heartbeat: HeartbeatSettings;
  readonly ha: HighAvailabilityServices;
}

const SlotSchema = Type.Object({ resourceId: Type.String(), taskExecutor: Type.String(), slot: Type.Integer() });
const Internal = defineProtocol('jobmaster-internal', {
  ...LeadershipMessages.spec,
  slotsAllocated: { request: Type.Object({ attempt: Type.Integer(), slots: Type.Array(SlotSchema) }) },
  /** Every TaskExecutor is ready; the data endpoints of their slots, by TaskManager and slot. */
  prepared: {
    request: Type.Object({
      attempt: Type.Integer(),
      dataEndpoints: Type.Array(Type.Object({ taskManager: Type.String(), slot: Type.Integer(), endpoint: Type.String() })),
    }),
  },
  schedulingFailed: { request: Type.Object({ attempt: Type.Integer(), error: Type.Unknown() }) },
  callback: { request: Type.Object({ id: Type.Integer(), ok: Type.Boolean(), value: Type.Unknown() }) },
  /** A TaskExecutor of this job stopped answering heartbeats, or no longer knows the job. */
  taskManagerLost: { request: Type.Object({ taskExecutor: Type.String(), reason: Type.String(), forgotJob: Type.Boolean() }) },
  /** The previous attempt's slots are released and its restart delay is over. */
  restart: { request: Type.Object({ attempt: Type.Integer() }) },
  /** The checkpoint a restart starts from (null: none completed yet). */
  restoreFound: { request: Type.Object({ attempt: Type.Integer(), checkpoint: Type.Unknown() }) },
  /** From the CheckpointCoordinator: snapshot the enumerators and trigger the sources. */
  performCheckpoint: { request: Type.Object({ checkpointId: Type.Integer(), attempt: Type.Integer(), barrier: CheckpointBarrierSchema }) },
  /** From the CheckpointCoordinator: too many checkpoints failed in a row. */
  checkpointsFailing: { request: Type.Object({ message: Type.String() }) },
});
type Spec = JobMasterSpec & typeof Internal.spec;
const Protocol = defineProtocol('jobmaster', { ...JobMasterProtocol.spec, ...Internal.spec });

interface Execution {
  readonly planned: PlannedTask;
  state: ExecutionState;
  collected: unknown[] | undefined;
  readonly task: ActorRef<typeof TaskProtocol.spec>;
  startTime: number;
  endTime: number;
  /** Reached the end of its data; waits for the final checkpoint. */
  endOfData: boolean;
}

const TERMINAL: ReadonlySet<ExecutionState> = new Set(['FINISHED', 'FAILED', 'CANCELED']);
/** How long the REST API's metrics wait for each TaskExecutor. */
const METRICS_TIMEOUT_MS = 1_000;
/** Keeps the exception history of a job that fails and restarts for days bounded. */
const MAX_EXCEPTIONS = 64;

export class JobMaster extends Actor<Spec> {
  readonly protocol = Protocol;
  override readonly fenced = true;
  private status: JobStatus = 'CREATED';
  private readonly startedAt: number;
  private endedAt = -1;
  private readonly timestamps: Record<string, number> = {};
  /** The current attempt: 0 first, one more after each restart. */
  private attempt = 0;
  private executions = new Map<string, Execution>();
  private slots: AllocatedSlot[] = [];
  private readonly coordinators = new Map<string, SourceCoordinator>();
  private failure: WireError | undefined;
  private readonly exceptions: JobDetails['exceptions'] = [];
  private readonly callbacks = new Map<number, (ok: boolean, value: unknown) => void>();
  private nextCallback = 0;
  private reported = false;
  /** Every TaskExecutor of the current attempt has the job set up. */
  private prepared = false;
  /** The job's CheckpointCoordinator (STREAMING jobs). */
  private checkpoints: ActorRef<CheckpointCoordinatorSpec> | undefined;
  /** The current attempt told the coordinator that all its tasks run. */
  private attemptRunning = false;
  /** The checkpoint the current attempt restores. */
  private restoreFrom: CheckpointMetadata | undefined;
  private readonly restartStrategy: RestartStrategy;
  private readonly election: LeaderElection;
  private heartbeats: HeartbeatMonitor<{ known: boolean }> | undefined;

  constructor(
    private readonly job: JobGraph,
    private readonly artifact: JobArtifact,
    private readonly graph: StreamGraph | undefined,
    private readonly settings: JobMasterSettings,
    /** The savepoint or retained checkpoint the job starts from (`runnel run -s`). */
    private readonly initial?: CompletedCheckpoint,
  ) {
    super();
    this.restoreFrom = initial?.metadata;
    this.startedAt = Date.now();
    this.timestamps['CREATED'] = this.startedAt;
    this.restartStrategy = createRestartStrategy(job.settings.restartStrategy);
    this.election = settings.ha.leaderElection(`jobmaster-${job.jobId}`);
  }

  override async preStart(): Promise<void> {
    this.heartbeats = new HeartbeatMonitor(this.ctx.clock, this.settings.heartbeat, (taskExecutor, silentForMs) =>
      this.ctx.tellSelf({ type: 'taskManagerLost', taskExecutor, reason: `no heartbeat for ${silentForMs} ms (heartbeat.timeout)`, forgotJob: false }),
    );
    await contend(this.ctx, this.election);
  }

  override async postStop(): Promise<void> {
    this.heartbeats?.stop();
    for (const coordinator of this.coordinators.values()) void coordinator.close();
    await this.election.close();
  }

  readonly receive: Handlers<Spec> = {
    grantLeadership: ({ sessionId }) => {
      if (this.status !== 'CREATED' || !acceptLeadership(this.ctx, this.election, sessionId)) return;
      this.startCheckpointCoordinator();
      this.setStatus('RUNNING');
      this.requestSlots();
    },
    revokeLeadership: () => {
      // Another JobManager took the job over: stop acting for it; the new leader recovers it.
      this.ctx.setFencingToken(null);
      this.heartbeats?.stop();
      this.ctx.log.warn({ job: this.job.jobId }, 'JobMaster lost its leadership');
    },
    slotsAllocated: ({ attempt, slots }) => {
      if (attempt !== this.attempt || this.status !== 'RUNNING') {
        // The attempt ended while slots were being found: hand them straight back.
        this.ctx.tell(this.rm(), { type: 'releaseSlots', jobId: this.job.jobId });
        return;
      }
      this.slots = slots;
      const byExecutor = new Map<string, number[]>();
      for (const s of slots) byExecutor.set(s.taskExecutor, [...(byExecutor.get(s.taskExecutor) ?? []), s.slot]);
      const executors = [...byExecutor];
      const resourceOf = new Map(slots.map((s) => [s.taskExecutor, s.resourceId]));
      for (const [te] of executors) this.monitor(te);
      const jobMasterId = this.ctx.fencingToken ?? '';
      const prepared = executors.map(([te, teSlots]) =>
        this.ctx.ask(
          this.ctx.system.ref(TaskExecutorProtocol, te),
          { type: 'prepareJob', jobGraph: this.job, artifact: { ...this.artifact, args: [...this.artifact.args] }, slots: teSlots, jobMaster: this.ctx.self.path, jobMasterId },
          this.settings.slotRequestTimeoutMs,
        ),
      );
      this.ctx.pipeToSelf(Promise.all(prepared), (r) =>
        r.ok
          ? {
              type: 'prepared',
              attempt,
              dataEndpoints: r.value.flatMap((reply, i) => reply.dataEndpoints.map((e) => ({ taskManager: resourceOf.get(executors[i]![0])!, slot: e.slot, endpoint: e.endpoint }))),
            }
          : { type: 'schedulingFailed', attempt, error: r.error },
      );
    },
    prepared: ({ attempt, dataEndpoints }) => {
      if (attempt !== this.attempt) return;
      this.prepared = true;
      if (this.status !== 'RUNNING') {
        this.finishIfDone();
        return;
      }
      try {
        this.startCoordinators();
      } catch (err) {
        this.handleFailure(err);
        return;
      }
      for (const planned of planDeployments(this.job, this.slots, this.attempt, dataEndpoints, this.restoreFrom)) {
        const d = planned.deployment;
        this.executions.set(d.executionId, {
          planned,
          state: 'CREATED',
          collected: undefined,
          task: this.ctx.system.ref(TaskProtocol, `${planned.slot.taskExecutor}/${d.executionId}`),
          startTime: -1,
          endTime: -1,
          endOfData: false,
        });
      }
      this.deployReadyStages();
    },
    schedulingFailed: ({ attempt, error }) => {
      if (attempt === this.attempt) this.handleFailure(error);
    },
    callback: ({ id, ok, value }) => {
      const cb = this.callbacks.get(id);
      this.callbacks.delete(id);
      try {
        cb?.(ok, value);
      } catch (err) {
        this.handleFailure(err);
      }
    },
    updateTaskExecutionState: ({ executionId, state, error, collected }) => {
      const execution = this.executions.get(executionId);
      // Unknown: an execution of an earlier attempt, already given up.
      if (execution === undefined || TERMINAL.has(execution.state)) return;
      this.setExecutionState(execution, state);
      if (collected !== undefined) execution.collected = collected;
      const { vertex, deployment } = execution.planned;
      const coordinator = this.coordinators.get(vertex.id);
      try {
        if (state === 'RUNNING') coordinator?.readerRegistered(deployment.subtaskIndex);
        if (TERMINAL.has(state)) coordinator?.readerLost(deployment.subtaskIndex);
      } catch (err) {
        this.handleFailure(err);
      }
      if (state === 'FAILED') {
        this.handleFailure(error ?? { name: 'Error', message: `task ${deployment.taskName} failed` }, execution);
        return;
      }
      if (state === 'FINISHED') this.deployReadyStages();
      if (state === 'RUNNING') this.tellCoordinatorIfRunning();
      if (state === 'FINISHED' && this.attemptRunning) {
        // Checkpoints need every task running; this version stops them once one has finished.
        this.attemptRunning = false;
        this.tellCheckpoints({ type: 'attemptEnded', attempt: this.attempt });
      }
      this.finishIfDone();
    },
    taskManagerLost: ({ taskExecutor, reason, forgotJob }) => {
      const lost = this.slots.find((s) => s.taskExecutor === taskExecutor);
      if (lost === undefined) return;
      // Before its prepareJob arrived, a TaskExecutor rightly does not know the job yet.
      if (forgotJob && !this.prepared) return;
      this.heartbeats?.unmonitor(taskExecutor);
      const resourceId = lost.resourceId;
      this.ctx.log.warn({ job: this.job.jobId, resourceId }, `TaskManager ${resourceId} is lost: ${reason}`);
      // Its slots must not be offered again until it registers anew.
      this.tellRm({ type: 'disconnectTaskExecutor', resourceId, reason: `the JobMaster of job ${this.job.jobId} lost it: ${reason}` });
      const error = { name: 'TaskManagerLostError', message: `TaskManager ${resourceId} (${taskExecutor}) is lost: ${reason}` };
      // Its tasks will never report again: they are failed here.
      let first: Execution | undefined;
      for (const e of this.executions.values()) {
        if (e.planned.slot.taskExecutor !== taskExecutor || TERMINAL.has(e.state)) continue;
        this.setExecutionState(e, 'FAILED');
        first ??= e;
      }
      // Nothing to release there: the restart need not wait for it to answer.
      this.slots = this.slots.filter((s) => s.taskExecutor !== taskExecutor);
      this.handleFailure(error, first, resourceId);
    },
    restart: ({ attempt }) => {
      if (attempt !== this.attempt || this.status !== 'RESTARTING') return;
      const checkpoints = this.checkpoints;
      if (checkpoints === undefined) {
        this.ctx.tellSelf({ type: 'restoreFound', attempt, checkpoint: null });
        return;
      }
      this.ctx.pipeToSelf(this.ctx.ask(checkpoints, { type: 'latestCompleted' }, this.settings.askTimeoutMs), (r) =>
        r.ok ? { type: 'restoreFound', attempt, checkpoint: r.value } : { type: 'schedulingFailed', attempt, error: r.error },
      );
    },
    restoreFound: ({ attempt, checkpoint }) => {
      if (attempt !== this.attempt || this.status !== 'RESTARTING') return;
      const found = checkpoint as { checkpointId: number; path: string; metadata: CheckpointMetadata } | null;
      this.restoreFrom = found?.metadata;
      this.ctx.log.info(
        { job: this.job.jobId, attempt },
        `restarting job ${this.job.jobId} (attempt ${attempt}) ${found === null ? 'from the beginning: no checkpoint completed' : `from checkpoint ${found.checkpointId} at ${found.path}`}`,
      );
      this.setStatus('RUNNING');
      this.requestSlots();
    },
    performCheckpoint: ({ checkpointId, attempt, barrier }) => {
      const checkpoints = this.checkpoints;
      if (checkpoints === undefined) return;
      const running = [...this.executions.values()];
      if (attempt !== this.attempt || this.status !== 'RUNNING' || !running.every((e) => e.state === 'RUNNING')) {
        this.ctx.tell(checkpoints, { type: 'checkpointNotTriggered', checkpointId, reason: 'not every task of the job is running' });
        return;
      }
      // Once every task is at the end of its data, this is the final checkpoint, after which
      // they finish. Its barriers still flow: channels stay open until then.
      const final = running.every((e) => e.endOfData);
      const trigger = { ...barrier, ...(final ? { final } : {}) };
      // In one turn: the enumerators' state, then the sources' trigger. No split assignment can
      // fall between the two.
      const enumerators: Record<string, unknown> = {};
      try {
        for (const [vertexId, coordinator] of this.coordinators) enumerators[vertexId] = coordinator.snapshotState(checkpointId);
      } catch (err) {
        this.ctx.tell(checkpoints, { type: 'checkpointNotTriggered', checkpointId, reason: `a split enumerator could not snapshot its state: ${(err as Error).message}` });
        return;
      }
      for (const e of running) if (e.planned.vertex.isSource) this.ctx.tell(e.task, { type: 'triggerCheckpoint', barrier: trigger });
      this.ctx.tell(checkpoints, { type: 'checkpointTriggered', checkpointId, enumerators, final });
    },
    checkpointsFailing: ({ message }) => this.handleFailure({ name: 'CheckpointException', message }),
    endOfData: ({ executionId }) => {
      const execution = this.executions.get(executionId);
      if (execution === undefined || execution.state !== 'RUNNING') return;
      execution.endOfData = true;
      // The last one there: the final checkpoint need not wait for the next interval.
      if ([...this.executions.values()].every((e) => e.endOfData)) this.tellCheckpoints({ type: 'triggerNow', attempt: this.attempt });
    },
    acknowledgeCheckpoint: ({ type: _t, ...ack }) => {
      // Acks of executions of an ended attempt go too: the coordinator counts none of them, and
      // removes what they uploaded for a checkpoint that was aborted.
      this.tellCheckpoints({ type: 'acknowledge', ...ack });
    },
    declineCheckpoint: ({ type: _t, ...decline }) => {
      if (this.executions.has(decline.executionId)) this.tellCheckpoints({ type: 'decline', ...decline });
    },
    requestSplit: ({ executionId }) => {
      const execution = this.executions.get(executionId);
      if (execution === undefined) return;
      this.guard(() => this.coordinators.get(execution.planned.vertex.id)?.splitRequest(execution.planned.deployment.subtaskIndex));
    },
    sourceEvent: ({ executionId, event }) => {
      const execution = this.executions.get(executionId);
      if (execution === undefined) return;
      this.guard(() => this.coordinators.get(execution.planned.vertex.id)?.sourceEvent(execution.planned.deployment.subtaskIndex, event));
    },
    cancel: () => {
      if (this.status === 'RUNNING' || this.status === 'CREATED') {
        this.setStatus('CANCELLING');
        this.cancelExecutions();
        this.finishIfDone();
      } else if (this.status === 'RESTARTING') {
        // Nothing runs between attempts: the job is cancelled as soon as the slots are back.
        this.setStatus('CANCELLING');
        this.attempt++;
        this.finishIfDone();
      }
      return null;
    },
    requestJobDetails: () => this.details(),
    requestCheckpointStats: () => {
      if (this.checkpoints === undefined) return { counts: { restored: 0, total: 0, inProgress: 0, completed: 0, failed: 0 }, history: [], restored: null };
      return this.ctx.ask(this.checkpoints, { type: 'requestStats' }, this.settings.askTimeoutMs);
    },
    triggerSavepoint: ({ targetDir, stop, drain }) => {
      if (this.checkpoints === undefined) throw new RequestError(`Job ${this.job.jobId} runs in BATCH mode, which takes no savepoints.`);
      if (this.status !== 'RUNNING') throw new RequestError(`Job ${this.job.jobId} is ${this.status}: only a running job takes a savepoint.`);
      if (drain === true) return this.stopWithDrain(this.checkpoints, targetDir);
      const savepoint = this.ctx.ask(this.checkpoints, { type: 'triggerSavepoint', targetDir, stop }, this.job.settings.checkpointing.timeoutMs + this.settings.askTimeoutMs);
      return stop ? savepoint.then((done) => (this.ctx.tellSelf({ type: 'cancel' }), done)) : savepoint;
    },
    requestTaskMetrics: async () => {
      const byExecution = new Map([...this.executions.values()].map((e) => [e.planned.deployment.executionId, e]));
      const executors = [...new Set(this.slots.map((s) => s.taskExecutor))];
      const replies = await Promise.all(
        executors.map((te) =>
          // Metrics are best effort: a lost TaskExecutor must not hold the answer up.
          this.ctx.ask(this.ctx.system.ref(TaskExecutorProtocol, te), { type: 'requestTaskMetrics', jobId: this.job.jobId }, METRICS_TIMEOUT_MS).catch(() => []),
        ),
      );
      return replies.flat().flatMap(({ executionId, ...metrics }) => {
        const e = byExecution.get(executionId);
        if (e === undefined) return [];
        return [{ vertexId: e.planned.vertex.id, subtask: e.planned.deployment.subtaskIndex, taskManagerId: e.planned.slot.resourceId, ...metrics }];
      });
    },
  };

  private rm(): ActorRef<ResourceManagerSpec> {
    return this.settings.resourceManager.ref(ResourceManagerProtocol);
  }

  private tellRm(message: Message<ResourceManagerSpec>): void {
    try {
      this.ctx.tell(this.rm(), message);
    } catch (err) {
      this.ctx.log.warn({ job: this.job.jobId, err }, 'cannot reach the ResourceManager');
    }
  }

  private requestSlots(): void {
    const attempt = this.attempt;
    const timeoutMs = this.settings.slotRequestTimeoutMs;
    const request = { type: 'allocateSlots', jobId: this.job.jobId, count: slotsNeeded(this.job), timeoutMs } as const;
    // While no ResourceManager leads (it is being elected), the request waits for one.
    const allocated = this.settings.resourceManager.next().then(() => this.ctx.ask(this.rm(), request, timeoutMs + this.settings.askTimeoutMs));
    this.ctx.pipeToSelf(allocated, (r) =>
      r.ok ? { type: 'slotsAllocated', attempt, slots: r.value.slots } : { type: 'schedulingFailed', attempt, error: r.error },
    );
  }

  /** Heartbeats a TaskExecutor running this job's tasks (once per TaskExecutor). */
  private monitor(taskExecutor: string): void {
    if (this.heartbeats === undefined || this.heartbeats.isMonitoring(taskExecutor)) return;
    const te = this.ctx.system.ref(TaskExecutorProtocol, taskExecutor);
    const jobId = this.job.jobId;
    this.heartbeats.monitor(
      taskExecutor,
      () => this.ctx.ask(te, { type: 'heartbeatFromJobMaster', jobId }, this.settings.heartbeat.intervalMs),
      ({ known }) => {
        // A TaskExecutor that restarted answers but has forgotten the job: its tasks are gone.
        if (!known) this.ctx.tellSelf({ type: 'taskManagerLost', taskExecutor, reason: 'it no longer runs the job (restarted?)', forgotJob: true });
      },
    );
  }

  /**
   * Deploys every vertex not deployed yet whose inputs allow it. STREAMING: all of them at
   * once, exchanges are pipelined. BATCH: exchanges are blocking, so a vertex starts once every
   * vertex feeding it has finished — stages run one after another.
   */
  private deployReadyStages(): void {
    if (this.status !== 'RUNNING') return;
    const batch = this.job.settings.runtimeMode === 'BATCH';
    const finished = (vertexId: string): boolean =>
      [...this.executions.values()].every((e) => e.planned.vertex.id !== vertexId || e.state === 'FINISHED');
    for (const e of this.executions.values()) {
      if (e.state !== 'CREATED') continue;
      const upstream = this.job.edges.filter((edge) => edge.targetVertex === e.planned.vertex.id).map((edge) => edge.sourceVertex);
      if (batch && !upstream.every(finished)) continue;
      this.deploy(e);
    }
  }

  private deploy(execution: Execution): void {
    const { deployment: d, slot } = execution.planned;
    this.setExecutionState(execution, 'DEPLOYING');
    const te = this.ctx.system.ref(TaskExecutorProtocol, slot.taskExecutor);
    this.ctx.ask(te, { type: 'submitTask', slot: slot.slot, deployment: d }, this.settings.askTimeoutMs).catch((err: unknown) =>
      this.ctx.tellSelf({ type: 'updateTaskExecutionState', executionId: d.executionId, state: 'FAILED', error: toWireError(err) }),
    );
  }

  private setExecutionState(execution: Execution, state: ExecutionState): void {
    execution.state = state;
    const now = Date.now();
    if (state === 'DEPLOYING') execution.startTime = now;
    if (TERMINAL.has(state)) execution.endTime = now;
  }

  private setStatus(status: JobStatus): void {
    this.status = status;
    this.timestamps[status] = Date.now();
    // Terminal states reach the Dispatcher with the result (jobReachedTerminalState).
    if (status !== 'FINISHED' && status !== 'FAILED' && status !== 'CANCELED') {
      this.ctx.tell(this.settings.dispatcher, { type: 'jobStatusChanged', jobId: this.job.jobId, status });
    }
  }

  private details(): JobDetails {
    return {
      jobId: this.job.jobId,
      name: this.job.jobName,
      status: this.status,
      startTime: this.startedAt,
      endTime: this.endedAt,
      timestamps: { ...this.timestamps },
      restarts: this.attempt,
      restartStrategy: this.restartStrategy.describe(),
      vertices: this.job.vertices.map((v) => {
        const subtasks = Array.from({ length: v.parallelism }, (_, subtask) => ({
          subtask,
          status: 'CREATED' as ExecutionState,
          attempt: this.attempt,
          taskManagerId: '',
          taskExecutor: '',
          startTime: -1,
          endTime: -1,
        }));
        for (const e of this.executions.values()) {
          if (e.planned.vertex.id !== v.id) continue;
          const i = e.planned.deployment.subtaskIndex;
          subtasks[i] = {
            subtask: i,
            status: e.state,
            attempt: e.planned.deployment.attemptNumber,
            taskManagerId: e.planned.slot.resourceId,
            taskExecutor: e.planned.slot.taskExecutor,
            startTime: e.startTime,
            endTime: e.endTime,
          };
        }
        return { id: v.id, name: v.name, parallelism: v.parallelism, maxParallelism: v.maxParallelism, subtasks };
      }),
      exceptions: [...this.exceptions],
    };
  }

  private guard(action: () => void): void {
    try {
      action();
    } catch (err) {
      this.handleFailure(err);
    }
  }

  private startCoordinators(): void {
    for (const vertex of this.job.vertices) {
      if (!vertex.isSource) continue;
      const node = this.graph?.nodes.get(vertex.nodeIds[0]!);
      if (node === undefined || node.transformation.kind !== 'source') {
        throw new Error(`no source for vertex '${vertex.name}': the JobMaster has no graph for job ${this.job.jobId}`);
      }
      const attempt = this.attempt;
      const restored = this.restoreFrom === undefined || !(vertex.id in this.restoreFrom.enumerators) ? undefined : { state: this.restoreFrom.enumerators[vertex.id] };
      const coordinator = new SourceCoordinator(node.transformation.source as Source<unknown, SourceSplit, unknown>, vertex.parallelism, {
        assignSplits: (subtask, splits) => this.toReader(vertex, subtask, (task) => this.ctx.tell(task, { type: 'addSplits', splits })),
        noMoreSplits: (subtask) => this.toReader(vertex, subtask, (task) => this.ctx.tell(task, { type: 'noMoreSplits' })),
        sendEvent: (subtask, event) => this.toReader(vertex, subtask, (task) => this.ctx.tell(task, { type: 'sourceEvent', event })),
        callAsync: (work, then) => {
          const id = ++this.nextCallback;
          // A callback of an earlier attempt's enumerator is dropped with that enumerator.
          this.callbacks.set(id, (ok, value) => {
            if (attempt === this.attempt) (ok ? then(value as never, undefined) : then(undefined, value));
          });
          this.ctx.pipeToSelf(work(), (r) => ({ type: 'callback', id, ok: r.ok, value: r.ok ? r.value : r.error }));
        },
      }, restored);
      this.coordinators.set(vertex.id, coordinator);
      coordinator.start();
    }
  }

  private toReader(vertex: JobVertex, subtask: number, send: (task: ActorRef<typeof TaskProtocol.spec>) => void): void {
    for (const e of this.executions.values()) {
      if (e.planned.vertex.id === vertex.id && e.planned.deployment.subtaskIndex === subtask && !TERMINAL.has(e.state)) send(e.task);
    }
  }

  /**
   * A task, a TaskManager or the scheduling failed: record it, then restart the job if the
   * restart strategy allows, or fail it.
   */
  private handleFailure(error: unknown, execution?: Execution, taskManagerId?: string): void {
    if (this.status !== 'RUNNING' && this.status !== 'CREATED') return;
    const wire = isWire(error) ? error : toWireError(error);
    this.recordException(wire, execution, taskManagerId);
    const decision = this.restartStrategy.onFailure(Date.now());
    if (!decision.restart) {
      this.ctx.log.warn({ job: this.job.jobId, error: wire.message }, `job ${this.job.jobId} fails: ${decision.reason}`);
      this.failJob(wire, execution?.planned.deployment.taskName);
      return;
    }
    this.ctx.log.warn(
      { job: this.job.jobId, task: execution?.planned.deployment.taskName, error: wire.message },
      `job ${this.job.jobId} restarts in ${decision.delayMs} ms after a failure: ${wire.name}: ${wire.message}`,
    );
    this.setStatus('RESTARTING');
    this.endAttemptForCheckpoints();
    const attempt = ++this.attempt;
    this.prepared = false;
    for (const e of this.executions.values()) if (!TERMINAL.has(e.state)) this.setExecutionState(e, 'CANCELED');
    this.executions = new Map();
    const released = this.releaseResources();
    const delay = new Promise<void>((resolve) => this.ctx.clock.schedule(decision.delayMs, resolve));
    this.ctx.pipeToSelf(Promise.all([released, delay]), () => ({ type: 'restart', attempt }));
  }

  private recordException(error: WireError, execution: Execution | undefined, taskManagerId: string | undefined): void {
    const location = taskManagerId ?? execution?.planned.slot.resourceId;
    this.exceptions.push({
      exceptionName: error.name,
      message: error.message,
      stacktrace: error.stack ?? `${error.name}: ${error.message}`,
      timestamp: Date.now(),
      ...(execution !== undefined ? { taskName: `${execution.planned.deployment.taskName} (${execution.planned.deployment.subtaskIndex + 1}/${execution.planned.deployment.parallelism})` } : {}),
      ...(location !== undefined ? { taskManagerId: location } : {}),
    });
    if (this.exceptions.length > MAX_EXCEPTIONS) this.exceptions.shift();
  }

  /**
   * Lets go of what the current attempt holds: its coordinators, its tasks (by ending the job
   * on every TaskExecutor, which stops their workers) and its slots. Resolves when the
   * TaskExecutors have let go, so the next attempt can take the slots again.
   */
  private releaseResources(): Promise<unknown> {
    for (const coordinator of this.coordinators.values()) void coordinator.close();
    this.coordinators.clear();
    const executors = new Set(this.slots.map((s) => s.taskExecutor));
    this.slots = [];
    const released = [...executors].map((te) => {
      this.heartbeats?.unmonitor(te);
      // A lost TaskExecutor will not answer; its slots are gone anyway.
      return this.ctx.ask(this.ctx.system.ref(TaskExecutorProtocol, te), { type: 'releaseJob', jobId: this.job.jobId }, this.settings.askTimeoutMs).catch(() => null);
    });
    this.tellRm({ type: 'releaseSlots', jobId: this.job.jobId });
    return Promise.all(released);
  }

  private failJob(error: unknown, taskName?: string): void {
    if (this.status !== 'RUNNING' && this.status !== 'CANCELLING' && this.status !== 'CREATED') return;
    this.endAttemptForCheckpoints();
    this.failure ??= isWire(error) ? error : toWireError(error);
    this.ctx.log.warn({ job: this.job.jobId, task: taskName, error: this.failure.message }, 'job failing');
    this.setStatus('FAILING');
    this.cancelExecutions();
    this.finishIfDone();
  }

  private endAttemptForCheckpoints(): void {
    if (!this.attemptRunning) return;
    this.attemptRunning = false;
    this.tellCheckpoints({ type: 'attemptEnded', attempt: this.attempt });
  }

  private tellCheckpoints(message: Message<CheckpointCoordinatorSpec>): void {
    if (this.checkpoints !== undefined) this.ctx.tell(this.checkpoints, message);
  }

  /** Once every task of the attempt runs, the coordinator may checkpoint them. */
  private tellCoordinatorIfRunning(): void {
    if (this.attemptRunning || this.checkpoints === undefined || this.status !== 'RUNNING') return;
    const all = [...this.executions.values()];
    if (all.length === 0 || !all.every((e) => e.state === 'RUNNING')) return;
    this.attemptRunning = true;
    this.tellCheckpoints({
      type: 'attemptRunning',
      attempt: this.attempt,
      tasks: all.map((e) => ({
        executionId: e.planned.deployment.executionId,
        vertexId: e.planned.vertex.id,
        subtask: e.planned.deployment.subtaskIndex,
        isSource: e.planned.vertex.isSource,
        task: e.task.path,
      })),
    });
  }

  /**
   * Stop with --drain: the coordinator holds the savepoint back while the sources end their
   * data; event time advances to the end downstream, every window and timer fires, and once
   * every task reached the end of its data the savepoint is taken as the final checkpoint,
   * after which the job finishes. If it fails, the job fails over (restarting from its latest
   * checkpoint, as nothing was committed after it).
   */
  private stopWithDrain(checkpoints: ActorRef<CheckpointCoordinatorSpec>, targetDir: string | null): Promise<{ checkpointId: number; path: string }> {
    const running = [...this.executions.values()];
    if (!running.every((e) => e.state === 'RUNNING')) throw new RequestError(`Not every task of job ${this.job.jobId} is running yet: stop it with --drain once they are.`);
    const attempt = this.attempt;
    const savepoint = this.ctx.ask(checkpoints, { type: 'triggerSavepoint', targetDir, stop: true, drain: true }, 2 ** 31 - 1);
    for (const e of running) if (e.planned.vertex.isSource) this.ctx.tell(e.task, { type: 'drain' });
    return savepoint.catch((err: unknown) => {
      if (attempt === this.attempt && this.status === 'RUNNING') this.ctx.tellSelf({ type: 'checkpointsFailing', message: `stop --drain failed: ${(err as Error).message}` });
      throw err;
    });
  }

  private startCheckpointCoordinator(): void {
    if (this.job.settings.runtimeMode === 'BATCH') return;
    const self = this.ctx.self.withFencingToken(this.ctx.fencingToken);
    this.checkpoints = this.ctx.spawn('checkpointcoordinator', () =>
      new CheckpointCoordinator({
        jobId: this.job.jobId,
        checkpointing: this.job.settings.checkpointing,
        counter: this.settings.ha.checkpointIdCounter(this.job.jobId),
        vertices: Object.fromEntries(this.job.vertices.map((v) => [v.id, { parallelism: v.parallelism, maxParallelism: v.maxParallelism }])),
        trigger: (checkpointId, attempt, barrier) => this.ctx.tell(self, { type: 'performCheckpoint', checkpointId, attempt, barrier }),
        failJob: (error) => this.ctx.tell(self, { type: 'checkpointsFailing', message: error.message }),
        ...(this.initial === undefined ? {} : { initial: this.initial }),
      }),
    );
  }

  private cancelExecutions(): void {
    for (const e of this.executions.values()) {
      if (e.state === 'CREATED') this.setExecutionState(e, 'CANCELED');
      else if (!TERMINAL.has(e.state)) this.ctx.tell(e.task, { type: 'cancel' });
    }
  }

  private finishIfDone(): void {
    if (this.reported) return;
    const all = [...this.executions.values()];
    const allTerminal = all.every((e) => TERMINAL.has(e.state));
    let status: JobStatus | undefined;
    if (this.status === 'RUNNING' && all.length > 0 && all.every((e) => e.state === 'FINISHED')) status = 'FINISHED';
    else if (this.status === 'FAILING' && allTerminal) status = 'FAILED';
    else if (this.status === 'CANCELLING' && allTerminal) status = 'CANCELED';
    if (status === undefined) return;
    this.endAttemptForCheckpoints();
    this.setStatus(status);
    this.endedAt = Date.now();
    this.reported = true;
    const collected = [...all].sort(byVertexThenSubtask(this.job)).flatMap((e) => e.collected ?? []);
    this.heartbeats?.stop();
    void this.releaseResources();
    this.ctx.tell(this.settings.dispatcher, {
      type: 'jobReachedTerminalState',
      result: {
        jobId: this.job.jobId,
        status,
        netRuntimeMs: this.endedAt - this.startedAt,
        ...(this.failure ? { error: this.failure } : {}),
        ...(collected.length > 0 ? { collected } : {}),
      },
      details: this.details(),
    });
  }
}

function isWire(value: unknown): value is WireError {
  return typeof value === 'object' && value !== null && !(value instanceof Error) && typeof (value as WireError).message === 'string' && typeof (value as WireError).name === 'string';
}

function byVertexThenSubtask(job: JobGraph): (a: Execution, b: Execution) => number {
  const order = new Map(job.vertices.map((v, i) => [v.id, i]));
  return (a, b) =>
    order.get(a.planned.vertex.id)! - order.get(b.planned.vertex.id)! || a.planned.deployment.subtaskIndex - b.planned.deployment.subtaskIndex;
}
