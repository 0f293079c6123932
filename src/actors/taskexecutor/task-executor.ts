/**
 * The TaskExecutor: registers its slots with the ResourceManager, starts a worker per slot for
 * each job, links the workers of a job pairwise for their data channels, deploys tasks (each a
 * child actor) and relays task state, split requests and source events to the JobMaster.
 */
import { rm } from 'node:fs/promises';
import { MessageChannel } from 'node:worker_threads';
import { exchangeDir } from '../task/worker-runtime.js';
import type { JobGraph } from '../../api/job-graph.js';
import { Actor } from '../system/actor.js';
import { fromWireError, toWireError } from '../system/errors.js';
import type { Handlers } from '../system/protocol.js';
import type { ActorRef, FencingToken } from '../system/ref.js';
import { HeartbeatMonitor, type HeartbeatSettings } from '../system/heartbeat.js';
import { JobMasterProtocol, type JobMasterSpec } from '../jobmaster/protocol.js';
import { ResourceManagerProtocol } from '../resourcemanager/protocol.js';
import type { FromWorker, TaskMetrics } from '../task/deployment.js';
import type { DataPlaneSettings } from '../task/worker-runtime.js';
import { TaskExecutorProtocol, type TaskExecutorSpec } from './protocol.js';
import { startSlotWorker, type SlotMode, type SlotWorker } from './slots.js';
import { TaskActor } from './task-actor.js';
import { localArtifact } from './artifacts.js';
import { ArtifactSchema, WireErrorSchema } from '../task/schemas.js';
import { Type } from '@sinclair/typebox';
import { defineProtocol } from '../system/protocol.js';

export interface TaskExecutorSettings {
  readonly resourceId: string;
  readonly slots: number;
  readonly slotMode: SlotMode;
  /** Path of the ResourceManager to register with. */
  readonly resourceManager: string;
  readonly askTimeoutMs: number;
  /** Silence from the ResourceManager or a job's JobMaster after which it is considered lost. */
  readonly heartbeat: HeartbeatSettings;
  /** The slots' data sockets for channels with other TaskManagers; none in a mini-cluster. */
  readonly dataPlane?: DataPlaneSettings;
}

interface PreparedJob {
  readonly dataEndpoints: Array<{ slot: number; endpoint: string }>;
}

interface SlotState {
  jobId: string | undefined;
  /** The job's worker while the slot has a job; else its warm worker, if it has one yet. */
  worker: SlotWorker | undefined;
  /** Wait before replacing the next warm worker that dies while idle. */
  restartDelayMs: number;
}

interface JobState {
  readonly jobGraph: JobGraph;
  readonly jobMaster: ActorRef<JobMasterSpec>;
  readonly slots: number[];
  readonly pending: Set<number>;
  readonly ready: { resolve: (v: PreparedJob) => void; reject: (e: Error) => void };
  /** The data endpoints the slots reported while getting ready. */
  readonly dataEndpoints: Array<{ slot: number; endpoint: string }>;
  /** The latest metrics of each task, by execution id. */
  readonly metrics: Map<string, TaskMetrics>;
  /** executionId -> slot */
  readonly tasks: Map<string, number>;
}

