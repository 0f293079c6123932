import { RequestError } from '../system/errors.js';

export class UnknownJobError extends RequestError {
  override name = 'UnknownJobError';
  constructor(readonly jobId: string) {
    super(`Job ${jobId} not found.`);
  }
}

export class DuplicateJobError extends RequestError {
  override name = 'DuplicateJobError';
  constructor(readonly jobId: string) {
    super(`Job ${jobId} has already been submitted.`);
  }
}
