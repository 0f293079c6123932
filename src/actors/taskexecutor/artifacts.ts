/**
 * Where a TaskExecutor gets a job's code before its slots load it. A job submitted to a
 * standalone cluster names a bundle on the JobManager's blob server: it is fetched once per
 * TaskManager process into a BlobCache (a folder whose `node_modules/runnel` links to this
 * installation) and the slots import it from there. A mini-cluster's artifact already names a
 * local module, or none when the graph is live in the process; it is used as it is.
 */
import { BlobCache, BlobFetchError, BlobServerProtocol } from '../../blob/index.js';
import type { ActorSystem } from '../system/system.js';
import type { JobArtifact } from '../task/deployment.js';

let shared: BlobCache | undefined;

/** This process's cache: created on first use, its folder removed when the process exits. */
function processCache(): BlobCache {
  if (shared === undefined) {
    const cache = new BlobCache();
    shared = cache;
    process.once('exit', () => {
      try {
        cache.closeSync();
      } catch {
        // Best effort: the folder is under the temp folder.
      }
    });
  }
  return shared;
}

/**
 * The artifact with `modulePath` naming a local file the slots can import: the blob fetched
 * into this process's cache when the artifact names one.
 * @throws BlobFetchError when the blob server cannot hand it out.
 */
export async function localArtifact(system: ActorSystem, artifact: JobArtifact, askTimeoutMs: number): Promise<JobArtifact> {
  const blob = artifact.blob;
  if (blob === undefined) return artifact;
  const server = system.ref(BlobServerProtocol, blob.server);
  try {
    const modulePath = await processCache().get(blob.key, (key, offset, length) =>
      system.ask(server, { type: 'readBlob', key, offset, length }, askTimeoutMs),
    );
    return { ...artifact, modulePath };
  } catch (err) {
    throw new BlobFetchError(blob.key, blob.server, { cause: err });
  }
}
