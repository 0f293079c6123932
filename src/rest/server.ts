/**
 * The JobManager's REST API: Flink's routes, JSON field names and status codes
 * (shared/flink-rest-subset.md), answered from the Dispatcher and the ResourceManager by ask.
 * Errors are `{"errors": ["..."]}` with their 4xx/5xx code; nothing a client sends can take
 * the JobManager down.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, totalmem, freemem } from 'node:os';
import type { ActorRef } from '../actors/system/ref.js';
import type { ActorSystem } from '../actors/system/system.js';
import type { DispatcherSpec } from '../actors/dispatcher/protocol.js';
import type { ResourceManagerSpec } from '../actors/resourcemanager/protocol.js';
import type { Configuration } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { jarRoutes, readJson, type JarSettings } from './jars.js';
import { checkpointRoutes } from './checkpoints.js';
import { jobRoutes } from './jobs.js';
import { NoLeaderError } from '../ha/index.js';

export interface RestSettings {
  readonly system: ActorSystem;
  /** The leading Dispatcher, under its session; throws NoLeaderError while there is none (503). */
  readonly dispatcher: () => ActorRef<DispatcherSpec>;
  readonly resourceManager: ActorRef<ResourceManagerSpec>;
  readonly configuration: Configuration;
  readonly version: string;
  readonly askTimeoutMs: number;
  readonly log: Logger;
  /** Job submission (`/jars` routes); absent, those routes are not served. */
  readonly jars?: JarSettings;
}

/** An answer that is not 200, or a client's mistake: status plus the messages of `errors`. */
export class RestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'RestError';
  }
}

/** An answer other than 200 OK (e.g. 202 Accepted). */
export class RestResponse {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

type Handler = (params: Record<string, string>, url: URL, req: IncomingMessage) => Promise<unknown>;
interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly names: readonly string[];
  readonly handler: Handler;
}

function route(method: string, path: string, handler: Handler): Route {
  const names: string[] = [];
  const pattern = new RegExp(`^${path.replace(/:(\w+)/g, (_, name: string) => (names.push(name), '([^/]+)'))}/?$`);
  return { method, pattern, names, handler };
}

const JOB_ID = /^[0-9a-f]{32}$/;

export class RestServer {
  private readonly server: Server;
  private readonly routes: Route[];

