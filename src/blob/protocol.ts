import { Type } from '@sinclair/typebox';
import { defineProtocol } from '../actors/system/protocol.js';

/** A blob's key: the SHA-256 of its bytes, as 64 lower-case hex characters. */
export const BlobKeySchema = Type.String({ pattern: '^[0-9a-f]{64}$' });

/**
 * Largest chunk one `readBlob` reply carries: well below the RPC frame size (`rpc.framesize`,
 * 10 MiB by default), so a bundle of any size travels as a sequence of ordinary messages.
 */
export const MAX_BLOB_CHUNK_BYTES = 1024 * 1024;

/** The blob server on the JobManager: hands out job bundles to TaskManagers. Not fenced. */
export const BlobServerProtocol = defineProtocol('blobserver', {
  /**
   * Replies with up to `length` bytes of the blob from `offset` (fewer at its end, none past
   * it) and the blob's total size. Fails with BlobNotFoundError for an unknown key. Ask with
   * the RPC ask timeout; a caller reads a blob chunk after chunk.
   */
  readBlob: {
    request: Type.Object({
      key: BlobKeySchema,
      offset: Type.Integer({ minimum: 0 }),
      length: Type.Integer({ minimum: 1, maximum: MAX_BLOB_CHUNK_BYTES }),
    }),
    reply: Type.Object({ size: Type.Integer({ minimum: 0 }), bytes: Type.Uint8Array() }),
  },
});
export type BlobServerSpec = typeof BlobServerProtocol.spec;

/** The blob server's actor name on the JobManager. */
export const BLOB_SERVER_ACTOR = 'blobserver';
