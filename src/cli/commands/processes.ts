/**
 * `runnel jobmanager` and `runnel taskmanager`: load the configuration, set up logging from
 * it, and run the process in the foreground until SIGTERM/SIGINT.
 */
import { LogOptions, type Configuration } from '../../config/index.js';
import { configureLogging } from '../../log/index.js';
import { runInForeground, startJobManager, startTaskManager, type RunningProcess } from '../../process/index.js';
import { loadCliConfiguration, type CliIO } from '../context.js';
import { RUNNEL_VERSION } from '../version.js';

export interface ProcessVerbOptions {
  readonly D?: readonly string[];
}

export type ProcessKind = 'jobmanager' | 'taskmanager';

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];

/** `log.level` when set; else `RUNNEL_LOG_LEVEL` (a quick override for one run); else the default. */
function logLevel(config: Configuration, env: NodeJS.ProcessEnv): LogLevel {
  const configured = config.get(LogOptions.LEVEL);
  const wanted = config.contains(LogOptions.LEVEL) ? configured : (env['RUNNEL_LOG_LEVEL'] ?? configured);
  return LOG_LEVELS.find((level) => level === wanted) ?? 'info';
}

/**
 * Starts the process and resolves once it runs; the process then lives until a signal.
 * @throws ConfigError, PortInUseError or BindError when it cannot start.
 */
export async function runClusterProcess(io: CliIO, kind: ProcessKind, options: ProcessVerbOptions): Promise<RunningProcess> {
  const { config, confDir } = loadCliConfiguration(io, options.D ?? []);
  configureLogging({ level: logLevel(config, io.env), format: config.get(LogOptions.FORMAT) === 'json' ? 'json' : 'text' });
  const environment = (onFatalError: (error: Error, source: string) => void) => ({ version: RUNNEL_VERSION, confDir, onFatalError });
  return kind === 'jobmanager'
    ? runInForeground('JobManager', (onFatalError) => startJobManager(config, environment(onFatalError)))
    : runInForeground('TaskManager', (onFatalError) => startTaskManager(config, environment(onFatalError)));
}
