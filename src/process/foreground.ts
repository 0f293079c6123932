/**
 * Runs a cluster process in the foreground, as `runnel jobmanager` / `runnel taskmanager`
 * (and the start scripts) do: fatal errors log and exit 1; SIGTERM or SIGINT stops the
 * process cleanly and exits 0; a second signal exits at once.
 */
import { constants } from 'node:os';
import { logger } from '../log/index.js';
import type { RunningProcess } from './process.js';

/** Longest clean shutdown before the process gives up on it and exits 1. */
export const SHUTDOWN_TIMEOUT_MS = 30_000;

const SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/**
 * Starts the process with `start` and keeps it running until a signal or a fatal error.
 * Resolves with the running process once started.
 * @throws whatever `start` throws (signal handlers are removed again first).
 */
export async function runInForeground<P extends RunningProcess>(
  component: string,
  start: (onFatalError: (error: Error, source: string) => void) => Promise<P>,
): Promise<P> {
  const log = logger(component.toLowerCase());

  const onFatalError = (error: Error, source: string): void => {
    log.fatal({ err: error, source }, `Fatal error in ${source}: ${error.message}. The ${component} exits so that it can be restarted.`);
    process.exit(1);
  };
  const onUncaught = (error: Error): void => onFatalError(error, 'an uncaught exception');
  const onRejection = (reason: unknown): void => onFatalError(toError(reason), 'an unhandled promise rejection');
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onRejection);

  let running: P | undefined;
  let signalled = false;
  const shutdown = (proc: P): void => {
    setTimeout(() => {
      log.error(`The ${component} did not stop within ${SHUTDOWN_TIMEOUT_MS / 1000} s; exiting anyway.`);
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    proc.stop().then(
      () => {
        log.info(`${component} stopped.`);
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, `Stopping the ${component} failed: ${toError(err).message}`);
        process.exit(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      log.warn(`Received ${signal} again; exiting at once.`);
      process.exit(128 + (constants.signals[signal] ?? 0));
    }
    signalled = true;
    log.info(`Received ${signal}; stopping the ${component}.`);
    // A signal during start-up is acted on once start-up is over.
    if (running !== undefined) shutdown(running);
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);

  try {
    running = await start(onFatalError);
  } catch (err) {
    for (const signal of SIGNALS) process.off(signal, onSignal);
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onRejection);
    throw err;
  }
  if (signalled) shutdown(running);
  return running;
}
