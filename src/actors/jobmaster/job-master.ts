/**
 * The JobMaster of one job: asks the ResourceManager for slots, readies the TaskExecutors,
 * deploys every subtask, runs the source coordinators, and follows each task's state to the
 * job's end — FINISHED when every task finished, FAILED (after cancelling the rest) when one
 * failed, CANCELED when cancelled. The result goes to the Dispatcher.
 *
 * Scheduling is a sequence of asks whose replies come back as messages, so the JobMaster
 * keeps answering (status, cancel) while slots are being found.
 */
import { Type } from '@sinclair/typebox';
import type { JobGraph, JobVertex } from '../../api/job-graph.js';
import type { StreamGraph } from '../../api/stream-graph.js';
import type { Source, SourceSplit } from '../../connectors/index.js';
import { DispatcherProtocol } from '../dispatcher/protocol.js';
import { ResourceManagerProtocol } from '../resourcemanager/protocol.js';
import { Actor } from '../system/actor.js';
import { toWireError, type WireError } from '../system/errors.js';
import { defineProtocol, type Handlers } from '../system/protocol.js';
import type { ActorRef } from '../system/ref.js';
import { TaskExecutorProtocol, TaskProtocol } from '../taskexecutor/protocol.js';
import type { ExecutionState, JobArtifact } from '../task/deployment.js';
import type { JobStatus } from '../task/schemas.js';
import { planDeployments, slotsNeeded, type AllocatedSlot, type PlannedTask } from './execution-plan.js';
import { JobMasterProtocol, type JobMasterSpec } from './protocol.js';
import { SourceCoordinator } from './source-coordinator.js';

export interface JobMasterSettings {
  readonly resourceManager: string;
  readonly dispatcher: string;
  readonly askTimeoutMs: number;
  readonly slotRequestTimeoutMs: number;
}

const Internal = defineProtocol('jobmaster-internal', {
  slotsAllocated: { request: Type.Object({ slots: Type.Array(Type.Object({ resourceId: Type.String(), taskExecutor: Type.String(), slot: Type.Integer() })) }) },
  prepared: { request: Type.Object({}) },
  schedulingFailed: { request: Type.Object({ error: Type.Unknown() }) },
  callback: { request: Type.Object({ id: Type.Integer(), ok: Type.Boolean(), value: Type.Unknown() }) },
});
type Spec = JobMasterSpec & typeof Internal.spec;
const Protocol = defineProtocol('jobmaster', { ...JobMasterProtocol.spec, ...Internal.spec });

interface Execution {
  readonly planned: PlannedTask;
  state: ExecutionState;
  collected: unknown[] | undefined;
  readonly task: ActorRef<typeof TaskProtocol.spec>;
}

const TERMINAL: ReadonlySet<ExecutionState> = new Set(['FINISHED', 'FAILED', 'CANCELED']);

export class JobMaster extends Actor<Spec> {
  readonly protocol = Protocol;
  private status: JobStatus = 'CREATED';
  private readonly startedAt: number;
  private executions = new Map<string, Execution>();
  private slots: AllocatedSlot[] = [];
  private readonly coordinators = new Map<string, SourceCoordinator>();
  private failure: WireError | undefined;
  private readonly callbacks = new Map<number, (ok: boolean, value: unknown) => void>();
  private nextCallback = 0;
  private reported = false;

  constructor(
    private readonly job: JobGraph,
    private readonly artifact: JobArtifact,
    private readonly graph: StreamGraph | undefined,
    private readonly settings: JobMasterSettings,
  ) {
    super();
    this.startedAt = Date.now();
  }

  override preStart(): void {
    this.status = 'RUNNING';
    const rm = this.ctx.system.ref(ResourceManagerProtocol, this.settings.resourceManager);
    this.ctx.pipeToSelf(
      this.ctx.ask(rm, { type: 'allocateSlots', jobId: this.job.jobId, count: slotsNeeded(this.job), timeoutMs: this.settings.slotRequestTimeoutMs }, this.settings.slotRequestTimeoutMs + this.settings.askTimeoutMs),
      (r) => (r.ok ? { type: 'slotsAllocated', slots: r.value.slots } : { type: 'schedulingFailed', error: r.error }),
    );
  }

