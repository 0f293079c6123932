/**
 * Runs pipelines defined inside a test on the embedded mini-cluster, with slots inline in the
 * test's thread (so the pipeline's closures need not be re-created from a job file).
 */
import { Configuration } from '../../src/config/index.js';
import { StreamExecutionEnvironment } from '../../src/index.js';

process.env['RUNNEL_SLOT_MODE'] = 'inline';

export function env(parallelism = 1): StreamExecutionEnvironment {
  const e = StreamExecutionEnvironment.getExecutionEnvironment(Configuration.empty());
  e.setParallelism(parallelism);
  return e;
}

export function sortedJson<T>(values: readonly T[]): string[] {
  return values.map((v) => JSON.stringify(v)).sort();
}
