/** A job that ended FAILED or CANCELED; `cause` is the error that failed it, with its stack. */
export class JobExecutionException extends Error {
  override name = 'JobExecutionException';
  constructor(
    readonly jobId: string,
    readonly status: string,
    cause: Error | undefined,
  ) {
    super(status === 'CANCELED' ? `Job ${jobId} was cancelled.` : `Job ${jobId} failed: ${cause?.message ?? 'unknown cause'}`, cause === undefined ? undefined : { cause });
  }
}
