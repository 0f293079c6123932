/**
 * How a slot gets a job's live graph. Code cannot travel as data, so a slot either finds the
 * graph already built in its own thread (the mini-cluster running inline), or imports the job
 * module with execute() redirected to hand over the graph instead of running it.
 */
import type { JobGraph } from '../../api/job-graph.js';
import type { StreamGraph } from '../../api/stream-graph.js';
import { setJobExecutor, type JobPlan } from '../../api/environment.js';

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
 * execute() never returns inside a slot, so nothing after it in the job runs twice.
 */
export function capturePlan(expected: JobGraph, load: () => Promise<unknown>): Promise<StreamGraph> {
  return extractPlan(load, expected).then((plan) => plan.streamGraph);
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
