/**
 * The Dispatcher: accepts jobs, starts one JobMaster per job (a child actor), keeps every
 * job's status and result, and answers those waiting for a result.
 *
 * It leads under a session from the HA services and is fenced by it: the REST API and the
 * JobMasters send under the session's token.
 */
import type { JobGraph } from '../../api/job-graph.js';
import type { StreamGraph } from '../../api/stream-graph.js';
import { Actor, type TerminationReason } from '../system/actor.js';
import { defineProtocol, type Handlers } from '../system/protocol.js';
import type { ActorRef } from '../system/ref.js';
import { acceptLeadership, contend, LeadershipMessages, type LeaderElection } from '../../ha/index.js';
import { JobMaster, type JobMasterSettings } from '../jobmaster/job-master.js';
import { JobMasterProtocol, type JobDetails } from '../jobmaster/protocol.js';
import { jobPlan } from '../../api/job-graph.js';
import { CheckpointingStatsSchema, type CheckpointingStats } from '../checkpoint/protocol.js';
import type { CheckpointMetadata } from '../checkpoint/storage.js';
import { Type } from '@sinclair/typebox';
import { JobResultSchema } from '../task/schemas.js';
import { RequestError } from '../system/errors.js';
import type { JobArtifact } from '../task/deployment.js';
import type { JobResult, JobStatus } from '../task/schemas.js';
import { DuplicateJobError, UnknownJobError } from './errors.js';
import { DispatcherProtocol } from './protocol.js';

export interface DispatcherSettings extends Omit<JobMasterSettings, 'dispatcher'> {
  /** The live graph of a job, where this process has it (mini-cluster). */
  readonly livePlan: (jobId: string) => StreamGraph | undefined;
}

interface JobEntry {
  readonly jobGraph: JobGraph;
  readonly startTime: number;
  status: JobStatus;
  endTime: number;
  result: JobResult | undefined;
  /** The JobMaster's last word on the job, kept once it ended (REST). */
  details: JobDetails | undefined;
  checkpointStats?: CheckpointingStats;
  jobMaster: ActorRef<typeof JobMasterProtocol.spec> | undefined;
  readonly waiters: Array<(result: JobResult) => void>;
}

const Internal = defineProtocol('dispatcher-internal', {
  /** A job's checkpoint statistics, fetched from its JobMaster before it stops (tell). */
  archived: { request: Type.Object({ result: JobResultSchema, stats: Type.Union([CheckpointingStatsSchema, Type.Null()]) }) },
});
const Protocol = defineProtocol('dispatcher', { ...DispatcherProtocol.spec, ...LeadershipMessages.spec, ...Internal.spec });
type Spec = typeof Protocol.spec;

export class Dispatcher extends Actor<Spec> {
  readonly protocol = Protocol;
  override readonly fenced = true;
  private readonly jobs = new Map<string, JobEntry>();
  private readonly election: LeaderElection;

  constructor(private readonly settings: DispatcherSettings) {
    super();
    this.election = settings.ha.leaderElection('dispatcher');
  }

  override async preStart(): Promise<void> {
    await contend(this.ctx, this.election);
  }

  override async postStop(): Promise<void> {
    await this.election.close();
  }

