/**
 * Errors of the command-line client. Every one is shown to the person at the terminal as a
 * single line, so messages say what is wrong and what to do; none is printed with a stack.
 * The exit code follows from the class: 2 for bad usage, 1 for everything else.
 */

/** Exit code for bad command-line usage (unknown option, missing or malformed argument). */
export const EXIT_USAGE = 2;
/** Exit code for a command that was understood but failed. */
export const EXIT_FAILURE = 1;

/** The command line itself is wrong; the message names the problem and the fix. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A command that was understood but could not be carried out. */
export class CliError extends Error {
  override readonly name: string = 'CliError';
}

/** The job file given to `run` or `info` is missing or is not a module Runnel can load. */
export class JobFileError extends CliError {
  override readonly name = 'JobFileError';
  constructor(
    message: string,
    readonly jobFile: string,
  ) {
    super(message);
  }
}

/** A feature of the command line that later versions provide. */
export class NotAvailableError extends CliError {
  override readonly name = 'NotAvailableError';
}

/** Why the JobManager's REST endpoint could not be reached. */
export type UnreachableReason = 'connection refused' | 'host not found' | 'timed out' | 'port blocked' | 'network error';

/** No answer at all from the JobManager's REST endpoint. */
export class JobManagerUnreachableError extends CliError {
  override readonly name = 'JobManagerUnreachableError';
  constructor(
    readonly url: string,
    readonly reason: UnreachableReason,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(unreachableMessage(url, reason, detail), options);
  }
}

function unreachableMessage(url: string, reason: UnreachableReason, detail: string): string {
  const advice =
    'Is the cluster running? Start it with scripts/start-cluster.sh, or point -m / rest.address at it.';
  switch (reason) {
    case 'connection refused':
      return `Could not connect to the JobManager at ${url} (connection refused). ${advice}`;
    case 'host not found':
      return `Could not connect to the JobManager at ${url} (host not found). Check -m, rest.address and jobmanager.rpc.address.`;
    case 'timed out':
      return `Could not connect to the JobManager at ${url} (no answer within ${detail}). ${advice}`;
    case 'port blocked':
      return `Could not connect to the JobManager at ${url}: HTTP clients refuse that port as unsafe. Serve the REST API on another rest.port.`;
    case 'network error':
      return `Could not connect to the JobManager at ${url} (${detail}). ${advice}`;
  }
}

/**
 * The JobManager answered with an error status; `messages` are the first lines of its
 * `{"errors": [...]}`, `details` the entries in full (a stack trace, for instance).
 */
export class RestApiError extends CliError {
  override readonly name = 'RestApiError';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly messages: readonly string[],
    readonly details: readonly string[] = messages,
  ) {
    super(
      messages.length > 0
        ? messages.join('; ')
        : `The JobManager answered ${method} ${path} with HTTP ${status} and no error message.`,
    );
  }
}

/** The JobManager answered, but not with what its REST API promises. */
export class InvalidResponseError extends CliError {
  override readonly name = 'InvalidResponseError';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly problem: string,
  ) {
    super(`Unexpected answer from the JobManager to ${method} ${path}: ${problem}. Is that endpoint a Runnel JobManager?`);
  }
}

/** A savepoint (or stop-with-savepoint) the JobManager reported as failed. */
export class SavepointFailedError extends CliError {
  override readonly name = 'SavepointFailedError';
  constructor(
    readonly jobId: string,
    readonly failureCause: string,
  ) {
    super(`Triggering a savepoint for the job ${jobId} failed: ${failureCause}`);
  }
}

/** The job's own code threw while building its graph; the message carries the job's stack. */
export class JobProgramError extends CliError {
  override readonly name = 'JobProgramError';
  constructor(
    readonly jobFile: string,
    cause: unknown,
  ) {
    const detail = cause instanceof Error ? (cause.stack ?? `${cause.name}: ${cause.message}`) : String(cause);
    super(`The program '${jobFile}' finished with the following exception:\n${detail}`, { cause });
  }
}

/** The job file could not be bundled (a missing import, a syntax error). */
export class JobBundleError extends CliError {
  override readonly name = 'JobBundleError';
  constructor(
    readonly jobFile: string,
    readonly problems: readonly string[],
  ) {
    super(`Could not bundle the job file '${jobFile}':\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

/** The cluster ran the job's main and it failed; `detail` is the JobManager's account, with the stack. */
export class JobSubmissionError extends CliError {
  override readonly name = 'JobSubmissionError';
  constructor(
    readonly jobFile: string,
    readonly detail: string,
  ) {
    super(`The program '${jobFile}' finished with the following exception:\n${detail}`);
  }
}

/** An attached job that ended FAILED or CANCELED; `cause` is its failure as the cluster reported it. */
export class JobFailedError extends CliError {
  override readonly name = 'JobFailedError';
  constructor(
    readonly jobId: string,
    readonly status: string,
    readonly failureCause: string | undefined,
  ) {
    const what = status === 'CANCELED' ? `Job was cancelled (JobID: ${jobId}).` : `Job failed (JobID: ${jobId}, status ${status}).`;
    super(
      `The program finished with the following exception:\n\n${what}` + (failureCause === undefined ? '' : `\nCaused by: ${failureCause}`),
    );
  }
}

/** Puts what the CLI was doing in front of the JobManager's own error message. */
export async function explained<T>(what: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (err) {
    if (err instanceof RestApiError) throw new CliError(`${what}: ${err.message}`, { cause: err });
    throw err;
  }
}
