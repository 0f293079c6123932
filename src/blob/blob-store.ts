/**
 * The JobManager's store of job bundles, under `blob.storage.directory` (default: the system's
 * temp folder) in a `blobStore-<uuid>` folder of its own, made on first use (a JobManager that
 * never gets a job leaves nothing behind) and removed when the JobManager stops:
 *
 *   jars/<uuid>_<name>     bundles as uploaded (`POST /jars/upload`), listed by `GET /jars`
 *   blobs/<sha256>.mjs     bundles of submitted jobs, named by content: what TaskManagers fetch
 *   node_modules/runnel    link to this installation (see module-folder.ts)
 *
 * Files are written under a temporary name and renamed into place, so a reader never sees a
 * partial one.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, rmSync } from 'node:fs';
import { copyFile, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { BlobNotFoundError } from './errors.js';
import { prepareModuleFolder } from './module-folder.js';

/** One uploaded bundle, as `GET /jars` lists it. */
export interface JarInfo {
  /** `<uuid>_<name>`: the id of `/jars/:jarid`. */
  readonly id: string;
  /** The file name it was uploaded with. */
  readonly name: string;
  /** Epoch milliseconds. */
  readonly uploaded: number;
}

const JAR_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}_[A-Za-z0-9._-]{1,200}$/;
const BLOB_KEY = /^[0-9a-f]{64}$/;

/** Roots of stores not closed yet: removed at process exit too, when a process ends without stop(). */
const openRoots = new Set<string>();
let exitHook = false;

function removeAtExit(root: string): void {
  openRoots.add(root);
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const dir of openRoots) rmSync(dir, { recursive: true, force: true });
  });
}

/** Whether `id` has the shape of a jar id (it may still be unknown). */
export function isJarId(id: string): boolean {
  return JAR_ID.test(id);
}

/** An uploaded file name reduced to what is safe in a path and a URL. */
export function safeFileName(name: string): string {
  const base = basename(name.replaceAll('\\', '/')).replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '');
  return (base === '' ? 'job.mjs' : base).slice(0, 200);
}

/** SHA-256 of a file's bytes, as hex. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

export class BlobStore {
  private made: Promise<void> | undefined;

  private constructor(readonly root: string) {}

  get jarsDir(): string {
    return join(this.root, 'jars');
  }

  get blobsDir(): string {
    return join(this.root, 'blobs');
  }

  /** A fresh store in `directory` (the system's temp folder when undefined); its folder is made on first use. */
  static create(directory: string | undefined): BlobStore {
    return new BlobStore(join(directory ?? tmpdir(), `blobStore-${randomUUID()}`));
  }

  /** Makes the store's folders, once. */
  private ensure(): Promise<void> {
    this.made ??= (async () => {
      removeAtExit(this.root);
      await mkdir(this.root, { recursive: true, mode: 0o700 });
      await Promise.all([mkdir(this.jarsDir, { recursive: true }), mkdir(this.blobsDir, { recursive: true }), prepareModuleFolder(this.root)]);
    })();
    return this.made;
  }

  /** A fresh temporary path in the jars folder for an upload in progress. */
  async uploadPath(): Promise<string> {
    await this.ensure();
    return join(this.jarsDir, `.upload-${randomUUID()}`);
  }

  /** Moves a finished upload into place; resolves with its jar id. */
  async commitUpload(tempPath: string, fileName: string): Promise<string> {
    const id = `${randomUUID()}_${safeFileName(fileName)}`;
    await rename(tempPath, join(this.jarsDir, id));
    return id;
  }

  async listJars(): Promise<JarInfo[]> {
    const names = (await readdir(this.jarsDir).catch(() => [])).filter(isJarId);
    const infos = await Promise.all(
      names.map(async (id) => {
        const stats = await stat(join(this.jarsDir, id)).catch(() => undefined);
        return stats === undefined ? undefined : { id, name: id.slice(id.indexOf('_') + 1), uploaded: Math.round(stats.mtimeMs) };
      }),
    );
    return infos.filter((i): i is JarInfo => i !== undefined).sort((a, b) => b.uploaded - a.uploaded);
  }

  /** The path of an uploaded bundle, or undefined when there is no such jar. */
  async jarPath(id: string): Promise<string | undefined> {
    if (!isJarId(id)) return undefined;
    const path = join(this.jarsDir, id);
    const stats = await stat(path).catch(() => undefined);
    return stats?.isFile() === true ? path : undefined;
  }

  /** Deletes an uploaded bundle; false when there was none. Published blobs stay. */
  async deleteJar(id: string): Promise<boolean> {
    const path = await this.jarPath(id);
    if (path === undefined) return false;
    await rm(path, { force: true });
    return true;
  }

  /**
   * Publishes an uploaded bundle as a blob: its key is the SHA-256 of its bytes, so the same
   * bundle run twice is one blob. Resolves with the key and the blob's path.
   */
  async publish(jarPath: string): Promise<{ key: string; path: string }> {
    await this.ensure();
    const key = await hashFile(jarPath);
    const path = this.blobPath(key);
    if ((await stat(path).catch(() => undefined)) === undefined) {
      const temp = join(this.blobsDir, `.${key}-${randomUUID()}`);
      await copyFile(jarPath, temp);
      await rename(temp, path);
    }
    return { key, path };
  }

  blobPath(key: string): string {
    if (!BLOB_KEY.test(key)) throw new BlobNotFoundError(key);
    return join(this.blobsDir, `${key}.mjs`);
  }

  /**
   * Up to `length` bytes of a blob from `offset`, and its total size.
   * @throws BlobNotFoundError for an unknown key.
   */
  async readChunk(key: string, offset: number, length: number): Promise<{ size: number; bytes: Uint8Array }> {
    const handle = await open(this.blobPath(key), 'r').catch((err: unknown) => {
      throw (err as NodeJS.ErrnoException).code === 'ENOENT' ? new BlobNotFoundError(key) : err;
    });
    try {
      const { size } = await handle.stat();
      const wanted = Math.max(0, Math.min(length, size - offset));
      const bytes = Buffer.alloc(wanted);
      let read = 0;
      while (read < wanted) {
        const { bytesRead } = await handle.read(bytes, read, wanted - read, offset + read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
      return { size, bytes: bytes.subarray(0, read) };
    } finally {
      await handle.close();
    }
  }

  /** Removes the store's folder and everything in it. */
  async close(): Promise<void> {
    await this.made?.catch(() => undefined);
    await rm(this.root, { recursive: true, force: true });
    openRoots.delete(this.root);
  }
}
