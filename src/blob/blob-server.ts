/**
 * The blob server: an actor on the JobManager that hands out job bundles from the BlobStore,
 * a chunk per ask, to the TaskManagers that run the job. Reading a chunk is file I/O outside
 * the actor's state, so the reply is a promise and the actor goes on with its next message.
 */
import { Actor } from '../actors/system/actor.js';
import type { Handlers } from '../actors/system/protocol.js';
import type { BlobStore } from './blob-store.js';
import { BlobServerProtocol, type BlobServerSpec } from './protocol.js';

export class BlobServer extends Actor<BlobServerSpec> {
  readonly protocol = BlobServerProtocol;

  constructor(private readonly store: BlobStore) {
    super();
  }

  readonly receive: Handlers<BlobServerSpec> = {
    readBlob: ({ key, offset, length }) => this.store.readChunk(key, offset, length),
  };
}
