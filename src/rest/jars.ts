/**
 * Job submission over REST, Flink's `/jars` routes: upload a job bundle (multipart, part
 * `jarfile`), list and delete uploads, and run one — the JobManager runs the bundle's main with
 * execute() captured to get the JobGraph, publishes the bundle on the blob server for the
 * TaskManagers, and hands the job to the Dispatcher. Also `GET /jobs/:jobid/execution-result`,
 * which `runnel run` polls while it waits for the job's end.
 *
 * Bad input (no multipart, a missing part, an oversized upload, an unknown jar, a body that is
 * not JSON, a main that throws) is a 4xx with `{"errors": [...]}`; none reaches the actors.
 */
import busboy from 'busboy';
import { readMetadata, type CompletedCheckpoint } from '../actors/checkpoint/storage.js';
import type { JobGraph } from '../api/job-graph.js';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { DispatcherSpec } from '../actors/dispatcher/protocol.js';
import type { ActorRef } from '../actors/system/ref.js';
import type { ActorSystem } from '../actors/system/system.js';
import type { JobArtifact } from '../actors/task/deployment.js';
import { extractProgramPlan, rawConfiguration, registerLivePlan, unregisterLivePlan } from '../actors/task/plans.js';
import type { JobResult } from '../actors/task/schemas.js';
import type { BlobStore } from '../blob/index.js';
import { CoreOptions, type Configuration } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { RestError } from './server.js';

export interface JarSettings {
  readonly system: ActorSystem;
  /** The leading Dispatcher, under its session. */
  readonly dispatcher: () => ActorRef<DispatcherSpec>;
  readonly store: BlobStore;
  /** Actor path of the blob server the TaskManagers fetch bundles from. */
  readonly blobServer: string;
  /** The cluster's configuration: what a job's own settings override. */
  readonly configuration: Configuration;
  readonly askTimeoutMs: number;
  /** Largest upload accepted (`rest.server.max-content-length`). */
  readonly maxUploadBytes: number;
  /** Longest wait for a job's main to call execute(). */
  readonly programTimeoutMs: number;
  readonly log: Logger;
}

/** A route of this file: method, path with `:name` parameters, and its handler. */
export interface JarRoute {
  readonly method: string;
  readonly path: string;
  readonly handler: (params: Record<string, string>, url: URL, req: IncomingMessage) => Promise<unknown>;
}

/** Largest JSON body of `POST /jars/:jarid/run`. */
const MAX_JSON_BYTES = 1024 * 1024;
const JOB_ID = /^[0-9a-f]{32}$/;

/** The `/jars` routes and `GET /jobs/:jobid/execution-result`. */
export function jarRoutes(settings: JarSettings): JarRoute[] {
  const { store } = settings;
  return [
    {
      method: 'POST',
      path: '/jars/upload',
      handler: async (_params, _url, req) => {
        const id = await receiveUpload(req, store, settings.maxUploadBytes);
        settings.log.info(`uploaded job bundle ${id}`);
        return { filename: `${store.jarsDir}/${id}`, status: 'success' };
      },
    },
    {
      method: 'GET',
      path: '/jars',
      handler: async (_params, _url, req) => ({
        address: `http://${req.headers.host ?? 'localhost'}`,
        files: (await store.listJars()).map((jar) => ({ id: jar.id, name: jar.name, uploaded: jar.uploaded, entry: [{ name: jar.name, description: null }] })),
      }),
    },
    {
      method: 'DELETE',
      path: '/jars/:jarid',
      handler: async ({ jarid }) => {
        if (!(await store.deleteJar(jarid!))) throw unknownJar(jarid!);
        return {};
      },
    },
    {
      method: 'POST',
      path: '/jars/:jarid/run',
      handler: async ({ jarid }, url, req) => {
        const jarPath = await store.jarPath(jarid!);
        if (jarPath === undefined) throw unknownJar(jarid!);
        const request = runRequest(await readJson(req, MAX_JSON_BYTES), url);
        return { jobid: await runJar(settings, jarid!, jarPath, request) };
      },
    },
    {
      method: 'GET',
      path: '/jobs/:jobid/execution-result',
      handler: async ({ jobid }) => executionResult(settings, jobid!),
    },
  ];
}

