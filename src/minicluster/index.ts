/**
 * The embedded mini-cluster: a Dispatcher, a ResourceManager and a TaskExecutor — the same
 * actors a standalone cluster runs in separate processes — in one process, over the in-memory
 * transport. A job file run directly executes here.
 */
import { JobExecutionResult, type JobExecutor, type JobPlan } from '../api/environment.js';
import { JobExecutionException } from '../api/errors.js';
import type { JobGraph } from '../api/job-graph.js';
import { slotsNeeded } from '../actors/jobmaster/execution-plan.js';
import { ActorSystem } from '../actors/system/system.js';
import { fromWireError } from '../actors/system/errors.js';
import type { JobArtifact } from '../actors/task/deployment.js';
import { livePlan, registerLivePlan, unregisterLivePlan } from '../actors/task/plans.js';
import type { JobResult } from '../actors/task/schemas.js';
import { TaskExecutor } from '../actors/taskexecutor/task-executor.js';
import type { SlotMode } from '../actors/taskexecutor/slots.js';
import { RpcOptions, type Configuration } from '../config/index.js';
import { logger } from '../log/index.js';
import { MemoryNetwork } from '../net/index.js';
import { StandaloneHaServices } from '../ha/index.js';
import { heartbeatSettings, spawnJobManagerComponents, type JobManagerComponents } from '../process/components.js';

export interface MiniClusterOptions {
  readonly slots: number;
  readonly slotMode: SlotMode;
  readonly configuration: Configuration;
}

const NO_TIMEOUT = 2 ** 31 - 1;
let clusters = 0;

export class MiniCluster {
  private constructor(
    readonly system: ActorSystem,
    private readonly components: JobManagerComponents,
  ) {}

  static async start(options: MiniClusterOptions): Promise<MiniCluster> {
    const log = logger('minicluster');
    if (process.env['RUNNEL_LOG_LEVEL'] === undefined) log.level = 'warn';
    const system = await ActorSystem.start({ transport: new MemoryNetwork().transport(`minicluster-${++clusters}`), log });
    const config = options.configuration;
    const askTimeoutMs = config.get(RpcOptions.ASK_TIMEOUT);
    const components = spawnJobManagerComponents(system, { ha: new StandaloneHaServices(), config, livePlan, slotRequestTimeoutMs: 60_000 });
    system.spawn(
      'taskexecutor',
      () =>
        new TaskExecutor({
          resourceId: 'minicluster-tm',
          slots: options.slots,
          slotMode: options.slotMode,
          resourceManager: components.resourceManager.path,
          askTimeoutMs,
          heartbeat: heartbeatSettings(config),
        }),
    );
    await components.dispatcherLeader.next();
    return new MiniCluster(system, components);
  }

  /** Cancels a running job (as `runnel cancel` does on a cluster). */
  async cancel(jobId: string): Promise<void> {
    await this.system.ask(this.components.dispatcher(), { type: 'cancelJob', jobId }, 60_000);
  }

  async run(jobGraph: JobGraph, artifact: JobArtifact): Promise<JobResult> {
    await this.system.ask(this.components.dispatcher(), { type: 'submitJob', jobGraph, artifact: { ...artifact, args: [...artifact.args] } }, 60_000);
    return (await this.system.ask(this.components.dispatcher(), { type: 'requestJobResult', jobId: jobGraph.jobId }, NO_TIMEOUT)) as JobResult;
  }

  async close(): Promise<void> {
    await this.system.terminate();
    await this.components.close();
  }
}

/** Which slots the mini-cluster runs: worker threads unless told otherwise (RUNNEL_SLOT_MODE=inline). */
function slotMode(): SlotMode {
  const mode = process.env['RUNNEL_SLOT_MODE'];
  if (mode === 'inline') return 'inline';
  // Without a job file to load in the workers (a REPL, eval), slots must run inline.
  return process.argv[1] === undefined ? 'inline' : 'thread';
}

export class MiniClusterExecutor implements JobExecutor {
  async execute(plan: JobPlan): Promise<JobExecutionResult & { collected?: unknown[] }> {
    const job = plan.jobGraph;
    registerLivePlan(job.jobId, plan.streamGraph);
    const cluster = await MiniCluster.start({ slots: slotsNeeded(job), slotMode: slotMode(), configuration: plan.configuration });
    let result: JobResult;
    try {
      const modulePath = process.argv[1];
      result = await cluster.run(job, { ...(modulePath !== undefined ? { modulePath } : {}), args: process.argv.slice(2) });
    } finally {
      await cluster.close();
      unregisterLivePlan(job.jobId);
    }
    if (result.status !== 'FINISHED') {
      throw new JobExecutionException(job.jobId, result.status, result.error === undefined ? undefined : fromWireError(result.error));
    }
    return Object.assign(new JobExecutionResult(job.jobId, result.netRuntimeMs), result.collected ? { collected: result.collected } : {});
  }
}
