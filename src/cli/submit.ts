/**
 * Job submission: where `runnel run` hands a validated job to the cluster, and `runnel info`
 * asks for its plan. `run` bundles the job (src/cli/bundle.ts), uploads the bundle
 * (`POST /jars/upload`), has the JobManager run it (`POST /jars/:jarid/run`, which runs the
 * job's main there and submits the JobGraph), and for an attached run polls
 * `GET /jobs/:jobid/execution-result` until the job has ended.
 */
import { DYNAMIC_PROPERTIES_SOURCE, type Configuration } from '../config/index.js';
import type { HostPort } from './args.js';
import { pathToFileURL } from 'node:url';
import { bundleJob } from './bundle.js';
import { CliError, JobFailedError, JobProgramError, JobSubmissionError, RestApiError, explained } from './errors.js';
import { RestClient } from './rest-client.js';

/** Longest wait for the JobManager to run the job's main and accept the job. */
const RUN_TIMEOUT_MS = 120_000;

/** Everything `runnel run` validated, ready for submission. */
export interface JobSubmission {
  /** Absolute path of the job module. */
  readonly jobFile: string;
  /** The path as the user wrote it, for messages. */
  readonly jobFileAsGiven: string;
  /** Arguments for the job's main, untouched. */
  readonly args: readonly string[];
  /** `-d`: return once submitted instead of waiting for the job's end. */
  readonly detached: boolean;
  /** `-p`: the job's default parallelism; `parallelism.default` when absent. */
  readonly parallelism: number | undefined;
  /** `-s`: savepoint or retained checkpoint to restore from. */
  readonly savepointPath: string | undefined;
  /** `-n`: skip state that maps to no operator of the job. */
  readonly allowNonRestoredState: boolean;
  /** The JobManager's REST endpoint. */
  readonly rest: HostPort;
  /** The client's configuration, `-D` included; forwarded to the job. */
  readonly config: Configuration;
}

/** What a submission returns: the job's id, and for an attached run how it ended. */
export interface JobSubmissionResult {
  readonly jobId: string;
  readonly outcome: { readonly kind: 'detached' } | { readonly kind: 'finished'; readonly netRuntimeMs: number };
}

/** Everything `runnel info` validated. */
export interface JobPlanRequest {
  readonly jobFile: string;
  readonly jobFileAsGiven: string;
  readonly args: readonly string[];
  readonly parallelism: number | undefined;
  readonly config: Configuration;
}

/**
 * Bundles the job, uploads it to the JobManager and runs it; calls `onSubmitted` as soon as
 * the cluster accepted it, then, for an attached run, waits for its end.
 * @throws JobBundleError, JobSubmissionError (the job's main failed on the JobManager),
 *   JobFailedError (an attached job failed or was cancelled), and the REST client's errors.
 */
export async function submitJob(submission: JobSubmission, onSubmitted: (jobId: string) => void = () => {}): Promise<JobSubmissionResult> {
  const bundle = await bundleJob(submission.jobFile, submission.jobFileAsGiven);
  const client = new RestClient(submission.rest);
  const jarId = await explained('Could not upload the job to the JobManager', () => client.uploadJar(bundle.fileName, bundle.code));
  let jobId: string;
  try {
    jobId = await client.runJar(
      jarId,
      {
        programArgsList: submission.args,
        ...(submission.parallelism === undefined ? {} : { parallelism: submission.parallelism }),
        ...(submission.savepointPath === undefined ? {} : { savepointPath: submission.savepointPath }),
        allowNonRestoredState: submission.allowNonRestoredState,
        flinkConfiguration: jobConfiguration(submission.config),
      },
      RUN_TIMEOUT_MS,
    );
  } catch (err) {
    if (err instanceof RestApiError && err.status === 400 && err.details.some((d) => d.startsWith("The program's main method failed: "))) {
      const detail = err.details.find((d) => d.startsWith("The program's main method failed: "))!;
      throw new JobSubmissionError(submission.jobFileAsGiven, detail.slice("The program's main method failed: ".length));
    }
    if (err instanceof RestApiError) throw new CliError(`Could not run the job '${submission.jobFileAsGiven}': ${err.message}`, { cause: err });
    throw err;
  } finally {
    // The bundle lives on in the blob store for the job; the upload itself is not needed.
    await client.deleteJar(jarId).catch(() => undefined);
  }
  onSubmitted(jobId);
  if (submission.detached) return { jobId, outcome: { kind: 'detached' } };
  const result = await explained(`Could not follow job ${jobId}`, () => client.awaitJobResult(jobId));
  if (result.applicationStatus !== 'SUCCEEDED') {
    const status = result.applicationStatus === 'CANCELED' ? 'CANCELED' : result.applicationStatus;
    throw new JobFailedError(jobId, status, result.failureCause);
  }
  return { jobId, outcome: { kind: 'finished', netRuntimeMs: result.netRuntimeMs } };
}

/** The job's own configuration: what `-D` set on the command line (config.yaml is the cluster's). */
function jobConfiguration(config: Configuration): Record<string, string> {
  // Raw values: toEntries() would mask the values of secret-looking keys.
  const keys = config.keys().filter((key) => config.sourceOf(key) === DYNAMIC_PROPERTIES_SOURCE);
  return Object.fromEntries(keys.map((key) => [key, String(config.getRaw(key))]));
}

/**
 * Builds the job's graph without running it and returns its plan as JSON (Flink's
 * `{jid, name, nodes: [...]}`).
 * @throws JobProgramError when the job's main fails.
 */
export async function describeJobPlan(request: JobPlanRequest): Promise<unknown> {
  // Loaded here: the runtime is not needed by `runnel run`, which should start quickly.
  const [{ setClientConfiguration }, { jobPlan }, { extractPlan }] = await Promise.all([
    import('../api/environment.js'),
    import('../api/job-graph.js'),
    import('../actors/task/plans.js'),
  ]);
  const config = request.parallelism === undefined ? request.config : request.config.with('parallelism.default', String(request.parallelism));
  setClientConfiguration(config);
  // The job reads its arguments from process.argv, as when it runs on its own.
  process.argv = [process.argv[0]!, request.jobFile, ...request.args];
  try {
    const plan = await extractPlan(() => import(pathToFileURL(request.jobFile).href));
    return jobPlan(plan.jobGraph);
  } catch (err) {
    throw new JobProgramError(request.jobFileAsGiven, err);
  }
}