function unknownJar(id: string): RestError {
  return new RestError(404, `Jar file '${id}' not found: upload it with POST /jars/upload; GET /jars lists the uploaded ones.`);
}

/**
 * Streams the `jarfile` part of a multipart upload into the store; resolves with the jar id.
 * The whole request is read before answering, so a client never sees its upload cut off.
 */
function receiveUpload(req: IncomingMessage, store: BlobStore, maxBytes: number): Promise<string> {
  const type = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data\s*;/i.test(type)) {
    req.resume();
    return Promise.reject(
      new RestError(415, `Expected a multipart/form-data request with the job bundle in part 'jarfile', got content type '${type || 'none'}'.`),
    );
  }
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { fileSize: maxBytes, files: 4, fields: 16, parts: 32 } });
    } catch (err) {
      req.resume();
      reject(new RestError(400, `Malformed multipart request: ${err instanceof Error ? err.message : String(err)}.`));
      return;
    }
    let upload: Promise<{ temp: string; fileName: string }> | undefined;
    let tooLarge = false;
    let failure: Error | undefined;
    parser.on('file', (name, stream, info) => {
      if (name !== 'jarfile' || upload !== undefined) {
        stream.resume();
        return;
      }
      stream.on('limit', () => (tooLarge = true));
      let temp = '';
      upload = store
        .uploadPath()
        .then((path) => pipeline(stream, createWriteStream((temp = path))))
        .then(
        () => ({ temp, fileName: info.filename ?? 'job.mjs' }),
        async (err: unknown) => {
          if (temp !== '') await rm(temp, { force: true });
          stream.resume();
          throw err;
        },
      );
      // Settled in 'close'; never an unhandled rejection meanwhile.
      upload.catch(() => undefined);
    });
    parser.on('error', (err: unknown) => {
      failure ??= new RestError(400, `Malformed multipart request: ${err instanceof Error ? err.message : String(err)}.`);
      req.unpipe(parser);
      req.resume();
      void settle();
    });
    parser.on('close', () => void settle());
    let settled = false;
    const settle = async (): Promise<void> => {
      if (settled) return;
      settled = true;
      const received = await upload?.catch((err: unknown) => {
        failure ??= err instanceof Error ? err : new Error(String(err));
        return undefined;
      });
      if (failure !== undefined || tooLarge || received === undefined) {
        if (received !== undefined) await rm(received.temp, { force: true });
        if (failure !== undefined) reject(failure);
        else if (tooLarge) reject(new RestError(413, `The job bundle is larger than ${maxBytes} bytes (rest.server.max-content-length).`));
        else reject(new RestError(400, "The multipart request has no file part named 'jarfile': send the job bundle in part 'jarfile'."));
        return;
      }
      try {
        resolve(await store.commitUpload(received.temp, received.fileName));
      } catch (err) {
        await rm(received.temp, { force: true });
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    };
    req.on('aborted', () => {
      failure ??= new RestError(400, 'The upload was aborted by the client.');
    });
    req.pipe(parser);
  });
}

/** Reads a JSON body; an empty one is `{}`. */
export async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBytes) {
      req.resume();
      throw new RestError(413, `The request body is larger than ${maxBytes} bytes.`);
    }
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new RestError(400, `The request body is not valid JSON: ${err instanceof Error ? err.message : String(err)}.`);
  }
}

/** `POST /jars/:jarid/run`'s request: Flink's JarRunRequestBody, or the same as query parameters. */
interface RunRequest {
  readonly args: string[];
  readonly parallelism: number | undefined;
  readonly savepointPath: string | undefined;
  readonly allowNonRestoredState: boolean;
  readonly jobId: string | undefined;
  readonly configuration: Record<string, string>;
}

