/**
 * One job over REST, in Flink's shapes: details (`/jobs/:jobid`), status, plan, config,
 * exception history, a vertex's subtasks, and back pressure — answered from the Dispatcher,
 * which asks the job's JobMaster while it runs and keeps its last details once it ended.
 */
import type { JobDetails, VertexTaskMetrics } from '../actors/jobmaster/protocol.js';
import type { ExecutionState } from '../actors/task/deployment.js';
import { RestError } from './server.js';

export interface JobRouteContext {
  /** Asks the Dispatcher about one job: a malformed id is a 400, an unknown one a 404. */
  askJob<K extends 'requestJobDetails' | 'requestJobMetrics'>(jobId: string, type: K): Promise<JobAnswer[K]>;
}

type JobAnswer = {
  requestJobDetails: { details: JobDetails; plan: unknown };
  requestJobMetrics: VertexTaskMetrics[];
};

export interface JobRoute {
  readonly method: string;
  readonly path: string;
  readonly handler: (params: Record<string, string>, url: URL) => Promise<unknown>;
}

const EXECUTION_STATES: readonly ExecutionState[] = ['CREATED', 'SCHEDULED', 'DEPLOYING', 'INITIALIZING', 'RUNNING', 'FINISHED', 'CANCELING', 'CANCELED', 'FAILED'];
const JOB_STATUSES = ['INITIALIZING', 'CREATED', 'RUNNING', 'FAILING', 'FAILED', 'CANCELLING', 'CANCELED', 'FINISHED', 'RESTARTING', 'SUSPENDED', 'RECONCILING'];

/** Flink's thresholds on the back-pressured share of time: up to 10% ok, up to 50% low, then high. */
export function backpressureLevel(ratio: number): 'ok' | 'low' | 'high' {
  if (ratio <= 0.1) return 'ok';
  if (ratio <= 0.5) return 'low';
  return 'high';
}

/** A vertex's state from its subtasks', as Flink aggregates them. */
export function vertexStatus(states: readonly ExecutionState[]): ExecutionState {
  if (states.length > 0 && states.every((s) => s === 'FINISHED')) return 'FINISHED';
  for (const s of ['FAILED', 'CANCELING', 'CANCELED', 'RUNNING', 'INITIALIZING', 'DEPLOYING', 'SCHEDULED'] as const) if (states.includes(s)) return s;
  return 'CREATED';
}

function counts(states: readonly ExecutionState[]): Record<string, number> {
  const result: Record<string, number> = Object.fromEntries(EXECUTION_STATES.map((s) => [s, 0]));
  for (const s of states) result[s] = (result[s] ?? 0) + 1;
  return result;
}

const span = (start: number, end: number, now: number): number => (start < 0 ? -1 : (end > 0 ? end : now) - start);