/** Reports from slot workers, delivered to the TaskExecutor as messages of its own. */
const SlotReports = defineProtocol('taskexecutor-internal', {
  /** `worker` is the reporting worker's id: reports of a worker the slot replaced are dropped. */
  slotReport: { request: Type.Object({ slot: Type.Integer(), worker: Type.Integer(), report: Type.Unknown() }) },
  slotLost: { request: Type.Object({ slot: Type.Integer(), worker: Type.Integer(), message: Type.String() }) },
  /** Start a warm worker for the slot, if it is free and has none. */
  warmSlot: { request: Type.Object({ slot: Type.Integer() }) },
  /** The outcome of a registration attempt with the ResourceManager. */
  registration: { request: Type.Object({ ok: Type.Boolean(), error: Type.String(), resourceManagerId: Type.String() }) },
  /** The ResourceManager (`resourcemanager`) or a job's JobMaster (`job:<id>`) went silent. */
  heartbeatTimedOut: { request: Type.Object({ target: Type.String(), silentForMs: Type.Number() }) },
  register: { request: Type.Object({}) },
  /** The job's code is local now (fetched from the blob server if it names a bundle there). */
  artifactReady: { request: Type.Object({ jobId: Type.String(), artifact: ArtifactSchema }) },
  /** The job's code could not be fetched: the job's preparation fails with `error`. */
  artifactFailed: { request: Type.Object({ jobId: Type.String(), error: WireErrorSchema }) },
});

/** Waits between registration attempts: doubling from the first, up to the last. */
const REGISTRATION_BACKOFF_MS = [100, 30_000] as const;
/** Waits before replacing a warm worker that died while idle: doubling from the first, up to the last. */
const WARM_RESTART_BACKOFF_MS = [200, 30_000] as const;

type Spec = TaskExecutorSpec & typeof SlotReports.spec;
const Protocol = defineProtocol('taskexecutor', { ...TaskExecutorProtocol.spec, ...SlotReports.spec });

export class TaskExecutor extends Actor<Spec> {
  readonly protocol = Protocol;
  private readonly slots: SlotState[];
  private readonly jobs = new Map<string, JobState>();

  constructor(private readonly settings: TaskExecutorSettings) {
    super();
    this.slots = Array.from({ length: settings.slots }, () => ({ jobId: undefined, worker: undefined, restartDelayMs: WARM_RESTART_BACKOFF_MS[0] }));
  }

  private registrationDelay: number = REGISTRATION_BACKOFF_MS[0];
  private registered = false;
  /** The leader session of the ResourceManager this TaskExecutor is registered with. */
  private resourceManagerId: string | undefined;
  private heartbeats: HeartbeatMonitor | undefined;

  /**
   * Registers with the ResourceManager, and keeps trying while it cannot be reached (it may
   * start later, or be restarting), as a TaskManager of Flink does.
   */
  override preStart(): void {
    this.heartbeats = new HeartbeatMonitor(this.ctx.clock, this.settings.heartbeat, (target, silentForMs) =>
      this.ctx.tellSelf({ type: 'heartbeatTimedOut', target, silentForMs }),
    );
    this.register();
    for (let slot = 0; slot < this.slots.length; slot++) this.warm(slot);
  }

  private register(): void {
    const rm = this.ctx.system.ref(ResourceManagerProtocol, this.settings.resourceManager);
    this.ctx.pipeToSelf(
      this.ctx.ask(rm, { type: 'registerTaskExecutor', resourceId: this.settings.resourceId, taskExecutor: this.ctx.self.path, slots: this.settings.slots }, this.settings.askTimeoutMs),
      (r) => ({ type: 'registration', ok: r.ok, error: r.ok ? '' : r.error.message, resourceManagerId: r.ok ? r.value.resourceManagerId : '' }),
    );
  }

  override async postStop(): Promise<void> {
    this.heartbeats?.stop();
    this.stopped = true;
    for (const state of this.slots) if (state.worker !== undefined) this.retire(state.worker);
    await Promise.allSettled([...this.retiring]);
  }

  /** Set in postStop: from then on, no slot gets a new worker. */
  private stopped = false;
  /** Workers being shut down (a released job's, or all at postStop). */
  private readonly retiring = new Set<Promise<void>>();

  /**
   * Starts the slot's worker now, so that a job assigned to the slot later does not wait for
   * the thread to start and load the runtime (about a second). Inline slots have no thread to
   * warm: theirs is created with the job.
   */
  private warm(slot: number): void {
    const state = this.slots[slot];
    if (this.settings.slotMode !== 'thread' || this.stopped || state === undefined || state.jobId !== undefined || state.worker !== undefined) return;
    state.worker = this.startWorker(slot);
  }

