/** What every cluster process gets from its launcher and gives back to it. */

export interface ProcessEnvironment {
  /** Runnel's version, for the start-up line. */
  readonly version: string;
  /** The folder the configuration was read from, for the start-up line. */
  readonly confDir: string;
  /**
   * The process can no longer work correctly (a top-level actor gave up). The launcher logs
   * and exits, so that whatever supervises the process restarts it fresh (Flink's fatal
   * error handler).
   */
  readonly onFatalError: (error: Error, source: string) => void;
}

/** A started process: stopping it releases everything it holds. */
export interface RunningProcess {
  /** `JobManager` or `TaskManager`. */
  readonly component: string;
  /** Stops the components in reverse start order and closes the endpoints. */
  stop(): Promise<void>;
}
