/**
 * A TaskManager's cache of job bundles fetched from the blob server. A bundle is fetched once
 * per process (blobs are named by content, so a cached one never goes stale), chunk after
 * chunk, checked against its key, and renamed into place only when complete. The cache folder
 * is a module folder (see module-folder.ts) so that slot workers can import the bundles.
 */
import { createHash, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, open, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobCorruptedError } from './errors.js';
import { prepareModuleFolder } from './module-folder.js';
import { MAX_BLOB_CHUNK_BYTES } from './protocol.js';

/** Reads one chunk of a blob from the server. */
export type BlobChunkReader = (key: string, offset: number, length: number) => Promise<{ size: number; bytes: Uint8Array }>;

export class BlobCache {
  private folder: Promise<string> | undefined;
  /** The folder's path once it exists, for a synchronous clean-up at process exit. */
  private created: string | undefined;
  private readonly fetching = new Map<string, Promise<string>>();

  /** `directory`: where to create this cache's `blobCache-<id>` folder (default: temp folder). */
  constructor(private readonly directory: string | undefined = undefined) {}

  /** The cache's folder; undefined before the first fetch created it. */
  get root(): string | undefined {
    return this.created;
  }

  /** Resolves with the local path of blob `key`, fetching it with `read` unless cached. */
  get(key: string, read: BlobChunkReader): Promise<string> {
    let pending = this.fetching.get(key);
    if (pending === undefined) {
      pending = this.fetch(key, read);
      this.fetching.set(key, pending);
      // A failed fetch is not cached: the next job using the blob tries again.
      pending.catch(() => this.fetching.delete(key));
    }
    return pending;
  }

  /** Removes the cache's folder; the next fetch creates a new one. */
  async close(): Promise<void> {
    const folder = await this.folder?.catch(() => undefined);
    this.reset();
    if (folder !== undefined) await rm(folder, { recursive: true, force: true });
  }

  /** close() for a process 'exit' handler, where only synchronous work runs. */
  closeSync(): void {
    const folder = this.created;
    this.reset();
    if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  }

  private reset(): void {
    this.folder = undefined;
    this.created = undefined;
    this.fetching.clear();
  }

  private dir(): Promise<string> {
    this.folder ??= (async () => {
      const parent = this.directory ?? tmpdir();
      await mkdir(parent, { recursive: true });
      const dir = await mkdtemp(join(parent, 'blobCache-'));
      this.created = dir;
      await prepareModuleFolder(dir);
      return dir;
    })();
    return this.folder;
  }

  private async fetch(key: string, read: BlobChunkReader): Promise<string> {
    const dir = await this.dir();
    const path = join(dir, `${key}.mjs`);
    if ((await stat(path).catch(() => undefined)) !== undefined) return path;
    const temp = join(dir, `.${key}-${randomUUID()}`);
    const file = await open(temp, 'w');
    const hash = createHash('sha256');
    try {
      let offset = 0;
      for (;;) {
        const { size, bytes } = await read(key, offset, MAX_BLOB_CHUNK_BYTES);
        if (bytes.length > 0) {
          hash.update(bytes);
          await file.write(bytes);
          offset += bytes.length;
        }
        if (offset >= size || bytes.length === 0) break;
      }
      await file.close();
      const actual = hash.digest('hex');
      if (actual !== key) throw new BlobCorruptedError(key, actual);
      await rename(temp, path);
      return path;
    } catch (err) {
      await file.close().catch(() => {});
      await rm(temp, { force: true });
      throw err;
    }
  }
}
