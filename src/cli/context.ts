/**
 * What every CLI verb works with: where its output goes, its environment, and the
 * configuration built from `config.yaml` plus its `-D` arguments.
 */
import {
  ConfigError,
  JobManagerOptions,
  loadConfiguration,
  resolveConfDir,
  RestOptions,
  type Configuration,
} from '../config/index.js';
import type { HostPort } from './args.js';

/** The process's streams and environment, injected so that tests can run verbs in-process. */
export interface CliIO {
  /** Writes text as given (lines end with '\n'). */
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** Relative job files are resolved against this folder. */
  readonly cwd: string;
}

/** The real process's streams and environment. */
export function processIO(): CliIO {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
  };
}

export function println(write: (text: string) => void, line: string): void {
  write(`${line}\n`);
}

export interface LoadedConfiguration {
  readonly config: Configuration;
  /** The folder `config.yaml` was read from (it may hold none). */
  readonly confDir: string;
}

/**
 * Loads the configuration for one verb. Unknown or deprecated keys are printed to standard
 * error as warnings, before anything else happens (for a process: before its first log line).
 * @throws ConfigError or ConfigValueError; the CLI turns them into exit code 1.
 */
export function loadCliConfiguration(io: CliIO, dynamicProperties: readonly string[]): LoadedConfiguration {
  const confDir = resolveConfDir({ env: io.env });
  const config = loadConfiguration({
    confDir,
    dynamicProperties,
    env: io.env,
    onWarning: (message) => println(io.stderr, `Warning: ${message}`),
  });
  return { config, confDir };
}

/**
 * The JobManager's REST endpoint: `-m` when given, else `rest.address` (falling back to
 * `jobmanager.rpc.address`, as in Flink) and `rest.port`.
 */
export function restEndpoint(config: Configuration, fromCommandLine: HostPort | undefined): HostPort {
  if (fromCommandLine !== undefined) return fromCommandLine;
  const host = config.getOptional(RestOptions.ADDRESS) ?? config.get(JobManagerOptions.RPC_ADDRESS);
  if (host.trim() === '') {
    throw new ConfigError(`'${RestOptions.ADDRESS.key}' is empty: set it to the JobManager's host, or pass -m host:port.`, {
      key: RestOptions.ADDRESS.key,
    });
  }
  return { host, port: config.get(RestOptions.PORT) };
}
