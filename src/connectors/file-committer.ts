/**
 * The second phase of the {@link FileSink}'s two-phase commit: publishing a pending part file
 * is renaming it from its hidden name to its final name, once the checkpoint that holds its
 * committable completed.
 *
 * Committing is idempotent, because after a failover the committables of the last completed
 * checkpoint are committed again: a committable whose pending file is gone and whose final file
 * exists was committed already and is skipped. Every other state is an error that names the
 * files: pending and final both missing (the data is lost: someone deleted it, or the folder is
 * not the one the checkpoint was taken against), pending and final both present (publishing
 * would overwrite a file another writer published), or a pending file whose size is not the one
 * the checkpoint recorded (it was truncated or appended to after the writer closed it).
 */
import { open, rename, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { dirname } from 'node:path';
import { FileSinkError } from './errors.js';
import type { Committer, CommitterInitContext } from './sink.js';

/**
 * What a checkpoint stores for one pending part file: plain data (it goes through CBOR into
 * the checkpoint). Paths are absolute; `size` is the file's length when the writer closed it.
 */
export interface FileSinkCommittable {
  /** The closed, synced, hidden part file: `<dir>/.<name>.inprogress`. */
  readonly pendingPath: string;
  /** Where committing puts it: `<dir>/<name>`. */
  readonly finalPath: string;
  /** Bytes in the pending file. */
  readonly size: number;
}

/** Whether {@link commitPendingFile} renamed the file now or found it committed already. */
export type CommitOutcome = 'committed' | 'already-committed';

/** Publishes one pending file (see the module comment for the states it accepts). */
export async function commitPendingFile(c: FileSinkCommittable): Promise<CommitOutcome> {
  const pending = await statIfExists(c.pendingPath);
  if (pending === undefined) {
    if ((await statIfExists(c.finalPath)) !== undefined) return 'already-committed';
    throw new FileSinkError(c.finalPath, `Cannot commit: the pending file '${c.pendingPath}' is gone and there is no final file`);
  }
  if (pending.size !== c.size) {
    throw new FileSinkError(c.pendingPath, `Cannot commit: the checkpoint recorded ${c.size} bytes, found ${pending.size}, in the pending file`);
  }
  if ((await statIfExists(c.finalPath)) !== undefined) {
    throw new FileSinkError(c.finalPath, `Cannot commit '${c.pendingPath}': it would overwrite the existing file`);
  }
  try {
    await rename(c.pendingPath, c.finalPath);
    return 'committed';
  } catch (cause) {
    // Another commit of the same committable (a recommit racing the first) may have won.
    if (errorCode(cause) === 'ENOENT' && (await statIfExists(c.finalPath)) !== undefined) return 'already-committed';
    throw new FileSinkError(c.finalPath, `Cannot publish '${c.pendingPath}' as`, { cause });
  }
}

/**
 * Makes the renames and creations in `dir` durable (a rename is only on disk once its folder
 * is synced). Filesystems that cannot sync a folder (EINVAL) are left as they are.
 */
export async function syncFolder(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (cause) {
    if (errorCode(cause) !== 'EINVAL') throw new FileSinkError(dir, 'Cannot sync the output folder', { cause });
  } finally {
    await handle?.close();
  }
}

/**
 * The committer of a {@link FileSink}: publishes the committables of a completed checkpoint,
 * in order, then syncs each folder they were renamed in once.
 */
export class FileCommitter implements Committer<FileSinkCommittable> {
  readonly context: CommitterInitContext;
  /** Files renamed by this committer and committables found committed already (for tests and metrics). */
  committed = 0;
  alreadyCommitted = 0;

  constructor(context: CommitterInitContext) {
    this.context = context;
  }

  async commit(committables: readonly FileSinkCommittable[]): Promise<void> {
    const folders = new Set<string>();
    for (const c of committables) {
      if ((await commitPendingFile(c)) === 'committed') {
        this.committed++;
        folders.add(dirname(c.finalPath));
      } else {
        this.alreadyCommitted++;
      }
    }
    for (const dir of folders) await syncFolder(dir);
  }

  close(): void {}
}

async function statIfExists(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (cause) {
    if (errorCode(cause) === 'ENOENT') return undefined;
    throw new FileSinkError(path, 'Cannot look at', { cause });
  }
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}
