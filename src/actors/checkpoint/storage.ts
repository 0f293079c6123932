/**
 * Checkpoint storage on a filesystem: `<dir>/<job-id>/chk-<n>/` holds one state file per task
 * (written by the tasks) and `_metadata` (written last, by the coordinator, under a temporary
 * name and renamed into place). A folder without `_metadata` is an unfinished checkpoint: it
 * is never restored from and is removed. Savepoints are the same layout in a folder of their
 * own, and `_metadata` names the state files relative to it, so a savepoint can be moved.
 *
 * Incremental checkpoints also reference files in `<dir>/<job-id>/shared/`, which several
 * checkpoints share (see shared-state.ts); `_metadata` names them relative to the job's folder
 * (`shared/<file>`), so the job's folder as a whole can be moved too.
 */
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { decode, encode } from '../../net/codec.js';

export const METADATA_FILE = '_metadata';
const METADATA_VERSION = 1;

/** What `_metadata` holds: everything needed to restore the job from this checkpoint. */
export interface CheckpointMetadata {
  readonly version: number;
  readonly jobId: string;
  readonly checkpointId: number;
  readonly kind: 'CHECKPOINT' | 'SAVEPOINT';
  readonly timestamp: number;
  /** Per vertex: its parallelism then, and the state file of each subtask (relative, or null). */
  readonly vertices: Readonly<Record<string, { readonly parallelism: number; readonly maxParallelism: number; readonly files: ReadonlyArray<string | null> }>>;
  /** Per source vertex: its split enumerator's state. */
  readonly enumerators: Readonly<Record<string, unknown>>;
  /**
   * Incremental checkpoints: the shared state files (absolute) the tasks' state references, new
   * and reused. Absent in a full checkpoint, in a savepoint and in metadata written before.
   */
  readonly sharedFiles?: readonly string[];
}

/** A completed checkpoint as the coordinator keeps it. */
export interface CompletedCheckpoint {
  readonly metadata: CheckpointMetadata;
  /** Its folder. */
  readonly path: string;
  readonly bytes: number;
  readonly completedAt: number;
}

export class CheckpointStorageError extends Error {
  override readonly name = 'CheckpointStorageError';
}

/** The folder of a job's checkpoints: `execution.checkpointing.dir`, or one under the system's temp folder. */
export function jobCheckpointsDir(dir: string | null, jobId: string): string {
  return join(dir ?? join(tmpdir(), 'runnel-checkpoints'), jobId);
}

export function checkpointDir(jobDir: string, checkpointId: number): string {
  return join(jobDir, `chk-${checkpointId}`);
}

/** Where the incremental checkpoints of a job put the state files they share. */
export function sharedStateDir(jobDir: string): string {
  return join(jobDir, 'shared');
}

/** Writes `_metadata` last: to a temporary name, fsync'd, then renamed into place. */
export async function writeMetadata(folder: string, metadata: CheckpointMetadata): Promise<void> {
  const relative: CheckpointMetadata = {
    ...metadata,
    vertices: Object.fromEntries(
      Object.entries(metadata.vertices).map(([id, v]) => [id, { ...v, files: v.files.map((f) => (f === null ? null : dirname(f) === folder ? basename(f) : f)) }]),
    ),
    ...(metadata.sharedFiles === undefined ? {} : { sharedFiles: metadata.sharedFiles.map((f) => relativeToJob(folder, f)) }),
  };
  const temporary = join(folder, `.${METADATA_FILE}.inprogress`);
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(encode(relative));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, join(folder, METADATA_FILE));
}

/**
 * Reads a checkpoint's or savepoint's `_metadata`; `path` is its folder or the file itself.
 * @throws CheckpointStorageError naming the path when there is none or it is not readable.
 */
export async function readMetadata(path: string): Promise<CompletedCheckpoint> {
  const folder = basename(path) === METADATA_FILE ? dirname(path) : path;
  let bytes: Buffer;
  try {
    bytes = await readFile(join(folder, METADATA_FILE));
  } catch (cause) {
    throw new CheckpointStorageError(
      `No checkpoint or savepoint at '${path}': ${join(folder, METADATA_FILE)} cannot be read (${(cause as Error).message}). ` +
        'Give the folder of a completed checkpoint (chk-<n>) or savepoint.',
      { cause },
    );
  }
  let raw: unknown;
  try {
    raw = decode(bytes);
  } catch (cause) {
    throw new CheckpointStorageError(`The metadata of '${folder}' is corrupt: ${(cause as Error).message}`, { cause });
  }
  const metadata = raw as CheckpointMetadata;
  if (typeof raw !== 'object' || raw === null || metadata.version !== METADATA_VERSION || typeof metadata.checkpointId !== 'number' || typeof metadata.vertices !== 'object') {
    throw new CheckpointStorageError(`The metadata of '${folder}' is not a Runnel checkpoint (version ${METADATA_VERSION}).`);
  }
  const shared: unknown = metadata.sharedFiles;
  if (shared !== undefined && !(Array.isArray(shared) && shared.every((f) => typeof f === 'string' && f !== ''))) {
    throw new CheckpointStorageError(`The metadata of '${folder}' is corrupt: sharedFiles is not a list of paths.`);
  }
  const vertices = Object.fromEntries(
    Object.entries(metadata.vertices).map(([id, v]) => [id, { ...v, files: v.files.map((f) => (f === null ? null : isAbsolute(f) ? f : join(folder, f))) }]),
  );
  const sharedFiles = metadata.sharedFiles?.map((f) => (isAbsolute(f) ? f : join(dirname(folder), f)));
  let size = 0;
  for (const v of Object.values(vertices)) for (const f of v.files) if (f !== null) size += await stat(f).then((s) => s.size, () => 0);
  return { metadata: { ...metadata, vertices, ...(sharedFiles === undefined ? {} : { sharedFiles }) }, path: folder, bytes: size, completedAt: metadata.timestamp };
}

/**
 * A shared state file as `_metadata` names it: relative to the job's folder (the checkpoint
 * folder's parent) when under it, else as it is.
 */
function relativeToJob(folder: string, file: string): string {
  if (!isAbsolute(file)) return file;
  const inside = relative(dirname(folder), file);
  return inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside) ? file : inside;
}

/** Removes the unfinished checkpoints (folders without `_metadata`) of a job's folder. */
export async function removeUnfinished(jobDir: string): Promise<string[]> {
  const removed: string[] = [];
  const names = await readdir(jobDir).catch(() => [] as string[]);
  for (const name of names) {
    if (!/^chk-\d+$/.test(name)) continue;
    const folder = join(jobDir, name);
    const done = await stat(join(folder, METADATA_FILE)).then(() => true, () => false);
    if (!done) {
      await rm(folder, { recursive: true, force: true });
      removed.push(folder);
    }
  }
  return removed;
}

export async function createFolder(folder: string): Promise<void> {
  await mkdir(folder, { recursive: true });
}

/**
 * Removes a checkpoint's folder. Tasks of an aborted checkpoint may still be writing into it,
 * so removal is retried; it never throws (what is left is an unfinished checkpoint, ignored
 * and removed at the next start).
 */
export async function discard(folder: string): Promise<void> {
  await rm(folder, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }).catch(() => undefined);
}

export { METADATA_VERSION };
