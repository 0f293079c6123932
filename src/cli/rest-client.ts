/**
 * A client of the JobManager's REST API (Flink's routes and JSON field names) for the CLI
 * verbs. It uses Node's global fetch; every request has a timeout, created where the call is
 * made. Answers are checked before use, so a wrong server gives a clear error, not a crash.
 */
import { isIPv6 } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CliError,
  InvalidResponseError,
  JobManagerUnreachableError,
  RestApiError,
  SavepointFailedError,
  type UnreachableReason,
} from './errors.js';

/** One row of `GET /jobs/overview`. */
export interface JobOverview {
  readonly jid: string;
  readonly name: string;
  /** Flink's JobStatus: CREATED, INITIALIZING, RUNNING, FAILING, CANCELLING, RESTARTING, ... */
  readonly state: string;
  /** Epoch milliseconds; -1 when unknown. */
  readonly startTime: number;
}

/** `GET /jobs/:jobid/savepoints/:triggerid`, reduced to what a caller decides on. */
export type SavepointStatus =
  | { readonly status: 'IN_PROGRESS' }
  | { readonly status: 'COMPLETED'; readonly location: string }
  | { readonly status: 'FAILED'; readonly failureCause: string };

/** `GET /jobs/:jobid/execution-result`, reduced to what a caller decides on. */
export type ExecutionResult =
  | { readonly status: 'IN_PROGRESS' }
  | {
      readonly status: 'COMPLETED';
      /** Flink's ApplicationStatus: SUCCEEDED, FAILED, CANCELED or UNKNOWN. */
      readonly applicationStatus: string;
      readonly netRuntimeMs: number;
      /** The failure's stack trace (name and message first), for a job that did not succeed. */
      readonly failureCause: string | undefined;
    };

/** Flink's JarRunRequestBody, the fields Runnel uses. */
export interface JarRunRequest {
  readonly programArgsList: readonly string[];
  readonly parallelism?: number;
  readonly savepointPath?: string;
  readonly allowNonRestoredState: boolean;
  /** The job's configuration overrides (`-D`). */
  readonly flinkConfiguration: Readonly<Record<string, string>>;
}

