/**
 * Errors of the blob server and the blob cache. A blob is a job bundle, named by the SHA-256
 * of its bytes.
 */
import { RequestError } from '../actors/system/errors.js';

/** A blob the server does not hold: never published, or its JobManager restarted since. */
export class BlobNotFoundError extends RequestError {
  override name = 'BlobNotFoundError';
  constructor(readonly key: string) {
    super(`Blob ${key} is not on this blob server: the job's bundle was never published there, or the JobManager restarted since.`);
  }
}

/** A fetched blob whose bytes do not hash to its key (a corrupted transfer or store). */
export class BlobCorruptedError extends Error {
  override name = 'BlobCorruptedError';
  constructor(
    readonly key: string,
    readonly actual: string,
  ) {
    super(`Blob ${key} arrived with content hashing to ${actual}; it was not cached.`);
  }
}

/** A TaskManager could not fetch a job's bundle from the blob server. */
export class BlobFetchError extends Error {
  override name = 'BlobFetchError';
  constructor(
    readonly key: string,
    readonly server: string,
    options: { cause: unknown },
  ) {
    const detail = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`Could not fetch the job's bundle ${key} from the blob server ${server}: ${detail}`, options);
  }
}
