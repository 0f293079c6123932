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
import {
  FileInputChannel,
  FileOutputChannel,
  LocalChannel,
  PortLink,
  ZmqDataPlane,
  type ChannelLink,
  type InputChannel,
  type OutputChannel,
} from '../../net/channels/index.js';
import type { ProcessingTimeService } from '../../operators/operator.js';
import { toWireError } from '../system/errors.js';
import { sameSlot, type FromWorker, type JobArtifact, type SlotLocation, type ToWorker } from './deployment.js';
import { capturePlan, livePlan } from './plans.js';
import { StreamTask } from './stream-task.js';

/** Where a slot's data socket listens for channels from other TaskManagers. */
export interface DataPlaneSettings {
  /** Host advertised to peers (`taskmanager.host`). */
  readonly host: string;
  /** Address to bind (`taskmanager.bind-host`); the advertised host when absent. */
  readonly bindHost?: string;
  /** First port to bind (`taskmanager.data.port`): slot i binds port + i; 0 picks free ones. */
  readonly port?: number;
}

export interface WorkerOptions {
  /** Without it the slot has no data socket, and only talks to slots of its own TaskManager. */
  readonly dataPlane?: DataPlaneSettings;
  /** How often running tasks report their metrics; 1 s as Flink's. */
  readonly metricsIntervalMs?: number;
}

interface JobEntry {
  readonly jobGraph: JobGraph;
  graph: StreamGraph | undefined;
  readonly waiting: Array<() => void>;
}

