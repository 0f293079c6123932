/**
 * Checkpoints and savepoints over REST, in Flink's shapes: statistics
 * (`/jobs/:jobid/checkpoints`, `/details/:checkpointid`), configuration (`/checkpoints/config`),
 * and savepoints as asynchronous operations — `POST /jobs/:jobid/savepoints` and
 * `POST /jobs/:jobid/stop` answer 202 with a request id, `GET /jobs/:jobid/savepoints/:triggerid`
 * tells IN_PROGRESS or COMPLETED with the location or the failure.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { CheckpointStats, CheckpointingStats } from '../actors/checkpoint/protocol.js';
import type { CheckpointingSettings } from '../api/job-graph.js';
import { RestError, RestResponse } from './server.js';

export interface CheckpointRouteContext {
  stats(jobId: string): Promise<{ stats: CheckpointingStats; checkpointing: CheckpointingSettings }>;
  /**
   * With `stop`, the job ends (cancelled) right after the savepoint; nothing completes in
   * between. With `drain` too, the sources end first and event time advances to the end; the
   * savepoint is the job's final checkpoint and the job finishes.
   */
  savepoint(jobId: string, targetDir: string | null, stop: boolean, drain: boolean): Promise<{ checkpointId: number; path: string }>;
  readBody(req: IncomingMessage): Promise<Record<string, unknown>>;
}

export interface CheckpointRoute {
  readonly method: string;
  readonly path: string;
  readonly handler: (params: Record<string, string>, url: URL, req: IncomingMessage) => Promise<unknown>;
}

type Operation = { status: 'IN_PROGRESS' } | { status: 'COMPLETED'; location: string } | { status: 'FAILED'; error: Error };

/** How many finished savepoint operations are remembered per server. */
const OPERATIONS = 1000;

