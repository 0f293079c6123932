/**
 * Builds a process's configuration: `config.yaml` from the configuration folder, overridden
 * by `-D key=value` arguments, then validated as a whole.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { logger } from '../log/index.js';
import { Configuration } from './configuration.js';
import { ConfigError } from './errors.js';
import { parseConfigYaml } from './yaml.js';

export const CONF_DIR_ENV = 'RUNNEL_CONF_DIR';
export const CONFIG_FILE_NAME = 'config.yaml';
/** How values given with `-D` name their source in warnings and errors. */
export const DYNAMIC_PROPERTIES_SOURCE = 'the -D arguments';

/** The repository's `conf/`, found from this file (not the working directory); Runnel runs from source. */
export const DEFAULT_CONF_DIR = fileURLToPath(new URL('../../conf/', import.meta.url)).replace(/\/$/, '');

export interface LoadConfigurationOptions {
  /** Folder holding `config.yaml`; wins over `RUNNEL_CONF_DIR`. */
  readonly confDir?: string;
  /** `key=value` strings, as given after `-D`; they override the file. */
  readonly dynamicProperties?: readonly string[];
  /** Where `RUNNEL_CONF_DIR` is read; `process.env` by default. */
  readonly env?: NodeJS.ProcessEnv;
  /** Receives unknown- and deprecated-key warnings; they are logged by default. */
  readonly onWarning?: (message: string) => void;
}

/**
 * The configuration folder: `confDir`, else `RUNNEL_CONF_DIR`, else the repository's `conf/`.
 * @throws ConfigError when a folder was named explicitly but does not exist.
 */
export function resolveConfDir(options: Pick<LoadConfigurationOptions, 'confDir' | 'env'> = {}): string {
  const fromEnv = (options.env ?? process.env)[CONF_DIR_ENV];
  if (options.confDir !== undefined) {
    requireFolder(options.confDir, `Configuration folder '${options.confDir}' does not exist.`);
    return options.confDir;
  }
  if (fromEnv !== undefined && fromEnv !== '') {
    requireFolder(
      fromEnv,
      `Configuration folder '${fromEnv}' named by ${CONF_DIR_ENV} does not exist. ` +
        `Point ${CONF_DIR_ENV} at a folder holding ${CONFIG_FILE_NAME}, or unset it to use ${DEFAULT_CONF_DIR}.`,
    );
    return fromEnv;
  }
  return DEFAULT_CONF_DIR;
}

function requireFolder(folder: string, missingMessage: string): void {
  const stats = statSync(folder, { throwIfNoEntry: false });
  if (stats === undefined) throw new ConfigError(missingMessage, { source: folder });
  if (!stats.isDirectory()) {
    throw new ConfigError(`Configuration folder '${folder}' is a file; expected a folder holding ${CONFIG_FILE_NAME}.`, {
      source: folder,
    });
  }
}

/**
 * Splits `-D` arguments into keys and values at the first `=`; a later duplicate wins.
 * @throws ConfigError naming the argument when it has no `=` or an empty key.
 */
export function parseDynamicProperties(args: readonly string[]): Record<string, string> {
  const properties = new Map<string, string>();
  for (const arg of args) {
    const eq = arg.indexOf('=');
    const key = eq < 0 ? '' : arg.slice(0, eq).trim();
    if (key === '') {
      throw new ConfigError(`Invalid dynamic property '${arg}': expected the form -D key=value.`, {
        source: DYNAMIC_PROPERTIES_SOURCE,
      });
    }
    properties.set(key, arg.slice(eq + 1));
  }
  return Object.fromEntries(properties);
}

function readConfigFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    if (cause instanceof Error && 'code' in cause && cause.code === 'ENOENT') return undefined;
    throw new ConfigError(`Cannot read ${file}: ${cause instanceof Error ? cause.message : String(cause)}`, { source: file }, { cause });
  }
}

/**
 * Loads, merges and validates the configuration of this process. A missing `config.yaml`
 * means all defaults.
 * @throws ConfigError for an unreadable or malformed file, a bad `-D` or a missing named folder.
 * @throws ConfigValueError for a value that does not parse as its option's type.
 */
export function loadConfiguration(options: LoadConfigurationOptions = {}): Configuration {
  const log = logger('config');
  const confDir = resolveConfDir(options);
  const file = join(confDir, CONFIG_FILE_NAME);
  const text = readConfigFile(file);

  let config = Configuration.empty();
  if (text === undefined) {
    log.debug({ file }, 'No configuration file; using defaults');
  } else {
    config = config.withAll(Object.fromEntries(parseConfigYaml(text, file)), file);
    log.debug({ file, keys: config.keys().length }, 'Loaded configuration file');
  }
  config = config.withAll(parseDynamicProperties(options.dynamicProperties ?? []), DYNAMIC_PROPERTIES_SOURCE);

  config.validate(options.onWarning ?? ((message) => log.warn(message)));
  return config;
}
