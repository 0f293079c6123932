/**
 * Job bundles on their way from the client to the slots: the JobManager's BlobStore and
 * BlobServer actor, a TaskManager's BlobCache, and the module folders they are imported from.
 */
export { BlobStore, isJarId, safeFileName, hashFile, type JarInfo } from './blob-store.js';
export { BlobServer } from './blob-server.js';
export { BlobCache, type BlobChunkReader } from './blob-cache.js';
export { BlobServerProtocol, BlobKeySchema, BLOB_SERVER_ACTOR, MAX_BLOB_CHUNK_BYTES, type BlobServerSpec } from './protocol.js';
export { BlobCorruptedError, BlobFetchError, BlobNotFoundError } from './errors.js';
export { RUNNEL_PACKAGE_ROOT, prepareModuleFolder } from './module-folder.js';
