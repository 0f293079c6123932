/**
 * The runtime of one slot worker: it holds the jobs' graphs, the tasks deployed into the slot,
 * the data channels between them and to the other slots, and a cooperative scheduler that
 * runs ready tasks one step at a time, yielding to I/O between rounds.
 *
 * The same class runs in a worker thread (one per slot) and, for tests and debugging, inline
 * in the TaskExecutor's own thread; only how it obtains a job's graph differs.
 */
import { pathToFileURL } from 'node:url';
import type { JobGraph } from '../../api/job-graph.js';
import type { StreamGraph } from '../../api/stream-graph.js';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileInputChannel, FileOutputChannel, LocalChannel, PortLink, type InputChannel, type OutputChannel } from '../../net/channels/index.js';
import type { ProcessingTimeService } from '../../operators/operator.js';
import { toWireError } from '../system/errors.js';
import { sameSlot, type FromWorker, type SlotLocation, type ToWorker } from './deployment.js';
import { capturePlan, livePlan } from './plans.js';
import { StreamTask } from './stream-task.js';

interface JobEntry {
  readonly jobGraph: JobGraph;
  graph: StreamGraph | undefined;
  readonly waiting: Array<() => void>;
}

const key = (l: SlotLocation): string => `${l.taskManager}#${l.slot}`;

export function exchangeDir(jobId: string): string {
  return join(tmpdir(), `runnel-exchange-${jobId}`);
}

export class WorkerRuntime {
  private readonly jobs = new Map<string, JobEntry>();
  private readonly tasks = new Map<string, StreamTask>();
  private readonly links = new Map<string, PortLink>();
  private readonly locals = new Map<string, LocalChannel>();
  private ready: StreamTask[] = [];
  private readonly queued = new Set<StreamTask>();
  private scheduled = false;

  readonly processingTime: ProcessingTimeService = {
    now: () => Date.now(),
    schedule: (at, callback) => {
      const handle = setTimeout(callback, Math.max(0, at - Date.now()));
      return { cancel: () => clearTimeout(handle) };
    },
  };

  constructor(
    readonly location: SlotLocation,
    private readonly post: (message: FromWorker) => void,
  ) {}

  handle(message: ToWorker): void {
    switch (message.type) {
      case 'job':
        this.setUpJob(message.jobGraph, message.artifact);
        break;
      case 'link':
        this.links.set(key(message.peer), new PortLink(message.port, (err) => this.failAll(err)));
        break;
      case 'deploy': {
        const d = message.deployment;
        const entry = this.jobs.get(d.jobId);
        if (entry === undefined) {
          this.post({ type: 'state', executionId: d.executionId, state: 'FAILED', error: toWireError(new Error(`job ${d.jobId} was not set up in slot ${this.location.slot}`)) });
          return;
        }
        const deploy = (): void => {
          const task = new StreamTask(d, entry.jobGraph, entry.graph!, this.host);
          this.tasks.set(d.executionId, task);
          void task.start();
        };
        if (entry.graph === undefined) entry.waiting.push(deploy);
        else deploy();
        break;
      }
      case 'cancel':
        void this.tasks.get(message.executionId)?.cancel();
        break;
      case 'addSplits':
        this.tasks.get(message.executionId)?.addSplits(message.splits);
        break;
      case 'noMoreSplits':
        this.tasks.get(message.executionId)?.noMoreSplits();
        break;
      case 'sourceEvent':
        this.tasks.get(message.executionId)?.sourceEvent(message.event);
        break;
      case 'endJob':
        this.endJob(message.jobId);
        break;
    }
  }