  readonly receive: Handlers<Spec> = {
    slotsAllocated: ({ slots }) => {
      this.slots = slots;
      if (this.status !== 'RUNNING') {
        // The job ended while slots were being found: hand them straight back.
        this.release();
        return;
      }
      const byExecutor = new Map<string, number[]>();
      for (const s of slots) byExecutor.set(s.taskExecutor, [...(byExecutor.get(s.taskExecutor) ?? []), s.slot]);
      const prepared = [...byExecutor].map(([te, teSlots]) =>
        this.ctx.ask(
          this.ctx.system.ref(TaskExecutorProtocol, te),
          { type: 'prepareJob', jobGraph: this.job, artifact: { ...this.artifact, args: [...this.artifact.args] }, slots: teSlots, jobMaster: this.ctx.self.path },
          this.settings.slotRequestTimeoutMs,
        ),
      );
      this.ctx.pipeToSelf(Promise.all(prepared), (r) => (r.ok ? { type: 'prepared' } : { type: 'schedulingFailed', error: r.error }));
    },
    prepared: () => {
      if (this.status !== 'RUNNING') {
        this.finishIfDone();
        return;
      }
      try {
        this.startCoordinators();
      } catch (err) {
        this.failJob(err);
        return;
      }
      for (const planned of planDeployments(this.job, this.slots, 0)) {
        const d = planned.deployment;
        this.executions.set(d.executionId, {
          planned,
          state: 'CREATED',
          collected: undefined,
          task: this.ctx.system.ref(TaskProtocol, `${planned.slot.taskExecutor}/${d.executionId}`),
        });
      }
      this.deployReadyStages();
    },
    schedulingFailed: ({ error }) => this.failJob(error),
    callback: ({ id, ok, value }) => {
      const cb = this.callbacks.get(id);
      this.callbacks.delete(id);
      try {
        cb?.(ok, value);
      } catch (err) {
        this.failJob(err);
      }
    },
    updateTaskExecutionState: ({ executionId, state, error, collected }) => {
      const execution = this.executions.get(executionId);
      if (execution === undefined || TERMINAL.has(execution.state)) return;
      execution.state = state;
      if (collected !== undefined) execution.collected = collected;
      const { vertex, deployment } = execution.planned;
      const coordinator = this.coordinators.get(vertex.id);
      try {
        if (state === 'RUNNING') coordinator?.readerRegistered(deployment.subtaskIndex);
        if (TERMINAL.has(state)) coordinator?.readerLost(deployment.subtaskIndex);
      } catch (err) {
        this.failJob(err);
      }
      if (state === 'FAILED') {
        this.failJob(error ?? { name: 'Error', message: `task ${deployment.taskName} failed` }, deployment.taskName);
        return;
      }
      if (state === 'FINISHED') this.deployReadyStages();
      this.finishIfDone();
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
      if (this.status === 'RUNNING') {
        this.status = 'CANCELLING';
        this.cancelExecutions();
        this.finishIfDone();
      }
      return null;
    },
    requestJobStatus: () => ({
      status: this.status,
      vertices: this.job.vertices.map((v) => ({ id: v.id, name: v.name, parallelism: v.parallelism, states: this.statesOf(v) })),
    }),
  };

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
    execution.state = 'DEPLOYING';
    const te = this.ctx.system.ref(TaskExecutorProtocol, slot.taskExecutor);
    this.ctx.ask(te, { type: 'submitTask', slot: slot.slot, deployment: d }, this.settings.askTimeoutMs).catch((err: unknown) =>
      this.ctx.tell(this.ctx.self, { type: 'updateTaskExecutionState', executionId: d.executionId, state: 'FAILED', error: toWireError(err) }),
    );
  }

  private statesOf(vertex: JobVertex): ExecutionState[] {
    const states: ExecutionState[] = Array.from({ length: vertex.parallelism }, () => 'CREATED');
    for (const e of this.executions.values()) if (e.planned.vertex.id === vertex.id) states[e.planned.deployment.subtaskIndex] = e.state;
    return states;
  }

  private guard(action: () => void): void {
    try {
      action();
    } catch (err) {
      this.failJob(err);
    }
  }

  private startCoordinators(): void {
    for (const vertex of this.job.vertices) {
      if (!vertex.isSource) continue;
      const node = this.graph?.nodes.get(vertex.nodeIds[0]!);
      if (node === undefined || node.transformation.kind !== 'source') {
        throw new Error(`no source for vertex '${vertex.name}': the JobMaster has no graph for job ${this.job.jobId}`);
      }
      const coordinator = new SourceCoordinator(node.transformation.source as Source<unknown, SourceSplit, unknown>, vertex.parallelism, {
        assignSplits: (subtask, splits) => this.toReader(vertex, subtask, (task) => this.ctx.tell(task, { type: 'addSplits', splits })),
        noMoreSplits: (subtask) => this.toReader(vertex, subtask, (task) => this.ctx.tell(task, { type: 'noMoreSplits' })),
        sendEvent: (subtask, event) => this.toReader(vertex, subtask, (task) => this.ctx.tell(task, { type: 'sourceEvent', event })),
        callAsync: (work, then) => {
          const id = ++this.nextCallback;
          this.callbacks.set(id, (ok, value) => (ok ? then(value as never, undefined) : then(undefined, value)));
          this.ctx.pipeToSelf(work(), (r) => ({ type: 'callback', id, ok: r.ok, value: r.ok ? r.value : r.error }));
        },
      });
      this.coordinators.set(vertex.id, coordinator);
      coordinator.start();
    }
  }

  private toReader(vertex: JobVertex, subtask: number, send: (task: ActorRef<typeof TaskProtocol.spec>) => void): void {
    for (const e of this.executions.values()) {
      if (e.planned.vertex.id === vertex.id && e.planned.deployment.subtaskIndex === subtask && !TERMINAL.has(e.state)) send(e.task);
    }
  }

  private failJob(error: unknown, taskName?: string): void {
    if (this.status !== 'RUNNING' && this.status !== 'CANCELLING') return;
    this.failure ??= isWire(error) ? error : toWireError(error);
    this.ctx.log.warn({ job: this.job.jobId, task: taskName, error: this.failure.message }, 'job failing');
    this.status = 'FAILING';
    this.cancelExecutions();
    this.finishIfDone();
  }

  private cancelExecutions(): void {
    for (const e of this.executions.values()) {
      if (e.state === 'CREATED') e.state = 'CANCELED';
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
    this.status = status;
    this.reported = true;
    const collected = [...all].sort(byVertexThenSubtask(this.job)).flatMap((e) => e.collected ?? []);
    this.release();
    const dispatcher = this.ctx.system.ref(DispatcherProtocol, this.settings.dispatcher);
    this.ctx.tell(dispatcher, {
      type: 'jobReachedTerminalState',
      result: {
        jobId: this.job.jobId,
        status,
        netRuntimeMs: Date.now() - this.startedAt,
        ...(this.failure ? { error: this.failure } : {}),
        ...(collected.length > 0 ? { collected } : {}),
      },
    });
  }

  private release(): void {
    for (const coordinator of this.coordinators.values()) void coordinator.close();
    this.coordinators.clear();
    const executors = new Set(this.slots.map((s) => s.taskExecutor));
    for (const te of executors) this.ctx.tell(this.ctx.system.ref(TaskExecutorProtocol, te), { type: 'releaseJob', jobId: this.job.jobId });
    this.ctx.tell(this.ctx.system.ref(ResourceManagerProtocol, this.settings.resourceManager), { type: 'releaseSlots', jobId: this.job.jobId });
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