export interface RestClientOptions {
  readonly host: string;
  readonly port: number;
  /** Longest wait for one HTTP answer; 30 s by default. */
  readonly requestTimeoutMs?: number;
  /** First delay between savepoint status polls; it doubles up to `maxPollIntervalMs`. */
  readonly pollIntervalMs?: number;
  readonly maxPollIntervalMs?: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export class RestClient {
  /** `http://host:port`, as named in messages. */
  readonly baseUrl: string;
  private readonly requestTimeoutMs: number;
  private readonly pollIntervalMs: number;
  private readonly maxPollIntervalMs: number;

  constructor(options: RestClientOptions) {
    const host = isIPv6(options.host) ? `[${options.host}]` : options.host;
    this.baseUrl = `http://${host}:${options.port}`;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.pollIntervalMs = options.pollIntervalMs ?? 50;
    this.maxPollIntervalMs = options.maxPollIntervalMs ?? 1000;
  }

  /** `GET /jobs/overview`: every job the cluster knows, running or not. */
  async listJobs(): Promise<JobOverview[]> {
    const path = '/jobs/overview';
    const body = await this.request('GET', path);
    const jobs = isRecord(body) ? body['jobs'] : undefined;
    if (!Array.isArray(jobs)) throw new InvalidResponseError('GET', path, "no 'jobs' array");
    return jobs.map((job: unknown, i): JobOverview => {
      if (!isRecord(job)) throw new InvalidResponseError('GET', path, `jobs[${i}] is not an object`);
      const jid = job['jid'];
      const name = job['name'];
      const state = job['state'];
      const startTime = job['start-time'];
      if (typeof jid !== 'string' || typeof state !== 'string') {
        throw new InvalidResponseError('GET', path, `jobs[${i}] lacks 'jid' or 'state'`);
      }
      return {
        jid,
        name: typeof name === 'string' ? name : '',
        state,
        startTime: typeof startTime === 'number' ? startTime : -1,
      };
    });
  }

  /** `POST /jars/upload`: uploads a job bundle as part `jarfile`; resolves with its jar id. */
  async uploadJar(fileName: string, code: Uint8Array): Promise<string> {
    const path = '/jars/upload';
    const form = new FormData();
    form.append('jarfile', new Blob([code], { type: 'text/javascript' }), fileName);
    const body = await this.request('POST', path, form);
    const filename = isRecord(body) ? body['filename'] : undefined;
    if (typeof filename !== 'string' || filename === '') throw new InvalidResponseError('POST', path, "no 'filename'");
    return filename.slice(Math.max(filename.lastIndexOf('/'), filename.lastIndexOf('\\')) + 1);
  }

  /**
   * `POST /jars/:jarid/run`: the JobManager runs the job's main and submits the job; resolves
   * with the job id. Waits up to `timeoutMs`, since the main runs before the answer.
   */
  async runJar(jarId: string, request: JarRunRequest, timeoutMs: number): Promise<string> {
    const path = `/jars/${encodeURIComponent(jarId)}/run`;
    const body = await this.request('POST', path, request, timeoutMs);
    const jobId = isRecord(body) ? body['jobid'] : undefined;
    if (typeof jobId !== 'string' || jobId === '') throw new InvalidResponseError('POST', path, "no 'jobid'");
    return jobId;
  }

  /** `DELETE /jars/:jarid`. */
  async deleteJar(jarId: string): Promise<void> {
    await this.request('DELETE', `/jars/${encodeURIComponent(jarId)}`);
  }

  /** `GET /jobs/:jobid/execution-result`: one look at whether the job has ended, and how. */
  async jobExecutionResult(jobId: string): Promise<ExecutionResult> {
    const path = `/jobs/${jobId}/execution-result`;
    const body = await this.request('GET', path);
    const status = isRecord(body) && isRecord(body['status']) ? body['status']['id'] : undefined;
    if (status === 'IN_PROGRESS') return { status };
    const result = isRecord(body) ? body['job-execution-result'] : undefined;
    if (status !== 'COMPLETED' || !isRecord(result)) {
      throw new InvalidResponseError('GET', path, "no 'status.id' of IN_PROGRESS, or COMPLETED with a 'job-execution-result'");
    }
    const applicationStatus = result['application-status'];
    const netRuntime = result['net-runtime'];
    const cause = result['failure-cause'];
    return {
      status,
      applicationStatus: typeof applicationStatus === 'string' ? applicationStatus : 'UNKNOWN',
      netRuntimeMs: typeof netRuntime === 'number' ? netRuntime : -1,
      failureCause: cause === undefined || cause === null ? undefined : describeFailureTrace(cause),
    };
  }

  /** Polls a job's execution result until it has ended; there is no time limit (a job may run for ever). */
  async awaitJobResult(jobId: string): Promise<Extract<ExecutionResult, { status: 'COMPLETED' }>> {
    let delay = this.pollIntervalMs;
    for (;;) {
      const result = await this.jobExecutionResult(jobId);
      if (result.status === 'COMPLETED') return result;
      await sleep(delay);
      delay = Math.min(delay * 2, this.maxPollIntervalMs);
    }
  }

  /** `PATCH /jobs/:jobid?mode=cancel`: asks the JobManager to cancel; resolves once it accepted. */
  async cancelJob(jobId: string): Promise<void> {
    await this.request('PATCH', `/jobs/${jobId}?mode=cancel`);
  }

  /** `POST /jobs/:jobid/savepoints`; resolves with the trigger id to poll. */
  async triggerSavepoint(jobId: string, options: { targetDirectory?: string; cancelJob: boolean }): Promise<string> {
    const path = `/jobs/${jobId}/savepoints`;
    const body = {
      ...(options.targetDirectory === undefined ? {} : { 'target-directory': options.targetDirectory }),
      'cancel-job': options.cancelJob,
    };
    return requestId('POST', path, await this.request('POST', path, body));
  }

  /** `POST /jobs/:jobid/stop`: stop with a savepoint (`drain`: first advance to end of event time). */
  async stopWithSavepoint(jobId: string, options: { targetDirectory?: string; drain: boolean }): Promise<string> {
    const path = `/jobs/${jobId}/stop`;
    const body = {
      ...(options.targetDirectory === undefined ? {} : { targetDirectory: options.targetDirectory }),
      drain: options.drain,
    };
    return requestId('POST', path, await this.request('POST', path, body));
  }

  /** `GET /jobs/:jobid/savepoints/:triggerid`: one look at a savepoint operation. */
  async savepointStatus(jobId: string, triggerId: string): Promise<SavepointStatus> {
    const path = `/jobs/${jobId}/savepoints/${encodeURIComponent(triggerId)}`;
    const body = await this.request('GET', path);
    const status = isRecord(body) && isRecord(body['status']) ? body['status']['id'] : undefined;
    if (status === 'IN_PROGRESS') return { status };
    if (status !== 'COMPLETED') throw new InvalidResponseError('GET', path, "no 'status.id' of IN_PROGRESS or COMPLETED");
    const operation = isRecord(body) ? body['operation'] : undefined;
    if (isRecord(operation) && operation['failure-cause'] !== undefined && operation['failure-cause'] !== null) {
      return { status: 'FAILED', failureCause: describeFailureCause(operation['failure-cause']) };
    }
    const location = isRecord(operation) ? operation['location'] : undefined;
    if (typeof location !== 'string') throw new InvalidResponseError('GET', path, "a completed savepoint without 'operation.location'");
    return { status: 'COMPLETED', location };
  }

  /**
   * Polls a savepoint operation until it completes; resolves with its location.
   * @throws SavepointFailedError with the JobManager's failure cause.
   * @throws CliError when it is still in progress after `timeoutMs`.
   */
  async awaitSavepoint(jobId: string, triggerId: string, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let delay = this.pollIntervalMs;
    for (;;) {
      const status = await this.savepointStatus(jobId, triggerId);
      switch (status.status) {
        case 'COMPLETED':
          return status.location;
        case 'FAILED':
          throw new SavepointFailedError(jobId, status.failureCause);
        case 'IN_PROGRESS':
          break;
      }
      if (Date.now() + delay > deadline) {
        throw new CliError(
          `The savepoint of job ${jobId} (trigger ${triggerId}) was still in progress after ${formatDuration(timeoutMs)}; ` +
            `it may yet complete: see GET ${this.baseUrl}/jobs/${jobId}/checkpoints.`,
        );
      }
      await sleep(delay);
      delay = Math.min(delay * 2, this.maxPollIntervalMs);
    }
  }

  /**
   * One HTTP exchange; resolves with the parsed JSON body (undefined when empty).
   * @throws JobManagerUnreachableError when there is no answer at all.
   * @throws RestApiError for an error status, with the server's `errors`.
   */
  private async request(method: Method, path: string, body?: unknown, timeoutMs = this.requestTimeoutMs): Promise<unknown> {
    const url = `${this.baseUrl}${path}`;
    // Made here, so that a timeout names this call.
    const timeoutDetail = formatDuration(timeoutMs);
    let response: Response;
    let text: string;
    try {
      // A form sets its own multipart content type, boundary included.
      const payload = body === undefined ? {} : body instanceof FormData ? { body } : { body: JSON.stringify(body) };
      const json = body !== undefined && !(body instanceof FormData);
      response = await fetch(url, {
        method,
        headers: json ? { accept: 'application/json', 'content-type': 'application/json' } : { accept: 'application/json' },
        ...payload,
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (err) {
      const { reason, detail } = classifyFetchError(err, timeoutDetail);
      throw new JobManagerUnreachableError(this.baseUrl, reason, detail, { cause: err });
    }
    const parsed = parseJson(text);
    if (!response.ok) {
      const errors = parsed.ok ? parsed.value : undefined;
      throw new RestApiError(method, path, response.status, errorMessages(errors), errorDetails(errors));
    }
    if (!parsed.ok) throw new InvalidResponseError(method, path, `HTTP ${response.status} with a body that is not JSON`);
    return parsed.value;
  }
}

/** A wait as people read it: `200 ms`, `30 s`, `11 min`. */
function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

function requestId(method: Method, path: string, body: unknown): string {
  const id = isRecord(body) ? body['request-id'] : undefined;
  if (typeof id !== 'string' || id === '') throw new InvalidResponseError(method, path, "no 'request-id'");
  return id;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/** The `errors` of Flink's error body, first lines only: the rest is a server-side stack trace. */
function errorMessages(body: unknown): string[] {
  const errors = isRecord(body) ? body['errors'] : undefined;
  if (!Array.isArray(errors)) return [];
  return errors
    .filter((e: unknown): e is string => typeof e === 'string')
    .map((e) => e.split('\n')[0]!.trim())
    .filter((e) => e !== '');
}

/** The `errors` of Flink's error body in full. */
function errorDetails(body: unknown): string[] {
  const errors = isRecord(body) ? body['errors'] : undefined;
  if (!Array.isArray(errors)) return [];
  return errors.filter((e: unknown): e is string => typeof e === 'string' && e.trim() !== '');
}

/** A job's failure cause with its stack trace when the JobManager sent one. */
function describeFailureTrace(cause: unknown): string {
  if (isRecord(cause)) {
    const stack = cause['stack-trace'];
    if (typeof stack === 'string' && stack.trim() !== '') return stack.trim();
  }
  return describeFailureCause(cause);
}

/**
 * Flink sends a failure cause as a serialized throwable (`class`, `stack-trace`); a plain
 * message or string is accepted too. The first line of a stack trace is the exception message.
 */
export function describeFailureCause(cause: unknown): string {
  if (typeof cause === 'string') return cause;
  if (isRecord(cause)) {
    const message = cause['message'];
    if (typeof message === 'string' && message !== '') return message;
    const stack = cause['stack-trace'];
    if (typeof stack === 'string' && stack.trim() !== '') return stack.trim().split('\n')[0]!.trim();
    const cls = cause['class'];
    if (typeof cls === 'string') return cls;
  }
  return JSON.stringify(cause);
}

function codesOf(cause: unknown): string[] {
  if (!isRecord(cause) && !(cause instanceof Error)) return [];
  const own = 'code' in cause && typeof cause.code === 'string' ? [cause.code] : [];
  const nested = 'errors' in cause && Array.isArray(cause.errors) ? cause.errors.flatMap((e: unknown) => codesOf(e)) : [];
  return [...own, ...nested];
}

function classifyFetchError(err: unknown, timeoutDetail: string): { reason: UnreachableReason; detail: string } {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return { reason: 'timed out', detail: timeoutDetail };
  }
  const cause = err instanceof Error ? err.cause : undefined;
  const codes = codesOf(cause);
  if (codes.includes('ECONNREFUSED')) return { reason: 'connection refused', detail: 'ECONNREFUSED' };
  if (codes.includes('ENOTFOUND') || codes.includes('EAI_AGAIN')) return { reason: 'host not found', detail: codes[0]! };
  if (codes.includes('ETIMEDOUT')) return { reason: 'timed out', detail: timeoutDetail };
  if (cause instanceof Error && cause.message === 'bad port') return { reason: 'port blocked', detail: 'bad port' };
  const detail = cause instanceof Error ? cause.message : err instanceof Error ? err.message : String(err);
  return { reason: 'network error', detail };
}