function summary(values: number[]) {
  if (values.length === 0) return { min: 0, max: 0, avg: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return {
    min: sorted[0]!,
    max: sorted.at(-1)!,
    avg: Math.round(values.reduce((a, b) => a + b, 0) / values.length),
    p50: at(0.5),
    p90: at(0.9),
    p95: at(0.95),
    p99: at(0.99),
    p999: at(0.999),
  };
}

function statistics(c: CheckpointStats) {
  const className = c.status === 'COMPLETED' ? 'completed' : c.status === 'FAILED' ? 'failed' : 'in_progress';
  return {
    className,
    '@class': className,
    id: c.id,
    status: c.status,
    is_savepoint: c.isSavepoint,
    savepointFormat: c.isSavepoint ? 'CANONICAL' : null,
    trigger_timestamp: c.triggerTimestamp,
    latest_ack_timestamp: c.latestAckTimestamp,
    checkpointed_size: c.stateSize,
    state_size: c.stateSize,
    end_to_end_duration: c.endToEndDuration,
    alignment_buffered: 0,
    processed_data: 0,
    persisted_data: 0,
    num_subtasks: c.numSubtasks,
    num_acknowledged_subtasks: c.numAcknowledgedSubtasks,
    checkpoint_type: c.isSavepoint ? 'SAVEPOINT' : 'CHECKPOINT',
    tasks: Object.fromEntries(
      Object.entries(c.tasks).map(([id, t]) => [
        id,
        {
          id,
          status: c.status,
          latest_ack_timestamp: t.latestAckTimestamp,
          checkpointed_size: t.stateSize,
          state_size: t.stateSize,
          end_to_end_duration: t.latestAckTimestamp > 0 ? t.latestAckTimestamp - c.triggerTimestamp : -1,
          alignment_buffered: 0,
          processed_data: 0,
          persisted_data: 0,
          num_subtasks: t.subtasks,
          num_acknowledged_subtasks: t.acknowledged,
        },
      ]),
    ),
    ...(c.status === 'COMPLETED' ? { external_path: c.externalPath, discarded: false } : {}),
    ...(c.status === 'FAILED' ? { failure_timestamp: c.latestAckTimestamp || c.triggerTimestamp, failure_message: c.failureMessage } : {}),
  };
}

export function checkpointRoutes(ctx: CheckpointRouteContext): CheckpointRoute[] {
  const operations = new Map<string, { jobId: string; op: Operation }>();
  const start = (jobId: string, run: () => Promise<string>): RestResponse => {
    const triggerId = randomBytes(16).toString('hex');
    const entry = { jobId, op: { status: 'IN_PROGRESS' } as Operation };
    operations.set(triggerId, entry);
    if (operations.size > OPERATIONS) operations.delete(operations.keys().next().value!);
    run().then(
      (location) => (entry.op = { status: 'COMPLETED', location }),
      (error: unknown) => (entry.op = { status: 'FAILED', error: error instanceof Error ? error : new Error(String(error)) }),
    );
    return new RestResponse(202, { 'request-id': triggerId });
  };
  const targetOf = (body: Record<string, unknown>, key: string): string | null => {
    const value = body[key];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string' || value === '') throw new RestError(400, `${key} must be a folder path, got ${JSON.stringify(value)}.`);
    return value;
  };
  return [
    {
      method: 'GET',
      path: '/jobs/:jobid/checkpoints',
      handler: async ({ jobid }) => {
        const { stats } = await ctx.stats(jobid!);
        const finished = stats.history.filter((c) => c.status === 'COMPLETED');
        const latest = (pick: (c: CheckpointStats) => boolean) => {
          const c = stats.history.find(pick);
          return c === undefined ? null : statistics(c);
        };
        return {
          counts: { restored: stats.counts.restored, total: stats.counts.total, in_progress: stats.counts.inProgress, completed: stats.counts.completed, failed: stats.counts.failed },
          summary: {
            checkpointed_size: summary(finished.map((c) => c.stateSize)),
            state_size: summary(finished.map((c) => c.stateSize)),
            end_to_end_duration: summary(finished.map((c) => c.endToEndDuration)),
            alignment_buffered: summary([]),
            processed_data: summary([]),
            persisted_data: summary([]),
          },
          latest: {
            completed: latest((c) => c.status === 'COMPLETED' && !c.isSavepoint),
            savepoint: latest((c) => c.status === 'COMPLETED' && c.isSavepoint),
            failed: latest((c) => c.status === 'FAILED'),
            restored:
              stats.restored === null
                ? null
                : { id: stats.restored.id, restore_timestamp: stats.restored.restoreTimestamp, is_savepoint: stats.restored.isSavepoint, external_path: stats.restored.externalPath },
          },
          history: stats.history.map(statistics),
        };
      },
    },
    {
      method: 'GET',
      path: '/jobs/:jobid/checkpoints/config',
      handler: async ({ jobid }) => {
        const { checkpointing: c } = await ctx.stats(jobid!);
        if (c.intervalMs <= 0) throw new RestError(404, 'Checkpointing is not enabled for this job.');
        return {
          mode: c.mode === 'EXACTLY_ONCE' ? 'exactly_once' : 'at_least_once',
          interval: c.intervalMs,
          timeout: c.timeoutMs,
          min_pause: c.minPauseMs,
          max_concurrent: 1,
          externalization: { enabled: true, delete_on_cancellation: false },
          state_backend: 'HashMapStateBackend',
          checkpoint_storage: 'FileSystemCheckpointStorage',
          unaligned_checkpoints: false,
          tolerable_failed_checkpoints: c.tolerableFailures,
          aligned_checkpoint_timeout: 0,
          checkpoints_after_tasks_finish: false,
          state_changelog_enabled: false,
          changelog_periodic_materialization_interval: 0,
          changelog_storage: 'memory',
        };
      },
    },
    {
      method: 'GET',
      path: '/jobs/:jobid/checkpoints/details/:checkpointid',
      handler: async ({ jobid, checkpointid }) => {
        const { stats } = await ctx.stats(jobid!);
        const c = stats.history.find((x) => String(x.id) === checkpointid);
        if (c === undefined) throw new RestError(404, `Could not find checkpointing statistics for checkpoint ${checkpointid} (only the last ${stats.history.length} are kept).`);
        return statistics(c);
      },
    },
    {
      method: 'POST',
      path: '/jobs/:jobid/savepoints',
      handler: async ({ jobid }, _url, req) => {
        const body = await ctx.readBody(req);
        const target = targetOf(body, 'target-directory');
        const cancelJob = body['cancel-job'] === true;
        // Validates the job id (400/404) before accepting the operation.
        await ctx.stats(jobid!);
        return start(jobid!, async () => (await ctx.savepoint(jobid!, target, cancelJob, false)).path);
      },
    },
    {
      method: 'POST',
      path: '/jobs/:jobid/stop',
      handler: async ({ jobid }, _url, req) => {
        const body = await ctx.readBody(req);
        const target = targetOf(body, 'targetDirectory');
        const drain = body['drain'] ?? false;
        if (typeof drain !== 'boolean') throw new RestError(400, "'drain' must be true or false.");
        await ctx.stats(jobid!);
        return start(jobid!, async () => (await ctx.savepoint(jobid!, target, true, drain)).path);
      },
    },
    {
      method: 'GET',
      path: '/jobs/:jobid/savepoints/:triggerid',
      handler: async ({ jobid, triggerid }) => {
        const entry = operations.get(triggerid!);
        if (entry === undefined || entry.jobId !== jobid) throw new RestError(404, `There is no savepoint operation ${triggerid} for job ${jobid}.`);
        const op = entry.op;
        if (op.status === 'IN_PROGRESS') return { status: { id: 'IN_PROGRESS' }, operation: null };
        if (op.status === 'COMPLETED') return { status: { id: 'COMPLETED' }, operation: { location: op.location } };
        return {
          status: { id: 'COMPLETED' },
          operation: { 'failure-cause': { class: op.error.name, 'stack-trace': op.error.stack ?? op.error.message, 'serialized-throwable': null } },
        };
      },
    },
  ];
}