  constructor(private readonly settings: RestSettings) {
    this.routes = this.defineRoutes();
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  /** Listens on `host:port` (0 picks a free port); resolves with the bound port. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void =>
        reject(
          new Error(
            err.code === 'EADDRINUSE'
              ? `Cannot start the REST API: port ${port} is already in use on ${host}. Stop the process holding it, or choose another port with rest.port.`
              : `Cannot start the REST API on ${host}:${port}: ${err.message}`,
            { cause: err },
          ),
        );
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      const matching = this.routes.filter((r) => r.pattern.test(url.pathname));
      if (matching.length === 0) throw new RestError(404, `Not found: ${url.pathname}`);
      const r = matching.find((m) => m.method === req.method);
      if (r === undefined) throw new RestError(405, `Request method ${req.method} is not allowed for ${url.pathname}; allowed: ${matching.map((m) => m.method).join(', ')}.`);
      const m = r.pattern.exec(url.pathname)!;
      const params = Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
      const body = await r.handler(params, url, req);
      if (body instanceof RestResponse) send(res, body.status, body.body);
      else send(res, 200, body);
    } catch (err) {
      if (err instanceof RestError) {
        send(res, err.status, { errors: [err.message] });
      } else if (err instanceof NoLeaderError) {
        send(res, 503, { errors: [err.message] });
      } else {
        this.settings.log.error({ err, path: url.pathname }, 'REST request failed');
        send(res, 500, { errors: ['Internal server error.', err instanceof Error ? err.message : String(err)] });
      }
    }
  }

  private ask<S extends DispatcherSpec | ResourceManagerSpec>(ref: ActorRef<S>, message: { type: string }): Promise<unknown> {
    const ask = this.settings.system.ask.bind(this.settings.system) as (r: ActorRef<S>, m: { type: string }, t: number) => Promise<unknown>;
    return ask(ref, message, this.settings.askTimeoutMs);
  }

  private defineRoutes(): Route[] {
    const { dispatcher, resourceManager, configuration, version } = this.settings;
    const jobs = async () =>
      (await this.ask(dispatcher(), { type: 'listJobs' })) as Array<{ jid: string; name: string; state: string; startTime: number; endTime: number }>;
    const taskManagers = async () =>
      (await this.ask(resourceManager, { type: 'listTaskManagers' })) as Array<{
        resourceId: string;
        taskExecutor: string;
        slots: number;
        freeSlots: number;
        registeredAt: number;
        lastHeartbeat: number;
        allocated: Array<{ jobId: string; slot: number }>;
      }>;
    const taskManagerInfo = (tm: Awaited<ReturnType<typeof taskManagers>>[number]) => ({
      id: tm.resourceId,
      path: tm.taskExecutor,
      dataPort: -1,
      jmxPort: -1,
      // Flink's field holds the time of the last heartbeat (ms since the epoch), despite its name.
      timeSinceLastHeartbeat: tm.lastHeartbeat,
      slotsNumber: tm.slots,
      freeSlots: tm.freeSlots,
      totalResource: resource(tm.slots),
      freeResource: resource(tm.freeSlots),
      hardware: { cpuCores: cpus().length, physicalMemory: totalmem(), freeMemory: freemem(), managedMemory: 0 },
      memoryConfiguration: {},
      blocked: false,
    });
    const jars = this.settings.jars === undefined ? [] : jarRoutes(this.settings.jars).map((r) => route(r.method, r.path, r.handler));
    const job = jobRoutes({ askJob: (jobId, type) => this.askJob(jobId, { type, jobId }) as never }).map((r) => route(r.method, r.path, r.handler));
    const checkpoints = checkpointRoutes({
      stats: (jobId) => this.askJob(jobId, { type: 'requestCheckpointStats', jobId }) as never,
      // A savepoint takes as long as the job's checkpoint timeout allows; the JobManager answers when it is done.
      savepoint: (jobId, targetDir, stop, drain) =>
        this.settings.system.ask(this.settings.dispatcher(), { type: 'triggerSavepoint', jobId, targetDir, stop, drain }, 2 ** 31 - 1),
      readBody: async (req) => {
        const body = await readJson(req, 1 << 20);
        if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new RestError(400, 'The request body must be a JSON object.');
        return body as Record<string, unknown>;
      },
    }).map((r) => route(r.method, r.path, r.handler));
    return [
      ...jars,
      route('GET', '/config', async () => ({
        'refresh-interval': 3000,
        'timezone-name': Intl.DateTimeFormat().resolvedOptions().timeZone,
        'timezone-offset': -new Date().getTimezoneOffset() * 60_000,
        'flink-version': version,
        'flink-revision': `runnel ${version}`,
        features: { 'web-submit': false, 'web-cancel': true, 'web-rescale': false, 'web-history': false },
      })),
      route('GET', '/overview', async () => {
        const [overview, list] = await Promise.all([
          this.ask(resourceManager, { type: 'overview' }) as Promise<{ taskManagers: number; slotsTotal: number; slotsFree: number }>,
          jobs(),
        ]);
        const count = (state: string) => list.filter((j) => j.state === state).length;
        return {
          taskmanagers: overview.taskManagers,
          'slots-total': overview.slotsTotal,
          'slots-available': overview.slotsFree,
          'slots-free-and-blocked': 0,
          'taskmanagers-blocked': 0,
          'jobs-running': list.filter((j) => !['FINISHED', 'CANCELED', 'FAILED'].includes(j.state)).length,
          'jobs-finished': count('FINISHED'),
          'jobs-cancelled': count('CANCELED'),
          'jobs-failed': count('FAILED'),
          'flink-version': version,
          'flink-commit': `runnel ${version}`,
        };
      }),
      route('GET', '/jobs', async () => ({ jobs: (await jobs()).map((j) => ({ id: j.jid, status: j.state })) })),
      route('GET', '/jobs/overview', async () => ({
        jobs: (await jobs()).map((j) => {
          const end = j.endTime > 0 ? j.endTime : -1;
          return {
            jid: j.jid,
            name: j.name,
            state: j.state,
            'start-time': j.startTime,
            'end-time': end,
            duration: (end > 0 ? end : Date.now()) - j.startTime,
            'last-modification': end > 0 ? end : j.startTime,
          };
        }),
      })),
      route('PATCH', '/jobs/:jobid', async ({ jobid }, url) => {
        const mode = (url.searchParams.get('mode') ?? 'cancel').toLowerCase();
        if (mode !== 'cancel') throw new RestError(400, `Unsupported mode '${mode}': use mode=cancel, or POST /jobs/:jobid/stop to stop with a savepoint.`);
        await this.askJob(jobid!, { type: 'cancelJob', jobId: jobid! });
        return new RestResponse(202, {});
      }),
      route('GET', '/jobmanager/config', async () => configuration.toEntries()),
      route('GET', '/taskmanagers', async () => ({ taskmanagers: (await taskManagers()).map(taskManagerInfo) })),
      route('GET', '/taskmanagers/:taskmanagerid', async ({ taskmanagerid }) => {
        const tm = (await taskManagers()).find((t) => t.resourceId === taskmanagerid);
        if (tm === undefined) throw new RestError(404, `TaskManager ${taskmanagerid} not found.`);
        return { ...taskManagerInfo(tm), allocatedSlots: tm.allocated.map((a) => ({ jobId: a.jobId, resource: resource(1) })), metrics: {} };
      }),
      // After the fixed routes: /jobs/:jobid must not take /jobs/overview.
      ...job,
      ...checkpoints,
    ];
  }

  /** Asks the Dispatcher about one job: a malformed id is a 400, an unknown one a 404. */
  private async askJob(jobId: string, message: { type: string; jobId: string }): Promise<unknown> {
    if (!JOB_ID.test(jobId)) throw new RestError(400, `'${jobId}' is not a job id: a job id is 32 lower-case hex characters.`);
    try {
      return await this.ask(this.settings.dispatcher(), message);
    } catch (err) {
      if (err instanceof Error && (err.name === 'UnknownJobError' || (err as { remoteName?: string }).remoteName === 'UnknownJobError')) {
        throw new RestError(404, err.message);
      }
      throw err;
    }
  }
}

function resource(slots: number) {
  return { cpuCores: slots, taskHeapMemory: 0, taskOffHeapMemory: 0, managedMemory: 0, networkMemory: 0, extendedResources: {} };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(json) });
  res.end(json);
}
