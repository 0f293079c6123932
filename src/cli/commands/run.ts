/**
 * `runnel run` and `runnel info`: validate the job file and the options, then hand over to
 * submission (src/cli/submit.ts).
 */
import { statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import type { HostPort } from '../args.js';
import { loadCliConfiguration, println, restEndpoint, type CliIO } from '../context.js';
import { JobFileError } from '../errors.js';
import { describeJobPlan, submitJob } from '../submit.js';

/** Module kinds Node (with tsx) loads as a job's entry point. */
export const JOB_FILE_EXTENSIONS: readonly string[] = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];

export interface RunOptions {
  readonly D?: readonly string[];
  readonly jobmanager?: HostPort;
  readonly detached?: boolean;
  readonly parallelism?: number;
  readonly fromSavepoint?: string;
  readonly allowNonRestoredState?: boolean;
}

export interface InfoOptions {
  readonly D?: readonly string[];
  readonly parallelism?: number;
}

/**
 * The job file's absolute path.
 * @throws JobFileError when it does not exist, is a folder, or is not a JS/TS module.
 */
export function resolveJobFile(given: string, cwd: string): string {
  const path = resolve(cwd, given);
  const stats = statSync(path, { throwIfNoEntry: false });
  if (stats === undefined) throw new JobFileError(`Job file '${given}' not found.`, given);
  if (!stats.isFile()) {
    throw new JobFileError(`Job file '${given}' is a folder: give the path of the job's .ts or .js module.`, given);
  }
  if (!JOB_FILE_EXTENSIONS.includes(extname(path).toLowerCase())) {
    throw new JobFileError(
      `Job file '${given}' is not a TypeScript or JavaScript module: expected one of ${JOB_FILE_EXTENSIONS.join(', ')}.`,
      given,
    );
  }
  return path;
}

/** `runnel run [options] JOB [args...]`. */
export async function runJob(io: CliIO, jobFile: string, args: readonly string[], options: RunOptions): Promise<number> {
  const path = resolveJobFile(jobFile, io.cwd);
  const { config } = loadCliConfiguration(io, options.D ?? []);
  const result = await submitJob(
    {
      jobFile: path,
      jobFileAsGiven: jobFile,
      args,
      detached: options.detached === true,
      parallelism: options.parallelism,
      savepointPath: options.fromSavepoint,
      allowNonRestoredState: options.allowNonRestoredState === true,
      rest: restEndpoint(config, options.jobmanager),
      config,
    },
    (jobId) => println(io.stdout, `Job has been submitted with JobID ${jobId}`),
  );
  if (result.outcome.kind === 'finished') {
    println(io.stdout, `Program execution finished`);
    println(io.stdout, `Job with JobID ${result.jobId} has finished.`);
    println(io.stdout, `Job Runtime: ${result.outcome.netRuntimeMs} ms`);
  }
  return 0;
}

/** `runnel info [options] JOB [args...]`: the job's plan as JSON. */
export async function showJobPlan(io: CliIO, jobFile: string, args: readonly string[], options: InfoOptions): Promise<number> {
  const path = resolveJobFile(jobFile, io.cwd);
  const { config } = loadCliConfiguration(io, options.D ?? []);
  const plan = await describeJobPlan({ jobFile: path, jobFileAsGiven: jobFile, args, parallelism: options.parallelism, config });
  println(io.stdout, JSON.stringify(plan, null, 2));
  return 0;
}