function runRequest(body: unknown, url: URL): RunRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RestError(400, 'The request body must be a JSON object (JarRunRequestBody).');
  }
  const b = body as Record<string, unknown>;
  const query = url.searchParams;
  const field = (name: string, queryName = name): unknown => b[name] ?? query.get(queryName) ?? undefined;

  const list = b['programArgsList'];
  let args: string[];
  if (list !== undefined && list !== null) {
    if (!Array.isArray(list) || !list.every((a): a is string => typeof a === 'string')) {
      throw new RestError(400, "'programArgsList' must be an array of strings.");
    }
    args = list;
  } else {
    const text = field('programArgs', 'programArg');
    if (text !== undefined && typeof text !== 'string') throw new RestError(400, "'programArgs' must be a string.");
    args = text === undefined || text.trim() === '' ? [] : text.trim().split(/\s+/);
  }

  const p = field('parallelism');
  const parallelism = p === undefined || p === null ? undefined : Number(p);
  if (parallelism !== undefined && !(Number.isSafeInteger(parallelism) && parallelism >= 1)) {
    throw new RestError(400, `'parallelism' must be a positive integer, got ${JSON.stringify(p)}.`);
  }

  const savepointPath = field('savepointPath');
  if (savepointPath !== undefined && savepointPath !== null && typeof savepointPath !== 'string') {
    throw new RestError(400, "'savepointPath' must be a string.");
  }
  const allow = field('allowNonRestoredState');
  if (allow !== undefined && allow !== null && typeof allow !== 'boolean' && allow !== 'true' && allow !== 'false') {
    throw new RestError(400, "'allowNonRestoredState' must be a boolean.");
  }
  const jobId = b['jobId'];
  if (jobId !== undefined && jobId !== null && (typeof jobId !== 'string' || !JOB_ID.test(jobId))) {
    throw new RestError(400, "'jobId' must be a job id: 32 lower-case hex characters.");
  }
  const config = b['flinkConfiguration'];
  if (config !== undefined && config !== null) {
    if (typeof config !== 'object' || Array.isArray(config) || !Object.values(config).every((v) => typeof v === 'string')) {
      throw new RestError(400, "'flinkConfiguration' must be an object of string values.");
    }
  }
  return {
    args,
    parallelism,
    savepointPath: typeof savepointPath === 'string' && savepointPath !== '' ? savepointPath : undefined,
    allowNonRestoredState: allow === true || allow === 'true',
    jobId: typeof jobId === 'string' ? jobId : undefined,
    configuration: (config ?? {}) as Record<string, string>,
  };
}

/** Extracts the job's graph, publishes its bundle and submits it; resolves with the job id. */
async function runJar(settings: JarSettings, jarId: string, jarPath: string, request: RunRequest): Promise<string> {
  // Checked before anything runs: a missing or corrupt savepoint fails the submission.
  let restore: CompletedCheckpoint | undefined;
  if (request.savepointPath !== undefined) {
    try {
      restore = await readMetadata(request.savepointPath);
    } catch (err) {
      throw new RestError(400, describeError(err));
    }
  }
  const { key, path } = await settings.store.publish(jarPath);
  let configuration = settings.configuration.withAll(request.configuration, 'the job submission');
  if (request.parallelism !== undefined) {
    configuration = configuration.with(CoreOptions.DEFAULT_PARALLELISM.key, String(request.parallelism), 'the job submission');
  }
  let plan;
  try {
    plan = await extractProgramPlan({ modulePath: path, args: request.args, configuration, timeoutMs: settings.programTimeoutMs });
  } catch (err) {
    settings.log.warn({ jar: jarId, err }, 'the main method of a submitted job failed');
    throw new RestError(400, `The program's main method failed: ${describeError(err)}`);
  }
  const jobGraph = request.jobId === undefined ? plan.jobGraph : { ...plan.jobGraph, jobId: request.jobId };
  if (restore !== undefined) checkRestorable(restore, jobGraph, request.allowNonRestoredState);
  const artifact: JobArtifact = { args: [...request.args], blob: { server: settings.blobServer, key }, configuration: rawConfiguration(configuration) };
  // The JobMaster needs the live graph for the source coordinators; the Dispatcher takes it
  // from here while it handles submitJob, in this process.
  registerLivePlan(jobGraph.jobId, plan.streamGraph);
  try {
    const wire = { ...artifact, args: [...artifact.args], configuration: { ...artifact.configuration } };
    await settings.system.ask(
      settings.dispatcher(),
      { type: 'submitJob', jobGraph, artifact: wire, ...(restore === undefined ? {} : { restore: { path: restore.path, metadata: restore.metadata, bytes: restore.bytes } }) },
      settings.askTimeoutMs,
    );
  } catch (err) {
    if (err instanceof Error && (err.name === 'DuplicateJobError' || (err as { remoteName?: string }).remoteName === 'DuplicateJobError')) {
      throw new RestError(409, err.message);
    }
    throw err;
  } finally {
    unregisterLivePlan(jobGraph.jobId);
  }
  settings.log.info(`submitted job ${jobGraph.jobId} (${jobGraph.jobName}) from ${jarId}, bundle ${key}`);
  return jobGraph.jobId;
}