  private startWorker(slot: number): SlotWorker {
    const worker: SlotWorker = startSlotWorker(
      this.settings.slotMode,
      { taskManager: this.settings.resourceId, slot },
      (report) => this.ctx.tell(this.ctx.self, { type: 'slotReport', slot, worker: worker.id, report }),
      (error) => this.ctx.tell(this.ctx.self, { type: 'slotLost', slot, worker: worker.id, message: error.message }),
      this.settings.dataPlane === undefined ? {} : { dataPlane: this.settings.dataPlane },
    );
    return worker;
  }

  /** Shuts the worker down; postStop waits for every worker still shutting down. */
  private retire(worker: SlotWorker): Promise<void> {
    const done = worker.terminate();
    this.retiring.add(done);
    const forget = (): void => void this.retiring.delete(done);
    done.then(forget, forget);
    return done;
  }

  readonly receive: Handlers<Spec> = {
    registration: ({ ok, error, resourceManagerId }) => {
      if (ok) {
        if (!this.registered) this.ctx.log.info(`registered with the ResourceManager at ${this.settings.resourceManager}`);
        this.registered = true;
        this.resourceManagerId = resourceManagerId;
        this.registrationDelay = REGISTRATION_BACKOFF_MS[0];
        this.heartbeats?.expect('resourcemanager');
        return;
      }
      this.ctx.log.warn(
        `Could not register with the ResourceManager at ${this.settings.resourceManager}: ${error} ` +
          `Retrying in ${this.registrationDelay} ms; check jobmanager.rpc.address and jobmanager.rpc.port if this goes on.`,
      );
      this.ctx.schedule('register', this.registrationDelay, { type: 'register' });
      this.registrationDelay = Math.min(this.registrationDelay * 2, REGISTRATION_BACKOFF_MS[1]);
    },
    register: () => this.register(),
    heartbeatFromResourceManager: ({ resourceManagerId }) => {
      if (this.registered && resourceManagerId === this.resourceManagerId) this.heartbeats?.heard('resourcemanager');
      return { resourceId: this.settings.resourceId, slots: this.slots.map((s) => s.jobId ?? null) };
    },
    heartbeatFromJobMaster: ({ jobId }) => {
      const known = this.jobs.has(jobId);
      if (known) this.heartbeats?.heard(`job:${jobId}`);
      return { known };
    },
    heartbeatTimedOut: ({ target, silentForMs }) => {
      if (target === 'resourcemanager') {
        if (!this.registered) return;
        this.registered = false;
        this.resourceManagerId = undefined;
        this.ctx.log.warn(
          `Lost the ResourceManager at ${this.settings.resourceManager}: no heartbeat for ${silentForMs} ms (heartbeat.timeout). Registering again.`,
        );
        this.register();
        return;
      }
      const jobId = target.slice('job:'.length);
      if (!this.jobs.has(jobId)) return;
      this.ctx.log.warn(`Lost the JobMaster of job ${jobId}: no heartbeat for ${silentForMs} ms (heartbeat.timeout). Cancelling its tasks and freeing its slots.`);
      void this.release(jobId);
    },
    prepareJob: ({ jobGraph, artifact, slots, jobMaster, jobMasterId }) =>
      new Promise<PreparedJob>((resolve, reject) => {
        const jm = this.ctx.system.ref(JobMasterProtocol, jobMaster).withFencingToken(jobMasterId as FencingToken);
        this.heartbeats?.expect(`job:${jobGraph.jobId}`);
        const job: JobState = { jobGraph: jobGraph as JobGraph, jobMaster: jm, slots, pending: new Set(slots), ready: { resolve, reject }, tasks: new Map(), dataEndpoints: [], metrics: new Map() };
        this.jobs.set(jobGraph.jobId, job);
        for (const slot of slots) {
          const state = this.slots[slot];
          if (state === undefined) {
            reject(new Error(`slot ${slot} does not exist on ${this.settings.resourceId}`));
            return;
          }
          state.jobId = jobGraph.jobId;
          // The slot's warm worker takes the job; without one (inline slots, or a replacement
          // not started yet) the job waits for a worker to start.
          this.ctx.cancelSchedule(`warm-${slot}`);
          state.worker ??= this.startWorker(slot);
        }
        // One port pair per two slots of the job: their tasks' data channels share it.
        for (let i = 0; i < slots.length; i++) {
          for (let j = i + 1; j < slots.length; j++) {
            const { port1, port2 } = new MessageChannel();
            const a = slots[i]!;
            const b = slots[j]!;
            this.slots[a]!.worker!.post({ type: 'link', peer: { taskManager: this.settings.resourceId, slot: b }, port: port1 });
            this.slots[b]!.worker!.post({ type: 'link', peer: { taskManager: this.settings.resourceId, slot: a }, port: port2 });
          }
        }
        // A bundle on the blob server is fetched while the workers start; see artifactReady.
        this.ctx.pipeToSelf(localArtifact(this.ctx.system, artifact, this.settings.askTimeoutMs), (r) =>
          r.ok
            ? { type: 'artifactReady', jobId: jobGraph.jobId, artifact: r.value }
            : { type: 'artifactFailed', jobId: jobGraph.jobId, error: toWireError(r.error) },
        );
      }),
    submitTask: ({ slot, deployment }) => {
      const state = this.slots[slot];
      const job = this.jobs.get(deployment.jobId);
      if (state?.worker === undefined || job === undefined || state.jobId !== deployment.jobId) {
        throw new Error(`slot ${slot} of ${this.settings.resourceId} is not prepared for job ${deployment.jobId}`);
      }
      job.tasks.set(deployment.executionId, slot);
      this.ctx.spawn(deployment.executionId, () => new TaskActor(deployment.executionId, state.worker!));
      state.worker.post({ type: 'deploy', deployment });
      return null;
    },
    releaseJob: ({ jobId }) => this.release(jobId).then(() => null),
    requestTaskMetrics: ({ jobId }) => [...(this.jobs.get(jobId)?.metrics.values() ?? [])],
    artifactReady: ({ jobId, artifact }) => {
      const job = this.jobs.get(jobId);
      if (job === undefined) return;
      for (const slot of job.slots) this.slots[slot]?.worker?.post({ type: 'job', jobGraph: job.jobGraph, artifact });
    },
    artifactFailed: ({ jobId, error }) => this.jobs.get(jobId)?.ready.reject(fromWireError(error)),
    slotReport: ({ slot, worker, report }) => {
      if (this.slots[slot]?.worker?.id === worker) this.onReport(slot, report as FromWorker);
    },
    warmSlot: ({ slot }) => this.warm(slot),
    slotLost: ({ slot, worker, message }) => {
      const state = this.slots[slot];
      if (state === undefined || state.worker?.id !== worker) return;
      if (state.jobId === undefined) {
        // An idle warm worker died: replace it, backing off should the replacement die too.
        state.worker = undefined;
        this.ctx.log.warn(`The warm worker of slot ${slot} died while idle (${message}); starting another in ${state.restartDelayMs} ms.`);
        this.ctx.schedule(`warm-${slot}`, state.restartDelayMs, { type: 'warmSlot', slot });
        state.restartDelayMs = Math.min(state.restartDelayMs * 2, WARM_RESTART_BACKOFF_MS[1]);
        return;
      }
      const job = this.jobs.get(state.jobId);
      if (job === undefined) return;
      // Lost before it had the job's code: the job's preparation fails now, not at its timeout.
      if (job.pending.has(slot)) job.ready.reject(new Error(`slot ${slot} of ${this.settings.resourceId} lost its worker while preparing job ${job.jobGraph.jobId}: ${message}`));
      const error = toWireError(new Error(message));
      for (const [executionId, s] of job.tasks) {
        if (s === slot) this.ctx.tell(job.jobMaster, { type: 'updateTaskExecutionState', executionId, state: 'FAILED', error });
      }
    },
  };

