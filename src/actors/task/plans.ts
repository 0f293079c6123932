/**
 * How a slot gets a job's live graph. Code cannot travel as data, so a slot either finds the
 * graph already built in its own thread (the mini-cluster running inline), or imports the job
 * module with execute() redirected to hand over the graph instead of running it.
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { JobGraph } from '../../api/job-graph.js';
import type { StreamGraph } from '../../api/stream-graph.js';
import { setClientConfiguration, setJobExecutor, type JobPlan } from '../../api/environment.js';
import { Configuration, type RawScalar, type RawValue } from '../../config/index.js';

const live = new Map<string, StreamGraph>();

/** Makes a graph built in this thread available to inline slots. */
export function registerLivePlan(jobId: string, graph: StreamGraph): void {
  live.set(jobId, graph);
}

export function unregisterLivePlan(jobId: string): void {
  live.delete(jobId);
}

export function livePlan(jobId: string): StreamGraph | undefined {
  return live.get(jobId);
}

/**
 * Runs the job module's main with execute() captured, and resolves with the graph it builds.
 * execute() never returns inside a slot, so nothing after it in the job runs twice. With
 * `configuration` (what the main ran with on the JobManager), the job's environments start
 * from it, so that the main builds the same graph here as there.
 */
export function capturePlan(expected: JobGraph, load: () => Promise<unknown>, configuration?: Readonly<Record<string, RawValue>>): Promise<StreamGraph> {
  if (configuration !== undefined) setClientConfiguration(Configuration.fromRecord(configuration, 'the job submission'));
  return extractPlan(load, expected).then((plan) => plan.streamGraph);
}

/** A configuration's raw values by key, as an artifact carries it to the slots. */
export function rawConfiguration(configuration: Configuration): Record<string, RawScalar | RawScalar[]> {
  const record: Record<string, RawScalar | RawScalar[]> = {};
  for (const key of configuration.keys()) {
    const value = configuration.getRaw(key);
    if (value !== undefined) record[key] = typeof value === 'object' ? [...value] : value;
  }
  return record;
}

/**
 * Runs a job module until its execute() and resolves with the plan it built, without running
 * the job (`runnel info`, plan extraction on the JobManager). With `expected`, the plan must
 * have the same fingerprint.
 */
export function extractPlan(load: () => Promise<unknown>, expected?: JobGraph): Promise<JobPlan> {
  return new Promise<JobPlan>((resolve, reject) => {
    let captured = false;
    setJobExecutor({
      execute(plan: JobPlan) {
        if (!captured) {
          captured = true;
          if (expected !== undefined && plan.jobGraph.fingerprint !== expected.fingerprint) {
            reject(
              new Error(
                `the job built a different graph in this slot than on the client (${plan.jobGraph.fingerprint} vs ${expected.fingerprint}); ` +
                  'a job must build the same pipeline every time its file runs — do not branch on time, randomness or the environment',
              ),
            );
          } else {
            resolve(plan);
          }
        }
        return new Promise(() => {});
      },
    });
    load().then(
      () => {
        if (!captured) reject(new Error('the job module finished without calling execute() on its environment'));
      },
      (err: unknown) => {
        if (!captured) reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** A job module's main to run for its plan, on the JobManager. */
export interface ProgramInvocation {
  /** The job's bundle (an ES module file). */
  readonly modulePath: string;
  /** The job's arguments: process.argv.slice(2) while its main runs. */
  readonly args: readonly string[];
  /** What its environments start from (cluster configuration, the job's overrides, `-p`). */
  readonly configuration: Configuration;
  /** Longest wait for the main to call execute(). */
  readonly timeoutMs: number;
}

/** A job's main that neither called execute() nor failed within its time. */
export class ProgramTimeoutError extends Error {
  override name = 'ProgramTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`the job's main did not call execute() within ${timeoutMs} ms`);
  }
}

let extractions: Promise<unknown> = Promise.resolve();

/**
 * Runs a job module's main on the JobManager until its execute() and resolves with the plan,
 * without running the job. The module is imported afresh (a unique query string), so each job
 * gets its own instance. Extractions run one at a time, since process.argv, the client
 * configuration and the executor that execute() reaches are global to the process.
 * @throws what the main threw, Error when it ended without calling execute(), or
 *   ProgramTimeoutError.
 */
export function extractProgramPlan(invocation: ProgramInvocation): Promise<JobPlan> {
  const run = extractions.then(() => extractOnce(invocation));
  extractions = run.catch(() => undefined);
  return run;
}

/** Where execute() goes on the JobManager outside an extraction: nowhere (it never returns). */
const NOT_HERE = { execute: () => new Promise<never>(() => {}) };

async function extractOnce(invocation: ProgramInvocation): Promise<JobPlan> {
  const argv = process.argv;
  process.argv = [argv[0]!, invocation.modulePath, ...invocation.args];
  setClientConfiguration(invocation.configuration);
  let timer: NodeJS.Timeout | undefined;
  try {
    const url = `${pathToFileURL(invocation.modulePath).href}?runnel-plan=${randomUUID()}`;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ProgramTimeoutError(invocation.timeoutMs)), invocation.timeoutMs);
    });
    return await Promise.race([extractPlan(() => import(url)), timeout]);
  } finally {
    clearTimeout(timer);
    process.argv = argv;
    setClientConfiguration(undefined);
    // A main still running (timed out) must not start a job in the JobManager when it calls
    // execute() later, as the default executor (a mini-cluster) would.
    setJobExecutor(NOT_HERE);
  }
}
