/** Errors of a task's checkpointing and restore. */

/** A state file to restore from is missing or unreadable: the task fails with this. */
export class StateFileError extends Error {
  override readonly name = 'StateFileError';
  constructor(
    readonly file: string,
    readonly reason: string,
    cause?: unknown,
  ) {
    super(`cannot restore from state file ${file}: ${reason}`, cause !== undefined ? { cause } : undefined);
  }
}

