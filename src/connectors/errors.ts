/**
 * Errors raised by sources and sinks. A user sees them as the cause of a failed job, so each
 * names the connector, the resource and what went wrong, and keeps the underlying `cause`.
 */

/** A connector built with arguments it cannot work with (a bad range, a rate of zero, ...). */
export class ConnectorArgumentError extends Error {
  override readonly name: string = 'ConnectorArgumentError';
  readonly connector: string;
  readonly argument: string;

  constructor(connector: string, argument: string, message: string) {
    super(`${connector}: invalid ${argument}: ${message}`);
    this.connector = connector;
    this.argument = argument;
  }
}

/** A file source could not list or read its input. */
export class FileSourceError extends Error {
  override readonly name: string = 'FileSourceError';
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(`${message} '${path}'${describeCause(options?.cause)}`, options);
    this.path = path;
  }
}

/** A socket source could not connect, or lost its connection with retries exhausted. */
export class SocketSourceError extends Error {
  override readonly name: string = 'SocketSourceError';
  readonly host: string;
  readonly port: number;
  /** Connection attempts made, the first one included. */
  readonly attempts: number;

  constructor(host: string, port: number, attempts: number, options?: { cause?: unknown }) {
    const tries = attempts === 1 ? '1 attempt' : `${attempts} attempts`;
    super(`Socket source lost ${host}:${port} after ${tries}${describeCause(options?.cause)}`, options);
    this.host = host;
    this.port = port;
    this.attempts = attempts;
  }
}

/** A file sink could not create, write, close or publish a part file. */
export class FileSinkError extends Error {
  override readonly name: string = 'FileSinkError';
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(`${message} '${path}'${describeCause(options?.cause)}`, options);
    this.path = path;
  }
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) return `: ${cause.message}`;
  return cause === undefined ? '' : `: ${String(cause)}`;
}