  readonly receive: Handlers<Spec> = {
    grantLeadership: ({ sessionId }) => {
      if (acceptLeadership(this.ctx, this.election, sessionId)) this.ctx.log.info(`Dispatcher ${this.ctx.self.path} leads under session ${sessionId}`);
    },
    revokeLeadership: () => {
      this.ctx.log.warn('Dispatcher lost its leadership');
      this.ctx.setFencingToken(null);
    },
    submitJob: ({ jobGraph, artifact, restore }) => {
      const job = jobGraph as JobGraph;
      if (this.jobs.has(job.jobId)) throw new DuplicateJobError(job.jobId);
      const entry: JobEntry = { jobGraph: job, startTime: Date.now(), status: 'INITIALIZING', endTime: -1, result: undefined, details: undefined, jobMaster: undefined, waiters: [] };
      this.jobs.set(job.jobId, entry);
      const settings: JobMasterSettings = { ...this.settings, dispatcher: this.ctx.self.withFencingToken(this.ctx.fencingToken) };
      const graph = this.settings.livePlan(job.jobId);
      entry.jobMaster = this.ctx.spawn(`jobmaster-${job.jobId}`, () => new JobMaster(job, artifact as JobArtifact, graph, settings, restore === undefined ? undefined : { path: restore.path, bytes: restore.bytes, metadata: restore.metadata as CheckpointMetadata, completedAt: Date.now() }), {
        supervision: { maxRestarts: 0, withinMs: 1 },
      });
      this.ctx.watch(entry.jobMaster);
      this.ctx.log.info({ job: job.jobId, name: job.jobName }, `submitted job ${job.jobId} (${job.jobName})`);
      return { jobId: job.jobId };
    },
    requestJobResult: ({ jobId }) => {
      const entry = this.jobs.get(jobId);
      if (entry === undefined) throw new UnknownJobError(jobId);
      if (entry.result !== undefined) return entry.result;
      return new Promise<JobResult>((resolve) => entry.waiters.push(resolve));
    },
    jobResult: ({ jobId }) => {
      const entry = this.jobs.get(jobId);
      if (entry === undefined) throw new UnknownJobError(jobId);
      return entry.result ?? null;
    },
    cancelJob: ({ jobId }) => {
      const entry = this.jobs.get(jobId);
      if (entry === undefined) throw new UnknownJobError(jobId);
      if (entry.jobMaster !== undefined && entry.result === undefined) this.ctx.tell(entry.jobMaster, { type: 'cancel' });
      return null;
    },
    listJobs: () =>
      [...this.jobs.entries()].map(([jid, e]) => ({ jid, name: e.jobGraph.jobName, state: e.status, startTime: e.startTime, endTime: e.endTime })),
    requestJobDetails: ({ jobId }) => {
      const entry = this.jobs.get(jobId);
      if (entry === undefined) throw new UnknownJobError(jobId);
      const plan = jobPlan(entry.jobGraph);
      if (entry.details !== undefined) return { details: entry.details, plan };
      if (entry.jobMaster === undefined) throw new Error(`job ${jobId} has no JobMaster`);
      return this.ctx.ask(entry.jobMaster, { type: 'requestJobDetails' }, this.settings.askTimeoutMs).then((details) => ({ details, plan }));
    },
    requestJobMetrics: ({ jobId }) => {
      const entry = this.jobs.get(jobId);
      if (entry === undefined) throw new UnknownJobError(jobId);
      if (entry.result !== undefined || entry.jobMaster === undefined) return [];
      return this.ctx.ask(entry.jobMaster, { type: 'requestTaskMetrics' }, this.settings.askTimeoutMs);
    },
    requestCheckpointStats: ({ jobId }) => {
      const entry = this.jobs.get(jobId);
      if (entry === undefined) throw new UnknownJobError(jobId);
      const checkpointing = entry.jobGraph.settings.checkpointing;
      if (entry.result !== undefined || entry.jobMaster === undefined) {
        return { stats: entry.checkpointStats ?? { counts: { restored: 0, total: 0, inProgress: 0, completed: 0, failed: 0 }, history: [], restored: null }, checkpointing };
      }
      return this.ctx.ask(entry.jobMaster, { type: 'requestCheckpointStats' }, this.settings.askTimeoutMs).then((stats) => ({ stats, checkpointing }));
    },
    triggerSavepoint: ({ jobId, targetDir, stop, drain }) => {
      const entry = this.jobs.get(jobId);
      if (entry === undefined) throw new UnknownJobError(jobId);
      if (entry.result !== undefined || entry.jobMaster === undefined) throw new RequestError(`Job ${jobId} has ended (${entry.status}): only a running job takes a savepoint.`);
      return this.ctx.ask(entry.jobMaster, { type: 'triggerSavepoint', targetDir, stop, drain: drain === true }, entry.jobGraph.settings.checkpointing.timeoutMs + 2 * this.settings.askTimeoutMs);
    },
    jobStatusChanged: ({ jobId, status }) => {
      const entry = this.jobs.get(jobId);
      if (entry !== undefined && entry.result === undefined) entry.status = status;
    },
    jobReachedTerminalState: ({ result, details }) => {
      const entry = this.jobs.get(result.jobId);
      if (entry === undefined || entry.result !== undefined) return;
      entry.details = details;
      if (entry.jobMaster === undefined) {
        this.complete(result as JobResult);
        return;
      }
      // The checkpoint statistics stay readable after the job (and its JobMaster) are gone.
      const stats = this.ctx.ask(entry.jobMaster, { type: 'requestCheckpointStats' }, this.settings.askTimeoutMs).catch(() => null);
      this.ctx.pipeToSelf(stats, (r) => ({ type: 'archived', result, stats: r.ok ? r.value : null }));
    },
    archived: ({ result, stats }) => {
      const entry = this.jobs.get(result.jobId);
      if (entry !== undefined && stats !== null) entry.checkpointStats = stats;
      this.complete(result as JobResult);
    },
  };

  /** A failing JobMaster fails its job, never the Dispatcher. */
  override onChildGaveUp(child: ActorRef, error: Error): boolean {
    this.ctx.log.error({ jobMaster: child.path, err: error }, 'JobMaster failed');
    return true;
  }

  override onTerminated(ref: ActorRef, _reason: TerminationReason): void {
    // A JobMaster that stopped without reporting a result failed itself.
    for (const [jobId, entry] of this.jobs) {
      if (entry.jobMaster?.path === ref.path && entry.result === undefined) {
        this.complete({ jobId, status: 'FAILED', netRuntimeMs: Date.now() - entry.startTime, error: { name: 'JobMasterError', message: 'the JobMaster of this job failed; see the JobManager log' } });
      }
    }
  }

  private complete(result: JobResult): void {
    const entry = this.jobs.get(result.jobId);
    if (entry === undefined || entry.result !== undefined) return;
    entry.result = result;
    entry.status = result.status;
    entry.endTime = Date.now();
    this.ctx.log.info({ job: result.jobId, status: result.status }, `job ${result.jobId} reached ${result.status}`);
    if (entry.jobMaster !== undefined) {
      this.ctx.unwatch(entry.jobMaster);
      this.ctx.stop(entry.jobMaster);
    }
    for (const resolve of entry.waiters.splice(0)) resolve(result);
  }
}