/** An error as the client prints it: its stack (which starts with name and message) when it has one. */
function describeError(err: unknown): string {
  if (err instanceof Error) return err.stack?.startsWith(err.name) === true ? err.stack : `${err.name}: ${err.message}\n${err.stack ?? ''}`.trim();
  return String(err);
}

/** Flink's JobExecutionResultResponseBody, with Flink's field names on the wire. */
async function executionResult(settings: JarSettings, jobId: string): Promise<unknown> {
  if (!JOB_ID.test(jobId)) throw new RestError(400, `'${jobId}' is not a job id: a job id is 32 lower-case hex characters.`);
  let result: JobResult | null;
  try {
    result = await settings.system.ask(settings.dispatcher(), { type: 'jobResult', jobId }, settings.askTimeoutMs);
  } catch (err) {
    if (err instanceof Error && (err.name === 'UnknownJobError' || (err as { remoteName?: string }).remoteName === 'UnknownJobError')) {
      throw new RestError(404, err.message);
    }
    throw err;
  }
  if (result === null) return { status: { id: 'IN_PROGRESS' } };
  const error = result.error;
  return {
    status: { id: 'COMPLETED' },
    'job-execution-result': {
      id: result.jobId,
      'application-status': applicationStatus(result.status),
      'accumulator-results': {},
      'net-runtime': result.netRuntimeMs,
      ...(error === undefined
        ? {}
        : {
            'failure-cause': {
              class: error.name,
              message: error.message,
              'stack-trace': error.stack?.startsWith(error.name) === true ? error.stack : `${error.name}: ${error.message}\n${error.stack ?? ''}`.trim(),
            },
          }),
    },
  };
}

/** Flink's ApplicationStatus of a terminal JobStatus. */
function applicationStatus(status: JobResult['status']): string {
  switch (status) {
    case 'FINISHED':
      return 'SUCCEEDED';
    case 'CANCELED':
      return 'CANCELED';
    case 'FAILED':
      return 'FAILED';
    default:
      return 'UNKNOWN';
  }
}

/**
 * A savepoint's state must all have a place in the job: state of a vertex the job no longer
 * has is refused unless `allowNonRestoredState` (-n), and the max parallelism must match.
 * State is matched by vertex id — the uid (or generated id) of the chain's first operator.
 */
function checkRestorable(restore: CompletedCheckpoint, jobGraph: JobGraph, allowNonRestoredState: boolean): void {
  const vertices = new Map(jobGraph.vertices.map((v) => [v.id, v]));
  const unmatched = Object.entries(restore.metadata.vertices).filter(([id, v]) => !vertices.has(id) && v.files.some((f) => f !== null));
  if (unmatched.length > 0 && !allowNonRestoredState) {
    throw new RestError(
      400,
      `The savepoint at ${restore.path} has state for operator(s) ${unmatched.map(([id]) => id).join(', ')} that the job does not have. ` +
        'Give those operators their old uid(), or skip that state with -n (allowNonRestoredState).',
    );
  }
  for (const [id, v] of Object.entries(restore.metadata.vertices)) {
    const mine = vertices.get(id);
    if (mine !== undefined && mine.maxParallelism !== v.maxParallelism) {
      throw new RestError(
        400,
        `Operator ${id} (${mine.name}) had max parallelism ${v.maxParallelism} in the savepoint and has ${mine.maxParallelism} now; ` +
          'key groups cannot be remapped, so keep pipeline.max-parallelism as it was.',
      );
    }
  }
}
