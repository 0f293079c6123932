/**
 * Files that must survive a crash once written: checkpoint state and the files incremental
 * checkpoints share.
 */
import { constants as fsConstants } from 'node:fs';
import { copyFile, open } from 'node:fs/promises';

/**
 * Syncs a folder, so that the files just created or renamed in it survive a crash. Some
 * platforms and file systems cannot sync a folder: there the files' own syncs have to do.
 */
export async function syncFolder(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Nothing more can be done for the folder; its files are synced.
  } finally {
    await handle?.close();
  }
}

/**
 * Copies `from` to `to`, which must not exist, and syncs the copy; resolves with its size. The
 * folder of `to` is not synced: call syncFolder once after copying several.
 */
export async function copyFileDurably(from: string, to: string): Promise<number> {
  await copyFile(from, to, fsConstants.COPYFILE_EXCL);
  const handle = await open(to, 'r+');
  try {
    await handle.sync();
    return (await handle.stat()).size;
  } finally {
    await handle.close();
  }
}
