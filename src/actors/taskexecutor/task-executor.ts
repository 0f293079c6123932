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
import type { ActorRef } from '../system/ref.js';
import { JobMasterProtocol, type JobMasterSpec } from '../jobmaster/protocol.js';
import { ResourceManagerProtocol } from '../resourcemanager/protocol.js';
import type { FromWorker } from '../task/deployment.js';
import { TaskExecutorProtocol, type TaskExecutorSpec } from './protocol.js';
import { startSlotWorker, type SlotMode, type SlotWorker } from './slots.js';
import { TaskActor } from './task-actor.js';
import { Type } from '@sinclair/typebox';
import { defineProtocol } from '../system/protocol.js';

export interface TaskExecutorSettings {
  readonly resourceId: string;
  readonly slots: number;
  readonly slotMode: SlotMode;
  /** Path of the ResourceManager to register with. */
  readonly resourceManager: string;
  readonly askTimeoutMs: number;
}

interface SlotState {
  jobId: string | undefined;
  worker: SlotWorker | undefined;
}

interface JobState {
  readonly jobGraph: JobGraph;
  readonly jobMaster: ActorRef<JobMasterSpec>;
  readonly slots: number[];
  readonly pending: Set<number>;
  readonly ready: { resolve: (v: null) => void; reject: (e: Error) => void };
  /** executionId -> slot */
  readonly tasks: Map<string, number>;
}

/** Reports from slot workers, delivered to the TaskExecutor as messages of its own. */
const SlotReports = defineProtocol('taskexecutor-internal', {
  slotReport: { request: Type.Object({ slot: Type.Integer(), report: Type.Unknown() }) },
  slotLost: { request: Type.Object({ slot: Type.Integer(), message: Type.String() }) },
  /** The outcome of a registration attempt with the ResourceManager. */
  registration: { request: Type.Object({ ok: Type.Boolean(), error: Type.String() }) },
  register: { request: Type.Object({}) },
});

/** Waits between registration attempts: doubling from the first, up to the last. */
const REGISTRATION_BACKOFF_MS = [100, 30_000] as const;

type Spec = TaskExecutorSpec & typeof SlotReports.spec;
const Protocol = defineProtocol('taskexecutor', { ...TaskExecutorProtocol.spec, ...SlotReports.spec });

export class TaskExecutor extends Actor<Spec> {
  readonly protocol = Protocol;
  private readonly slots: SlotState[];
  private readonly jobs = new Map<string, JobState>();

  constructor(private readonly settings: TaskExecutorSettings) {
    super();
    this.slots = Array.from({ length: settings.slots }, () => ({ jobId: undefined, worker: undefined }));
  }

  private registrationDelay: number = REGISTRATION_BACKOFF_MS[0];
  private registered = false;

  /**
   * Registers with the ResourceManager, and keeps trying while it cannot be reached (it may
   * start later, or be restarting), as a TaskManager of Flink does.
   */
  override preStart(): void {
    this.register();
  }

  private register(): void {
    const rm = this.ctx.system.ref(ResourceManagerProtocol, this.settings.resourceManager);
    this.ctx.pipeToSelf(
      this.ctx.ask(rm, { type: 'registerTaskExecutor', resourceId: this.settings.resourceId, taskExecutor: this.ctx.self.path, slots: this.settings.slots }, this.settings.askTimeoutMs),
      (r) => ({ type: 'registration', ok: r.ok, error: r.ok ? '' : r.error.message }),
    );
  }

  override async postStop(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker?.terminate()));
  }

  readonly receive: Handlers<Spec> = {
    registration: ({ ok, error }) => {
      if (ok) {
        if (!this.registered) this.ctx.log.info(`registered with the ResourceManager at ${this.settings.resourceManager}`);
        this.registered = true;
        this.registrationDelay = REGISTRATION_BACKOFF_MS[0];
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
    prepareJob: ({ jobGraph, artifact, slots, jobMaster }) =>
      new Promise<null>((resolve, reject) => {
        const jm = this.ctx.system.ref(JobMasterProtocol, jobMaster);
        const job: JobState = { jobGraph: jobGraph as JobGraph, jobMaster: jm, slots, pending: new Set(slots), ready: { resolve, reject }, tasks: new Map() };
        this.jobs.set(jobGraph.jobId, job);
        for (const slot of slots) {
          const state = this.slots[slot];
          if (state === undefined) {
            reject(new Error(`slot ${slot} does not exist on ${this.settings.resourceId}`));
            return;
          }
          state.jobId = jobGraph.jobId;
          state.worker = startSlotWorker(
            this.settings.slotMode,
            { taskManager: this.settings.resourceId, slot },
            artifact.args,
            (report) => this.ctx.tell(this.ctx.self, { type: 'slotReport', slot, report }),
            (error) => this.ctx.tell(this.ctx.self, { type: 'slotLost', slot, message: error.message }),
          );
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
        for (const slot of slots) this.slots[slot]!.worker!.post({ type: 'job', jobGraph: jobGraph as JobGraph, artifact });
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
    releaseJob: ({ jobId }) => this.release(jobId),
    slotReport: ({ slot, report }) => this.onReport(slot, report as FromWorker),
    slotLost: ({ slot, message }) => {
      const jobId = this.slots[slot]?.jobId;
      const job = jobId === undefined ? undefined : this.jobs.get(jobId);
      if (job === undefined) return;
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
        if (job.pending.size === 0) job.ready.resolve(null);
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
      case 'sourceEvent':
        this.ctx.tell(job.jobMaster, { type: 'sourceEvent', executionId: report.executionId, event: report.event });
        break;
    }
  }

  private release(jobId: string): void {
    const job = this.jobs.get(jobId);
    if (job === undefined) return;
    this.jobs.delete(jobId);
    for (const executionId of job.tasks.keys()) this.ctx.stop(this.ctx.system.ref(TaskProtocol_, `${this.ctx.self.path}/${executionId}`));
    const stopped: Array<Promise<void>> = [];
    for (const slot of job.slots) {
      const state = this.slots[slot]!;
      state.worker?.post({ type: 'endJob', jobId });
      if (state.worker !== undefined) stopped.push(state.worker.terminate());
      state.worker = undefined;
      state.jobId = undefined;
    }
    // A worker thread may be gone before it handled endJob: remove BATCH exchange files here too.
    if (job.jobGraph.settings.runtimeMode === 'BATCH') {
      void Promise.allSettled(stopped).then(() => rm(exchangeDir(jobId), { recursive: true, force: true }));
    }
  }
}

import { TaskProtocol as TaskProtocol_ } from './protocol.js';
