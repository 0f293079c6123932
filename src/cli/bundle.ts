/**
 * Bundling a job file for the cluster: the job module, its relative imports and its
 * third-party packages become one ES module, as a jar holds a Flink job. Runnel itself stays
 * an import: the cluster provides it (Flink's runtime is 'provided' to a jar), and the job must
 * use the cluster's very instance of it.
 */
import { build, type Message, type Plugin } from 'esbuild';
import { basename, dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { JobBundleError } from './errors.js';

/** A bundled job, ready to upload. */
export interface JobBundle {
  /** `<job>.mjs`: the name it is uploaded under. */
  readonly fileName: string;
  readonly code: Uint8Array;
}

/**
 * CommonJS packages bundled into an ES module still call require() and read __dirname; give
 * them both, under names the job's own code cannot collide with (esbuild renames a job's own
 * top-level `require`, and `define` replaces only free uses of __dirname and __filename).
 */
const BANNER = [
  "import { createRequire as __runnelCreateRequire } from 'node:module';",
  "import { fileURLToPath as __runnelFileURLToPath } from 'node:url';",
  'const require = __runnelCreateRequire(import.meta.url);',
  'const __runnelFilename = __runnelFileURLToPath(import.meta.url);',
  "const __runnelDirname = __runnelFilename.slice(0, Math.max(__runnelFilename.lastIndexOf('/'), __runnelFilename.lastIndexOf('\\\\')));",
].join('\n');

/** This installation's root (as src/blob/module-folder.ts has it; not imported, to keep the client light). */
const RUNNEL_PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUNNEL_SOURCES = join(RUNNEL_PACKAGE_ROOT, 'src') + sep;
const RUNNEL_ENTRY = join(RUNNEL_PACKAGE_ROOT, 'src', 'index.ts');

/**
 * A job file inside this installation (an example, a test) may reach Runnel by a relative
 * path: its public entry becomes the `runnel` import, and any other file of Runnel's sources
 * is refused, since a bundled copy would be a second Runnel beside the cluster's.
 */
const runnelProvided: Plugin = {
  name: 'runnel-provided',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, async (args) => {
      if (args.pluginData === 'runnel-provided') return undefined;
      const resolved = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'runnel-provided' });
      if (resolved.errors.length > 0 || !resolved.path.startsWith(RUNNEL_SOURCES)) return undefined;
      if (resolved.path === RUNNEL_ENTRY) return { path: 'runnel', external: true };
      return {
        errors: [
          {
            text: `'${args.path}' is part of Runnel itself (${relative(RUNNEL_PACKAGE_ROOT, resolved.path)}): import from 'runnel' instead, which the cluster provides.`,
          },
        ],
      };
    });
  },
};

/**
 * Bundles `jobFile` (TypeScript or JavaScript) for node, as an ES module, with an inline
 * source map so that stack traces from the cluster name the job's own files and lines.
 * @throws JobBundleError naming the first problems (a missing import, a syntax error).
 */
export async function bundleJob(jobFile: string, jobFileAsGiven: string): Promise<JobBundle> {
  const dir = dirname(jobFile);
  const fileName = `${basename(jobFile, extname(jobFile))}.mjs`;
  try {
    const result = await build({
      entryPoints: [jobFile],
      absWorkingDir: dir,
      outfile: join(dir, fileName),
      write: false,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: ['runnel', 'runnel/*'],
      plugins: [runnelProvided],
      banner: { js: BANNER },
      define: { __dirname: '__runnelDirname', __filename: '__runnelFilename' },
      sourcemap: 'inline',
      sourceRoot: `${pathToFileURL(dir).href}/`,
      sourcesContent: false,
      keepNames: true,
      logLevel: 'silent',
    });
    const output = result.outputFiles.find((f) => f.path.endsWith('.mjs'));
    if (output === undefined) throw new JobBundleError(jobFileAsGiven, ['esbuild produced no output']);
    return { fileName, code: output.contents };
  } catch (err) {
    if (err instanceof JobBundleError) throw err;
    const errors = (err as { errors?: Message[] }).errors;
    if (Array.isArray(errors) && errors.length > 0) throw new JobBundleError(jobFileAsGiven, errors.slice(0, 5).map(formatMessage));
    throw new JobBundleError(jobFileAsGiven, [err instanceof Error ? err.message : String(err)]);
  }
}

function formatMessage(message: Message): string {
  const at = message.location === null ? '' : `${message.location.file}:${message.location.line}:${message.location.column + 1}: `;
  return `${at}${message.text}`;
}