  private onReport(slot: number, report: FromWorker): void {
    const jobId = this.slots[slot]?.jobId;
    const job = jobId === undefined ? undefined : this.jobs.get(jobId);
    if (job === undefined) return;
    switch (report.type) {
      case 'jobReady':
        job.pending.delete(slot);
        if (report.dataEndpoint !== undefined) job.dataEndpoints.push({ slot, endpoint: report.dataEndpoint });
        if (job.pending.size === 0) job.ready.resolve({ dataEndpoints: job.dataEndpoints });
        break;
      case 'jobFailed':
        job.ready.reject(fromWireError(report.error));
        break;
      case 'state': {
        const { type: _t, ...update } = report;
        this.ctx.tell(job.jobMaster, { type: 'updateTaskExecutionState', ...update });
        if (report.state === 'FINISHED' || report.state === 'FAILED' || report.state === 'CANCELED') {
          job.tasks.delete(report.executionId);
          const child = this.ctx.system.ref(TaskProtocol_, `${this.ctx.self.path}/${report.executionId}`);
          this.ctx.stop(child);
        }
        break;
      }
      case 'splitRequest':
        this.ctx.tell(job.jobMaster, { type: 'requestSplit', executionId: report.executionId });
        break;
      case 'acknowledgeCheckpoint': {
        const { type: _t, ...ack } = report;
        this.ctx.tell(job.jobMaster, { type: 'acknowledgeCheckpoint', ...ack });
        break;
      }
      case 'endOfData':
        this.ctx.tell(job.jobMaster, { type: 'endOfData', executionId: report.executionId });
        break;
      case 'declineCheckpoint': {
        const { type: _t, ...decline } = report;
        this.ctx.tell(job.jobMaster, { type: 'declineCheckpoint', ...decline });
        break;
      }
      case 'metrics': {
        const { type: _t, ...metrics } = report;
        if (job.tasks.has(report.executionId)) job.metrics.set(report.executionId, metrics);
        break;
      }
      case 'sourceEvent':
        this.ctx.tell(job.jobMaster, { type: 'sourceEvent', executionId: report.executionId, event: report.event });
        break;
    }
  }

