import { RequestError } from '../system/errors.js';

export class NotEnoughSlotsError extends RequestError {
  override name = 'NotEnoughSlotsError';
  constructor(
    readonly jobId: string,
    readonly requested: number,
    readonly free: number,
    readonly timeoutMs: number,
  ) {
    super(
      `Could not get ${requested} slots for job ${jobId} within ${timeoutMs} ms: ${free} are free. ` +
        'Start more TaskManagers, give them more slots (taskmanager.numberOfTaskSlots), or lower the parallelism.',
    );
  }
}
