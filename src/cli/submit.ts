/**
 * Job submission: where `runnel run` hands a validated job to the cluster, and `runnel info`
 * asks for its plan. Bundling the job, uploading it (`POST /jars/upload`) and running it
 * (`POST /jars/:jarid/run`) arrive with the cluster; until then both say so plainly.
 */
import type { Configuration } from '../config/index.js';
import type { HostPort } from './args.js';
import { pathToFileURL } from 'node:url';
import { setClientConfiguration } from '../api/environment.js';
import { jobPlan } from '../api/job-graph.js';
import { extractPlan } from '../actors/task/plans.js';
import { JobProgramError, NotAvailableError } from './errors.js';

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
 * Bundles the job, uploads it to the JobManager and runs it; for an attached run, waits for
 * its end.
 * @throws NotAvailableError in this version.
 */
export function submitJob(submission: JobSubmission): Promise<JobSubmissionResult> {
  const command = ['npx tsx', submission.jobFileAsGiven, ...submission.args].map(shellWord).join(' ');
  return Promise.reject(
    new NotAvailableError(
      'runnel run: submitting jobs to a cluster is not available yet in this version; ' +
        `run the job file directly with '${command}' to execute it on an embedded mini-cluster.`,
    ),
  );
}

/**
 * Builds the job's graph without running it and returns its plan as JSON (Flink's
 * `{jid, name, nodes: [...]}`).
 * @throws NotAvailableError in this version.
 */
export async function describeJobPlan(request: JobPlanRequest): Promise<unknown> {
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

/** A word as a POSIX shell needs it; the first word (`npx tsx`) is passed already joined. */
function shellWord(word: string, index: number): string {
  if (index === 0 || /^[\w@%+=:,./-]+$/.test(word)) return word;
  // Double quotes read better inside the single-quoted command of the message.
  if (!/["$`\\!]/.test(word)) return `"${word}"`;
  return `'${word.replaceAll("'", "'\\''")}'`;
}