  private setUpJob(jobGraph: JobGraph, artifact: { modulePath?: string; args: readonly string[] }): void {
    const entry: JobEntry = { jobGraph, graph: undefined, waiting: [] };
    this.jobs.set(jobGraph.jobId, entry);
    const ready = (graph: StreamGraph): void => {
      entry.graph = graph;
      this.post({ type: 'jobReady', jobId: jobGraph.jobId });
      for (const deploy of entry.waiting.splice(0)) deploy();
    };
    const live = livePlan(jobGraph.jobId);
    if (live !== undefined) {
      ready(live);
      return;
    }
    if (artifact.modulePath === undefined) {
      this.post({ type: 'jobFailed', jobId: jobGraph.jobId, error: toWireError(new Error(`no artifact for job ${jobGraph.jobId}`)) });
      return;
    }
    const url = pathToFileURL(artifact.modulePath).href;
    capturePlan(jobGraph, () => import(`${url}?runnel-job=${jobGraph.jobId}`)).then(ready, (err: unknown) =>
      this.post({ type: 'jobFailed', jobId: jobGraph.jobId, error: toWireError(err) }),
    );
  }

  private endJob(jobId: string): void {
    for (const [id, task] of this.tasks) {
      if (task.deployment.jobId === jobId) {
        void task.cancel();
        this.tasks.delete(id);
      }
    }
    for (const id of [...this.locals.keys()]) if (id.startsWith(`${jobId}/`)) this.locals.delete(id);
    // A slot's worker serves one job: its links to the other slots end with it.
    for (const link of this.links.values()) link.close();
    this.links.clear();
    const job = this.jobs.get(jobId);
    this.jobs.delete(jobId);
    if (job?.jobGraph.settings.runtimeMode === 'BATCH') rmSync(exchangeDir(jobId), { recursive: true, force: true });
  }

  private readonly host = {
    schedule: (task: StreamTask) => this.schedule(task),
    outputChannel: (job: JobGraph, id: string, peer: SlotLocation): OutputChannel => {
      if (job.settings.runtimeMode === 'BATCH') return new FileOutputChannel(id, this.exchangeFile(job.jobId, id));
      return sameSlot(peer, this.location) ? this.local(id) : this.link(peer).output(id);
    },
    inputChannel: (job: JobGraph, id: string, peer: SlotLocation): InputChannel => {
      if (job.settings.runtimeMode === 'BATCH') {
        return new FileInputChannel(id, this.exchangeFile(job.jobId, id), (err) => this.failAll(err));
      }
      return sameSlot(peer, this.location) ? this.local(id) : this.link(peer).input(id);
    },
    report: (message: FromWorker) => {
      if (message.type === 'state' && (message.state === 'FINISHED' || message.state === 'FAILED' || message.state === 'CANCELED')) {
        this.tasks.delete(message.executionId);
      }
      this.post(message);
    },
    processingTime: this.processingTime,
  };

  /** Where a BATCH exchange's channel is written: a folder per job under the system's temp dir. */
  private exchangeFile(jobId: string, channelId: string): string {
    const dir = exchangeDir(jobId);
    mkdirSync(dir, { recursive: true });
    return join(dir, channelId.replace(/[^A-Za-z0-9-]+/g, '_'));
  }

  private local(id: string): LocalChannel {
    let channel = this.locals.get(id);
    if (channel === undefined) this.locals.set(id, (channel = new LocalChannel(id)));
    return channel;
  }

  private link(peer: SlotLocation): PortLink {
    const link = this.links.get(key(peer));
    if (link === undefined) {
      throw new Error(
        peer.taskManager === this.location.taskManager
          ? `slot ${this.location.slot} has no link to slot ${peer.slot}`
          : `channels to another TaskManager (${peer.taskManager}) are not available in this version`,
      );
    }
    return link;
  }

  private schedule(task: StreamTask): void {
    if (this.queued.has(task)) return;
    this.queued.add(task);
    this.ready.push(task);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.run);
    }
  }

  private readonly run = (): void => {
    const round = this.ready;
    this.ready = [];
    for (const task of round) {
      this.queued.delete(task);
      task.step();
    }
    if (this.ready.length > 0) setImmediate(this.run);
    else this.scheduled = false;
  };

  private failAll(error: Error): void {
    for (const task of this.tasks.values()) void task.fail(error);
  }
}