  /** Ends the job here; resolves once its workers are gone and its local files removed. */
  private async release(jobId: string): Promise<void> {
    const job = this.jobs.get(jobId);
    if (job === undefined) return;
    this.jobs.delete(jobId);
    this.heartbeats?.unmonitor(`job:${jobId}`);
    for (const executionId of job.tasks.keys()) this.ctx.stop(this.ctx.system.ref(TaskProtocol_, `${this.ctx.self.path}/${executionId}`));
    const stopped: Array<Promise<void>> = [];
    for (const slot of job.slots) {
      const state = this.slots[slot]!;
      state.worker?.post({ type: 'endJob', jobId });
      // A worker serves one job: the job's modules and globals must not reach the next one.
      if (state.worker !== undefined) stopped.push(this.retire(state.worker));
      state.worker = undefined;
      state.jobId = undefined;
      // The slot ran a job, so its worker did start: a warm worker dying later is a new failure.
      state.restartDelayMs = WARM_RESTART_BACKOFF_MS[0];
      this.warm(slot);
    }
    await Promise.allSettled(stopped);
    // A worker thread may be gone before it handled endJob: remove BATCH exchange files here too.
    if (job.jobGraph.settings.runtimeMode === 'BATCH') await rm(exchangeDir(jobId), { recursive: true, force: true });
  }
}

import { TaskProtocol as TaskProtocol_ } from './protocol.js';
