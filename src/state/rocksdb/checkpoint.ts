/**
 * Local checkpoints of a store's RocksDB folder, for incremental checkpoints: SST files are
 * immutable and uniquely named, so a checkpoint hard-links them (shared with the live database
 * and with earlier checkpoints: an uploader sends each SST file once) and copies only the small
 * mutable files (CURRENT, MANIFEST, OPTIONS, the WAL).
 *
 * The `rocksdb` binding has no `Checkpoint::Create`, no `GetLiveFiles` and no
 * `DisableFileDeletions`, so the live file set cannot be pinned while the database runs:
 * background compactions may delete or add files between listing and linking. The store
 * therefore closes the database (a closed RocksDB folder is consistent), captures the folder and
 * reopens it (see RocksDBStore.checkpoint). Reopening replays the WAL into a new L0 SST file.
 */
import { copyFile, link, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** The files of one local checkpoint, by name. */
export interface LocalCheckpoint {
  readonly directory: string;
  /** Hard-linked SST files: immutable, shared with the live database and other checkpoints. */
  readonly sharedFiles: readonly string[];
  /** Copied files (CURRENT, MANIFEST, OPTIONS, WAL, IDENTITY): this checkpoint's own. */
  readonly privateFiles: readonly string[];
}

/**
 * Captures the RocksDB folder `source` into the new folder `target` (which must not exist). The
 * database in `source` must be closed. The result opens as a RocksDB database of its own.
 */
export async function captureClosedDatabase(source: string, target: string): Promise<LocalCheckpoint> {
  await mkdir(target);
  const sharedFiles: string[] = [];
  const privateFiles: string[] = [];
  for (const name of (await readdir(source)).sort()) {
    // LOCK belongs to the live database; LOG files are its info log.
    if (name === 'LOCK' || name === 'LOG' || name.startsWith('LOG.old')) continue;
    const from = join(source, name);
    const to = join(target, name);
    if (name.endsWith('.sst')) {
      await linkOrCopy(from, to);
      sharedFiles.push(name);
    } else {
      await copyFile(from, to);
      privateFiles.push(name);
    }
  }
  return { directory: target, sharedFiles, privateFiles };
}

/** Hard-links `from` as `to`, or copies it where the two are on different file systems. */
export async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (error) {
    // Another file system: a copy is as good, only bigger.
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    await copyFile(from, to);
  }
}

