/**
 * The verbs that talk to a running cluster over REST: `list`, `cancel`, `savepoint`, `stop`.
 * Their output lines are Flink's; every failure becomes one line and exit code 1.
 */
import { CheckpointingOptions } from '../../config/index.js';
import type { HostPort } from '../args.js';
import { loadCliConfiguration, println, restEndpoint, type CliIO } from '../context.js';
import { explained } from '../errors.js';
import { formatJobList } from '../job-list.js';
import { RestClient } from '../rest-client.js';

/** Options every cluster verb takes. */
export interface ClusterVerbOptions {
  /** `-D key=value`, in order. */
  readonly D?: readonly string[];
  /** `-m host:port`. */
  readonly jobmanager?: HostPort;
}

export interface ListOptions extends ClusterVerbOptions {
  readonly all?: boolean;
  readonly running?: boolean;
  readonly scheduled?: boolean;
}

export interface StopOptions extends ClusterVerbOptions {
  readonly savepointPath?: string;
  readonly drain?: boolean;
}

interface Connection {
  readonly client: RestClient;
  /** Longest wait for a savepoint: the checkpoint timeout this configuration sets, plus a minute. */
  readonly savepointWaitMs: number;
}

function connect(io: CliIO, options: ClusterVerbOptions): Connection {
  const { config } = loadCliConfiguration(io, options.D ?? []);
  const endpoint = restEndpoint(config, options.jobmanager);
  return {
    client: new RestClient(endpoint),
    savepointWaitMs: config.get(CheckpointingOptions.TIMEOUT) + 60_000,
  };
}

/** `runnel list [-r] [-s] [-a]`. Without a selection, running and scheduled jobs (as Flink). */
export async function listJobs(io: CliIO, options: ListOptions): Promise<number> {
  const { client } = connect(io, options);
  const all = options.all === true;
  const noneChosen = options.running !== true && options.scheduled !== true && !all;
  const selection = {
    running: noneChosen || options.running === true,
    scheduled: noneChosen || options.scheduled === true,
    all,
  };
  println(io.stdout, 'Waiting for response...');
  const jobs = await explained('Could not retrieve the job list', () => client.listJobs());
  for (const line of formatJobList(jobs, selection)) println(io.stdout, line);
  return 0;
}

/** `runnel cancel <jobId>`. */
export async function cancelJob(io: CliIO, jobId: string, options: ClusterVerbOptions): Promise<number> {
  const { client } = connect(io, options);
  println(io.stdout, `Cancelling job ${jobId}.`);
  await explained(`Could not cancel job ${jobId}`, () => client.cancelJob(jobId));
  println(io.stdout, `Cancelled job ${jobId}.`);
  return 0;
}

/** `runnel savepoint <jobId> [DIR]`: trigger, then wait for the savepoint's path. */
export async function triggerSavepoint(
  io: CliIO,
  jobId: string,
  targetDirectory: string | undefined,
  options: ClusterVerbOptions,
): Promise<number> {
  const { client, savepointWaitMs } = connect(io, options);
  println(io.stdout, `Triggering savepoint for job ${jobId}.`);
  const triggerId = await explained(`Could not trigger a savepoint for job ${jobId}`, () =>
    client.triggerSavepoint(jobId, { ...(targetDirectory === undefined ? {} : { targetDirectory }), cancelJob: false }),
  );
  println(io.stdout, 'Waiting for response...');
  const path = await explained(`Could not complete the savepoint of job ${jobId}`, () =>
    client.awaitSavepoint(jobId, triggerId, savepointWaitMs),
  );
  println(io.stdout, `Savepoint completed. Path: ${path}`);
  println(io.stdout, 'You can resume your program from this savepoint with the run command.');
  return 0;
}

/** `runnel stop [--savepointPath DIR] [--drain] <jobId>`: stop with a savepoint. */
export async function stopJob(io: CliIO, jobId: string, options: StopOptions): Promise<number> {
  const { client, savepointWaitMs } = connect(io, options);
  const drain = options.drain === true;
  println(io.stdout, `${drain ? 'Draining' : 'Suspending'} job "${jobId}" with a CANONICAL savepoint.`);
  const triggerId = await explained(`Could not stop job ${jobId}`, () =>
    client.stopWithSavepoint(jobId, {
      ...(options.savepointPath === undefined ? {} : { targetDirectory: options.savepointPath }),
      drain,
    }),
  );
  const path = await explained(`Could not stop job ${jobId}`, () => client.awaitSavepoint(jobId, triggerId, savepointWaitMs));
  println(io.stdout, `Savepoint completed. Path: ${path}`);
  return 0;
}
