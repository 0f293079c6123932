/**
 * Errors that stop a cluster process from starting. Each is shown as one line to whoever
 * started the process, naming the setting to change.
 */

/** The process's RPC endpoint could not be bound. */
export class BindError extends Error {
  override readonly name: string = 'BindError';
  constructor(
    message: string,
    /** `tcp://host:port` that was tried last. */
    readonly endpoint: string,
    /** The configuration key that chooses the port, e.g. `jobmanager.rpc.port`. */
    readonly portKey: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The port (or every port of the configured range) is taken by another process. */
export class PortInUseError extends BindError {
  override readonly name = 'PortInUseError';
}
