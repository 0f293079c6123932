/**
 * Runnel's version, from the package.json of this installation (found from this file, so it
 * is right whatever the working directory).
 */
import { readFileSync } from 'node:fs';

function readVersion(): string {
  try {
    const manifest: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    if (typeof manifest === 'object' && manifest !== null && 'version' in manifest && typeof manifest.version === 'string') {
      return manifest.version;
    }
  } catch {
    // An installation without its package.json still runs; it just cannot say its version.
  }
  return 'unknown';
}

export const RUNNEL_VERSION: string = readVersion();
