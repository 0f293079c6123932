/**
 * Reference counts of the shared state files of incremental checkpoints (Flink's
 * SharedStateRegistry). An incremental RocksDB checkpoint uploads only the SST files it has not
 * uploaded before, into `<job's checkpoint folder>/shared/`, and names every shared file its
 * state references, new or reused. Such a file belongs to no single `chk-<n>` folder: it goes
 * only when no retained checkpoint references it any more.
 *
 * The counts live in the coordinator's memory and change synchronously, inside the
 * coordinator's turn; only the removal of files is asynchronous. A file is never removed unless
 * it lies under the job's `shared/` folder: a checkpoint restored from another job's folder
 * (`runnel run -s`) shares files that this job does not own.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';

export interface SharedStateRegistryOptions {
  /** The job's shared folder (`<job's checkpoint folder>/shared`): nothing outside it is ever removed. */
  readonly sharedDir: string;
  /** Removes one file, and resolves once it is gone (the coordinator's: `fs.rm` with `force`). */
  readonly remove: (path: string) => Promise<void>;
  /** Told why a file no longer referenced is kept, or could not be removed. */
  readonly warn: (message: string) => void;
}

export class SharedStateRegistry {
  private readonly sharedDir: string;
  /** Path → how many registered checkpoints reference it. */
  private readonly counts = new Map<string, number>();
  /** Checkpoint id → the paths it registered (each once). */
  private readonly checkpoints = new Map<number, readonly string[]>();

  constructor(private readonly options: SharedStateRegistryOptions) {
    this.sharedDir = resolve(options.sharedDir);
  }

  /**
   * A completed checkpoint references `paths` (absolute): one reference each, however often a
   * path is named. A checkpoint registers once.
   */
  register(checkpointId: number, paths: Iterable<string>): void {
    if (this.checkpoints.has(checkpointId)) throw new Error(`Checkpoint ${checkpointId} registered its shared state files twice.`);
    const unique = [...new Set([...paths].map(normalise))];
    this.checkpoints.set(checkpointId, unique);
    for (const path of unique) this.counts.set(path, (this.counts.get(path) ?? 0) + 1);
  }

  /**
   * A completed checkpoint was subsumed or discarded: drops its references at once and removes
   * the files no checkpoint references any more. Resolves with the paths removed; never rejects.
   * A checkpoint that never registered is a no-op.
   */
  unregister(checkpointId: number): Promise<string[]> {
    const paths = this.checkpoints.get(checkpointId);
    if (paths === undefined) return Promise.resolve([]);
    this.checkpoints.delete(checkpointId);
    const unreferenced: string[] = [];
    for (const path of paths) {
      const count = this.counts.get(path)! - 1;
      if (count > 0) {
        this.counts.set(path, count);
      } else {
        this.counts.delete(path);
        unreferenced.push(path);
      }
    }
    return this.removeAll(unreferenced, `no retained checkpoint references it since checkpoint ${checkpointId} was discarded`);
  }

  /**
   * A checkpoint that never completed (aborted, declined, expired, its metadata not written)
   * named `paths`: those no completed checkpoint references were uploaded for it alone and are
   * removed. Resolves with the paths removed; never rejects.
   */
  discardUnregistered(checkpointId: number, paths: Iterable<string>): Promise<string[]> {
    const unregistered = [...new Set([...paths].map(normalise))].filter((path) => !this.counts.has(path));
    return this.removeAll(unregistered, `checkpoint ${checkpointId} uploaded it and did not complete`);
  }

  /** How many registered checkpoints reference `path`. */
  references(path: string): number {
    return this.counts.get(normalise(path)) ?? 0;
  }

  /** The checkpoints whose references are registered, oldest first. */
  registered(): number[] {
    return [...this.checkpoints.keys()].sort((a, b) => a - b);
  }

  private async removeAll(paths: readonly string[], why: string): Promise<string[]> {
    const removed = await Promise.all(
      paths.map(async (path) => {
        if (!this.isShared(path)) {
          this.options.warn(`Keeping ${path} although ${why}: it is not under the job's shared folder ${this.sharedDir}.`);
          return undefined;
        }
        try {
          await this.options.remove(path);
          return path;
        } catch (err) {
          this.options.warn(`Could not remove the shared state file ${path} (${why}): ${(err as Error).message}`);
          return undefined;
        }
      }),
    );
    return removed.filter((path) => path !== undefined);
  }

  private isShared(path: string): boolean {
    if (!isAbsolute(path)) return false;
    const inside = relative(this.sharedDir, path);
    return inside !== '' && inside !== '..' && !inside.startsWith(`..${sep}`) && !isAbsolute(inside);
  }
}

/** One spelling per file, so that `a/./b` and `a/b` count together; relative paths stay as given (never removed). */
function normalise(path: string): string {
  return isAbsolute(path) ? resolve(path) : path;
}