export function jobRoutes(ctx: JobRouteContext): JobRoute[] {
  // Metrics are best effort: without them the routes still answer (with zeros).
  const metricsOf = async (jobId: string, ended: boolean): Promise<VertexTaskMetrics[]> => (ended ? [] : ctx.askJob(jobId, 'requestJobMetrics').catch(() => []));
  const ended = (d: JobDetails): boolean => d.endTime > 0;
  const vertexOf = (d: JobDetails, vertexId: string) => {
    const v = d.vertices.find((x) => x.id === vertexId);
    if (v === undefined) throw new RestError(404, `Job ${d.jobId} has no vertex ${vertexId}; GET /jobs/${d.jobId} lists its vertices.`);
    return v;
  };
  return [
    {
      method: 'GET',
      path: '/jobs/:jobid',
      handler: async ({ jobid }) => {
        const { details: d, plan } = await ctx.askJob(jobid!, 'requestJobDetails');
        const now = Date.now();
        const metrics = await metricsOf(d.jobId, ended(d));
        const allStates = d.vertices.flatMap((v) => v.subtasks.map((s) => s.status));
        return {
          jid: d.jobId,
          name: d.name,
          isStoppable: false,
          state: d.status,
          'job-type': (plan as { type?: string }).type ?? 'STREAMING',
          'start-time': d.startTime,
          'end-time': d.endTime,
          duration: span(d.startTime, d.endTime, now),
          maxParallelism: Math.max(...d.vertices.map((v) => v.maxParallelism)),
          now,
          timestamps: Object.fromEntries(JOB_STATUSES.map((s) => [s, d.timestamps[s] ?? 0])),
          vertices: d.vertices.map((v) => {
            const states = v.subtasks.map((s) => s.status);
            const starts = v.subtasks.map((s) => s.startTime).filter((t) => t > 0);
            const ends = v.subtasks.map((s) => s.endTime);
            const start = starts.length === 0 ? -1 : Math.min(...starts);
            const end = ends.every((t) => t > 0) ? Math.max(...ends) : -1;
            const mine = metrics.filter((m) => m.vertexId === v.id);
            const sum = (f: (m: VertexTaskMetrics) => number): number => mine.reduce((a, m) => a + f(m), 0);
            return {
              id: v.id,
              name: v.name,
              maxParallelism: v.maxParallelism,
              parallelism: v.parallelism,
              status: vertexStatus(states),
              'start-time': start,
              'end-time': end,
              duration: span(start, end, now),
              tasks: counts(states),
              metrics: {
                'read-bytes': 0,
                'read-bytes-complete': true,
                'write-bytes': 0,
                'write-bytes-complete': true,
                'read-records': sum((m) => m.numRecordsIn),
                'read-records-complete': !ended(d),
                'write-records': sum((m) => m.numRecordsOut),
                'write-records-complete': !ended(d),
                'accumulated-backpressured-time': 0,
                'accumulated-idle-time': 0,
                'accumulated-busy-time': 0,
              },
            };
          }),
          'status-counts': counts(allStates),
          plan,
        };
      },
    },
    {
      method: 'GET',
      path: '/jobs/:jobid/status',
      handler: async ({ jobid }) => ({ status: (await ctx.askJob(jobid!, 'requestJobDetails')).details.status }),
    },
    {
      method: 'GET',
      path: '/jobs/:jobid/plan',
      handler: async ({ jobid }) => ({ plan: (await ctx.askJob(jobid!, 'requestJobDetails')).plan }),
    },
    {
      method: 'GET',
      path: '/jobs/:jobid/config',
      handler: async ({ jobid }) => {
        const { details: d, plan } = await ctx.askJob(jobid!, 'requestJobDetails');
        return {
          jid: d.jobId,
          name: d.name,
          'execution-config': {
            'execution-mode': (plan as { type?: string }).type === 'BATCH' ? 'BATCH' : 'PIPELINED',
            'restart-strategy': d.restartStrategy,
            'job-parallelism': Math.max(...d.vertices.map((v) => v.parallelism)),
            'object-reuse-mode': false,
            'user-config': {},
          },
        };
      },
    },
    {
      method: 'GET',
      path: '/jobs/:jobid/exceptions',
      handler: async ({ jobid }, url) => {
        const { details: d } = await ctx.askJob(jobid!, 'requestJobDetails');
        const max = parseLimit(url.searchParams.get('maxExceptions'));
        // Newest first, as Flink lists them.
        const all = [...d.exceptions].reverse();
        const entries = all.slice(0, max).map((e) => ({
          exceptionName: e.exceptionName,
          stacktrace: e.stacktrace,
          timestamp: e.timestamp,
          taskName: e.taskName ?? null,
          location: e.taskManagerId ?? null,
          endpoint: e.taskManagerId ?? null,
          taskManagerId: e.taskManagerId ?? null,
          failureLabels: {},
          concurrentExceptions: [],
        }));
        const root = all[0];
        return {
          exceptionHistory: { entries, truncated: all.length > entries.length },
          'root-exception': root?.stacktrace ?? null,
          timestamp: root?.timestamp ?? null,
          'all-exceptions': [],
          truncated: false,
        };
      },
    },
    {
      method: 'GET',
      path: '/jobs/:jobid/vertices/:vertexid',
      handler: async ({ jobid, vertexid }) => {
        const { details: d } = await ctx.askJob(jobid!, 'requestJobDetails');
        const v = vertexOf(d, vertexid!);
        const now = Date.now();
        const metrics = await metricsOf(d.jobId, ended(d));
        return {
          id: v.id,
          name: v.name,
          parallelism: v.parallelism,
          maxParallelism: v.maxParallelism,
          now,
          subtasks: v.subtasks.map((s) => {
            const m = metrics.find((x) => x.vertexId === v.id && x.subtask === s.subtask);
            return {
              subtask: s.subtask,
              status: s.status,
              attempt: s.attempt,
              host: s.taskManagerId,
              'start-time': s.startTime,
              'end-time': s.endTime,
              duration: span(s.startTime, s.endTime, now),
              metrics: { 'read-records': m?.numRecordsIn ?? 0, 'write-records': m?.numRecordsOut ?? 0, 'read-bytes': 0, 'write-bytes': 0 },
              'taskmanager-id': s.taskManagerId,
              'status-duration': {},
            };
          }),
        };
      },
    },
    {
      method: 'GET',
      path: '/jobs/:jobid/vertices/:vertexid/backpressure',
      handler: async ({ jobid, vertexid }) => {
        const { details: d } = await ctx.askJob(jobid!, 'requestJobDetails');
        const v = vertexOf(d, vertexid!);
        const metrics = await metricsOf(d.jobId, ended(d));
        const subtasks = v.subtasks.map((s) => {
          const m = metrics.find((x) => x.vertexId === v.id && x.subtask === s.subtask);
          const ratio = round((m?.backPressuredTimeMsPerSecond ?? 0) / 1000);
          const level = backpressureLevel(ratio);
          return {
            subtask: s.subtask,
            'attempt-number': s.attempt,
            'backpressure-level': level,
            backpressureLevel: level,
            ratio,
            idleRatio: round((m?.idleTimeMsPerSecond ?? 0) / 1000),
            busyRatio: round((m?.busyTimeMsPerSecond ?? 0) / 1000),
            'other-concurrent-attempts': [],
          };
        });
        const worst = backpressureLevel(Math.max(0, ...subtasks.map((s) => s.ratio)));
        return { status: 'ok', 'backpressure-level': worst, backpressureLevel: worst, 'end-timestamp': Date.now(), subtasks };
      },
    },
  ];
}

function round(x: number): number {
  return Math.round(Math.min(1, Math.max(0, x)) * 1000) / 1000;
}

function parseLimit(raw: string | null): number {
  if (raw === null) return 10;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new RestError(400, `maxExceptions must be a non-negative integer, got '${raw}'.`);
  return n;
}
