/**
 * Checks of single command-line values. Each returns the parsed value or throws a UsageError
 * whose message says what was given, what is expected and an example.
 */
import { UsageError } from './errors.js';

const JOB_ID = /^[0-9a-f]{32}$/;

/** A job id: 32 lower-case hex characters, as `runnel list` prints them. */
export function parseJobId(text: string): string {
  if (JOB_ID.test(text)) return text;
  const hint = /^[0-9a-fA-F]{32}$/.test(text) ? ` (write it in lower case: ${text.toLowerCase()})` : '';
  throw new UsageError(
    `'${text}' is not a job id${hint}: a job id is 32 lower-case hex characters, as 'runnel list' prints them.`,
  );
}

/** The value of `-p/--parallelism`: a whole number of at least 1. */
export function parseParallelism(text: string): number {
  const value = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isSafeInteger(value) && value >= 1) return value;
  throw new UsageError(`-p '${text}' is not a positive integer: give the parallelism as a whole number of at least 1, e.g. -p 4.`);
}

/**
 * Collects repeated `-D key=value` arguments in order; later ones win when the configuration
 * is built. Checked here so that the error is a usage error naming the argument.
 */
export function collectDynamicProperty(text: string, previous: readonly string[] | undefined): string[] {
  const eq = text.indexOf('=');
  if (eq < 0) {
    throw new UsageError(`-D '${text}' has no '=': write -D key=value, e.g. -D rest.port=8082.`);
  }
  if (text.slice(0, eq).trim() === '') {
    throw new UsageError(`-D '${text}' has no key before '=': write -D key=value, e.g. -D rest.port=8082.`);
  }
  return [...(previous ?? []), text];
}

/** Where `-m` points: the JobManager's REST endpoint. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** The value of `-m/--jobmanager`: `host:port`, `[ipv6]:port`, optionally with `http://`. */
export function parseHostPort(text: string): HostPort {
  const bare = text.replace(/^http:\/\//i, '').replace(/\/$/, '');
  const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):(\d{1,5})$/.exec(bare);
  const port = match === null ? Number.NaN : Number(match[2]);
  if (match === null || !(port >= 1 && port <= 65535)) {
    throw new UsageError(
      `-m '${text}' is not a JobManager address: write host:port of its REST endpoint, e.g. -m localhost:8081.`,
    );
  }
  return { host: match[1]!, port };
}
