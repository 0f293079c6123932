/**
 * A folder from which job bundles are imported. A bundle keeps `import ... from 'runnel'`
 * (the cluster provides Runnel, as Flink's runtime is 'provided' to a jar), so the folder has
 * `node_modules/runnel` linked to this very installation. Node resolves a package through the
 * link's real path, so the bundle gets the same module instances as the runtime that imports
 * it — which plan extraction and the slot workers rely on — and no loader hook is needed.
 */
import { mkdir, readlink, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The root of this Runnel installation: the folder holding its package.json. */
export const RUNNEL_PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Creates `dir` if needed and links `dir/node_modules/runnel` to this installation. */
export async function prepareModuleFolder(dir: string): Promise<void> {
  const modules = join(dir, 'node_modules');
  await mkdir(modules, { recursive: true });
  const link = join(modules, 'runnel');
  const current = await readlink(link).catch(() => undefined);
  if (current === RUNNEL_PACKAGE_ROOT) return;
  if (current !== undefined) await rm(link, { force: true });
  try {
    // 'junction' is what Windows needs for a folder; elsewhere the type is ignored.
    await symlink(RUNNEL_PACKAGE_ROOT, link, 'junction');
  } catch (err) {
    // Another process sharing the folder made the same link first.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}