const key = (l: SlotLocation): string => `${l.taskManager}#${l.slot}`;
const hostOf = (endpoint: string): string => endpoint.replace(/^tcp:\/\//, '').replace(/:\d+$/, '');

export function exchangeDir(jobId: string): string {
  return join(tmpdir(), `runnel-exchange-${jobId}`);
}

export class WorkerRuntime {
  private readonly jobs = new Map<string, JobEntry>();
  private readonly tasks = new Map<string, StreamTask>();
  private readonly links = new Map<string, PortLink>();
  /** The slot's data socket, bound when a job is set up (with data-plane settings only). */
  private dataPlane: ZmqDataPlane | undefined;
  /** The data socket being bound (or bound) for the current job; closed with the job, even if still binding. */
  private binding: Promise<ZmqDataPlane> | undefined;
  /** Data endpoints of peer slots on other TaskManagers, from the deployments. */
  private readonly dataEndpoints = new Map<string, string>();
  private metricsTimer: NodeJS.Timeout | undefined;
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
    private readonly options: WorkerOptions = {},
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
        for (const e of d.dataEndpoints ?? []) this.dataEndpoints.set(key(e), e.endpoint);
        const entry = this.jobs.get(d.jobId);
        if (entry === undefined) {
          this.post({ type: 'state', executionId: d.executionId, state: 'FAILED', error: toWireError(new Error(`job ${d.jobId} was not set up in slot ${this.location.slot}`)) });
          return;
        }
        const deploy = (): void => {
          const task = new StreamTask(d, entry.jobGraph, entry.graph!, this.host);
          this.tasks.set(d.executionId, task);
          this.startMetrics();
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
      case 'triggerCheckpoint': {
        const task = this.tasks.get(message.executionId);
        if (task !== undefined) task.triggerCheckpoint(message.barrier);
        else {
          const reason = `task ${message.executionId} is not running in slot ${this.location.slot}`;
          this.post({ type: 'declineCheckpoint', executionId: message.executionId, checkpointId: message.barrier.checkpointId, reason });
        }
        break;
      }
      case 'notifyCheckpointComplete':
        this.tasks.get(message.executionId)?.notifyCheckpointComplete(message.checkpointId);
        break;
      case 'notifyCheckpointAborted':
        this.tasks.get(message.executionId)?.notifyCheckpointAborted(message.checkpointId);
        break;
      case 'drain':
        this.tasks.get(message.executionId)?.drain();
        break;
      case 'endJob':
        this.endJob(message.jobId);
        break;
      case 'shutdown':
        void this.shutdown();
        break;
    }
  }

  private setUpJob(jobGraph: JobGraph, artifact: JobArtifact): void {
    const entry: JobEntry = { jobGraph, graph: undefined, waiting: [] };
    this.jobs.set(jobGraph.jobId, entry);
    const failed = (err: unknown): void => this.post({ type: 'jobFailed', jobId: jobGraph.jobId, error: toWireError(err) });
    const bound = this.bindDataPlane();
    const loaded = (graph: StreamGraph, dataEndpoint?: string): void => {
      if (this.jobs.get(jobGraph.jobId) !== entry) return;
      entry.graph = graph;
      this.post({ type: 'jobReady', jobId: jobGraph.jobId, ...(dataEndpoint !== undefined ? { dataEndpoint } : {}) });
      for (const deploy of entry.waiting.splice(0)) deploy();
    };
    // Ready once the graph is there and, with a data plane, its socket is bound.
    const ready = (graph: StreamGraph): void => {
      if (bound === undefined) loaded(graph);
      else bound.then((endpoint) => loaded(graph, endpoint), failed);
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
    capturePlan(jobGraph, () => import(`${url}?runnel-job=${jobGraph.jobId}`), artifact.configuration).then(ready, failed);
  }

  private bindDataPlane(): Promise<string> | undefined {
    const settings = this.options.dataPlane;
    if (settings === undefined) return undefined;
    if (this.dataPlane !== undefined) return Promise.resolve(this.dataPlane.endpoint);
    const binding = ZmqDataPlane.bind({
      host: settings.host,
      ...(settings.bindHost !== undefined ? { bindHost: settings.bindHost } : {}),
      ...(settings.port !== undefined && settings.port > 0 ? { port: settings.port + this.location.slot } : {}),
      onError: (err) => this.failAll(err),
    });
    this.binding = binding;
    return binding.then((plane) => {
      // Bound after its job ended: endJob closes it.
      if (this.binding === binding) this.dataPlane = plane;
      return plane.endpoint;
    });
  }

  /** Reports every running task's metrics once per interval, while the slot has tasks. */
  private startMetrics(): void {
    if (this.metricsTimer !== undefined) return;
    this.metricsTimer = setInterval(() => {
      for (const task of this.tasks.values()) {
        if (task.state === 'RUNNING') this.post({ type: 'metrics', ...task.sampleMetrics() });
      }
    }, this.options.metricsIntervalMs ?? 1000);
    this.metricsTimer.unref();
  }

  /**
   * Ends every job and closes the data socket; resolves once it is closed. A worker thread
   * must not be terminated with ZeroMQ sockets open (the native teardown aborts the process).
   */
  async shutdown(): Promise<void> {
    for (const jobId of [...this.jobs.keys()]) this.endJob(jobId);
    await this.closing;
  }

  private closing: Promise<void> = Promise.resolve();

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
    // A job can end (be cancelled, the worker shut down) while its socket is still being bound:
    // the socket is closed once bound, and shutdown waits for that, as the thread must not end
    // with it open.
    const binding = this.binding;
    if (binding !== undefined) {
      const closed = binding.then(
        (plane) => plane.close(),
        () => undefined,
      );
      this.closing = Promise.all([this.closing, closed]).then(() => undefined);
    }
    this.binding = undefined;
    this.dataPlane = undefined;
    this.dataEndpoints.clear();
    if (this.metricsTimer !== undefined) clearInterval(this.metricsTimer);
    this.metricsTimer = undefined;
    const job = this.jobs.get(jobId);
    this.jobs.delete(jobId);
    if (job?.jobGraph.settings.runtimeMode === 'BATCH') rmSync(exchangeDir(jobId), { recursive: true, force: true });
  }

  private readonly host = {
    schedule: (task: StreamTask) => this.schedule(task),
    outputChannel: (job: JobGraph, id: string, peer: SlotLocation): OutputChannel => {
      if (job.settings.runtimeMode === 'BATCH') {
        this.checkSharedExchange(id, peer);
        return new FileOutputChannel(id, this.exchangeFile(job.jobId, id));
      }
      return sameSlot(peer, this.location) ? this.local(id) : this.link(peer).output(id);
    },
    inputChannel: (job: JobGraph, id: string, peer: SlotLocation): InputChannel => {
      if (job.settings.runtimeMode === 'BATCH') {
        this.checkSharedExchange(id, peer);
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

  /**
   * Slots of this TaskManager share a MessagePort link; a slot of another TaskManager is
   * reached over this slot's data plane at the endpoint its deployment named.
   */
  private link(peer: SlotLocation): ChannelLink {
    if (peer.taskManager === this.location.taskManager) {
      const link = this.links.get(key(peer));
      if (link === undefined) throw new Error(`slot ${this.location.slot} has no link to slot ${peer.slot}`);
      return link;
    }
    if (this.dataPlane === undefined) {
      throw new Error(`slot ${key(this.location)} has no data socket, so it cannot exchange records with TaskManager ${peer.taskManager}`);
    }
    const endpoint = this.dataEndpoints.get(key(peer));
    if (endpoint === undefined) throw new Error(`no data endpoint is known for slot ${key(peer)}: its TaskManager did not report one`);
    return this.dataPlane.link(endpoint);
  }

  /**
   * BATCH exchanges are files under the temp folder: they reach a slot of another TaskManager
   * only on the same machine. Across machines, fail at once with why, instead of waiting for a
   * file that never comes.
   */
  private checkSharedExchange(channelId: string, peer: SlotLocation): void {
    if (peer.taskManager === this.location.taskManager) return;
    const peerEndpoint = this.dataEndpoints.get(key(peer));
    const own = this.dataPlane?.endpoint;
    if (peerEndpoint !== undefined && own !== undefined && hostOf(peerEndpoint) === hostOf(own)) return;
    throw new Error(
      `BATCH exchange ${channelId} connects TaskManager ${this.location.taskManager} with ${peer.taskManager}` +
        `${peerEndpoint !== undefined ? ` at ${hostOf(peerEndpoint)}` : ''}, which is not known to share this machine's temp folder; ` +
        'BATCH exchanges between TaskManagers on different hosts are not supported in this version (run the job in STREAMING mode, or on one host)',
    );
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
