/**
 * Errors of the actor system. Each failure mode is one flat class with its context as readonly
 * fields. Errors cross the wire as plain data ({name, message, stack, cause, data}); the known
 * classes are rebuilt on arrival so callers can use `instanceof`, anything else arrives as a
 * RemoteActorError carrying the remote name and stack.
 */

/** Plain-data form of an error, as it travels in an error reply. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly cause?: WireError;
  /** Context fields of known error classes. */
  readonly data?: Record<string, unknown>;
}

/** Base of the errors the actor system raises itself. */
export abstract class ActorSystemError extends Error {
  /** Context fields that travel with the error. */
  abstract wireData(): Record<string, unknown>;
}

/**
 * The answer to a caller's bad request. Throwing one from a handler replies with it and does
 * not count as a failure of the actor, so the supervisor does not restart it.
 */
export class RequestError extends Error {
  override name = 'RequestError';
}

export class AskTimeoutError extends ActorSystemError {
  override name = 'AskTimeoutError';
  constructor(
    readonly target: string,
    readonly messageType: string,
    readonly timeoutMs: number,
  ) {
    super(`Ask of '${messageType}' to ${target} timed out after ${timeoutMs} ms with no reply.`);
  }
  wireData() {
    return { target: this.target, messageType: this.messageType, timeoutMs: this.timeoutMs };
  }
}

export class UnknownActorError extends ActorSystemError {
  override name = 'UnknownActorError';
  constructor(readonly target: string) {
    super(`No actor at ${target}: it was never started there, or it has stopped.`);
  }
  wireData() {
    return { target: this.target };
  }
}

export class UnknownMessageTypeError extends ActorSystemError {
  override name = 'UnknownMessageTypeError';
  constructor(
    readonly target: string,
    readonly messageType: string,
  ) {
    super(`Actor ${target} does not accept messages of type '${messageType}'; sender and receiver may run different versions.`);
  }
  wireData() {
    return { target: this.target, messageType: this.messageType };
  }
}

export class InvalidMessageError extends ActorSystemError {
  override name = 'InvalidMessageError';
  constructor(
    readonly target: string,
    readonly messageType: string,
    readonly problem: string,
  ) {
    super(`Message '${messageType}' to ${target} is invalid: ${problem}.`);
  }
  wireData() {
    return { target: this.target, messageType: this.messageType, problem: this.problem };
  }
}

export class FencingTokenMismatchError extends ActorSystemError {
  override name = 'FencingTokenMismatchError';
  constructor(
    readonly target: string,
    readonly messageType: string,
    readonly expected: string | null,
    readonly received: string | null,
  ) {
    super(
      expected === null
        ? `Message '${messageType}' to ${target} was rejected: the actor holds no leadership (token ${received ?? 'none'}).`
        : `Message '${messageType}' to ${target} was rejected: it carries fencing token ${received ?? 'none'}, the current leader's is ${expected}.`,
    );
  }
  wireData() {
    return { target: this.target, messageType: this.messageType, expected: this.expected, received: this.received };
  }
}

export class ActorStoppedError extends ActorSystemError {
  override name = 'ActorStoppedError';
  constructor(
    readonly target: string,
    readonly messageType: string,
  ) {
    super(`Actor ${target} stopped before it answered '${messageType}'.`);
  }
  wireData() {
    return { target: this.target, messageType: this.messageType };
  }
}

export class UndeliverableError extends ActorSystemError {
  override name = 'UndeliverableError';
  constructor(
    readonly target: string,
    readonly messageType: string,
    readonly reason: string,
  ) {
    super(`Message '${messageType}' to ${target} could not be sent: ${reason}.`);
  }
  wireData() {
    return { target: this.target, messageType: this.messageType, reason: this.reason };
  }
}

/** A child failed more often than its supervisor allows; raised in the supervisor. */
export class EscalationError extends ActorSystemError {
  override name = 'EscalationError';
  constructor(
    readonly child: string,
    readonly restarts: number,
    readonly withinMs: number,
    cause: unknown,
  ) {
    super(`Actor ${child} failed after ${restarts} restarts within ${withinMs} ms: ${describe(cause)}`, { cause });
  }
  wireData() {
    return { child: this.child, restarts: this.restarts, withinMs: this.withinMs };
  }
}

/** An error thrown by a remote handler, of a class this process does not know. */
export class RemoteActorError extends Error {
  override name = 'RemoteActorError';
  constructor(
    /** The error's name on the remote side, e.g. 'TypeError'. */
    readonly remoteName: string,
    message: string,
    /** The stack as it was on the remote side. */
    readonly remoteStack: string | undefined,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    if (remoteStack !== undefined) this.stack = `${remoteName}: ${message}\n    [remote stack]\n${stackFrames(remoteStack)}`;
  }
}

function stackFrames(stack: string): string {
  const lines = stack.split('\n');
  const first = lines.findIndex((l) => l.trimStart().startsWith('at '));
  return first < 0 ? stack : lines.slice(first).join('\n');
}

function describe(value: unknown): string {
  return value instanceof Error ? `${value.name}: ${value.message}` : String(value);
}

type Rebuild = (wire: WireError, data: Record<string, unknown>) => Error;
const str = (v: unknown): string => (typeof v === 'string' ? v : String(v));
const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number => (typeof v === 'number' ? v : Number.NaN);

const known = new Map<string, Rebuild>([
  ['AskTimeoutError', (_, d) => new AskTimeoutError(str(d['target']), str(d['messageType']), num(d['timeoutMs']))],
  ['UnknownActorError', (_, d) => new UnknownActorError(str(d['target']))],
  ['UnknownMessageTypeError', (_, d) => new UnknownMessageTypeError(str(d['target']), str(d['messageType']))],
  ['InvalidMessageError', (_, d) => new InvalidMessageError(str(d['target']), str(d['messageType']), str(d['problem']))],
  [
    'FencingTokenMismatchError',
    (_, d) => new FencingTokenMismatchError(str(d['target']), str(d['messageType']), strOrNull(d['expected']), strOrNull(d['received'])),
  ],
  ['ActorStoppedError', (_, d) => new ActorStoppedError(str(d['target']), str(d['messageType']))],
  ['UndeliverableError', (_, d) => new UndeliverableError(str(d['target']), str(d['messageType']), str(d['reason']))],
]);

/**
 * Makes an error class travel with its identity: a component registers its own errors so that
 * callers in another process receive the same class.
 */
export function registerWireError(name: string, rebuild: Rebuild): void {
  known.set(name, rebuild);
}

export function toWireError(err: unknown, depth = 0): WireError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const wire: { -readonly [K in keyof WireError]: WireError[K] } = { name: err.name, message: err.message };
  if (err.stack !== undefined) wire.stack = err instanceof RemoteActorError && err.remoteStack !== undefined ? err.remoteStack : err.stack;
  if (err instanceof ActorSystemError) wire.data = err.wireData();
  if (err instanceof RemoteActorError) wire.name = err.remoteName;
  if (err.cause !== undefined && depth < 8) wire.cause = toWireError(err.cause, depth + 1);
  return wire;
}

function isWireError(value: unknown): value is WireError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v['name'] === 'string' && typeof v['message'] === 'string';
}

/** Rebuilds an error from an error reply; anything unrecognisable still becomes an Error. */
export function fromWireError(value: unknown, depth = 0): Error {
  if (!isWireError(value)) return new RemoteActorError('Error', `malformed error reply: ${JSON.stringify(value)?.slice(0, 200)}`, undefined);
  const cause = value.cause !== undefined && depth < 8 ? fromWireError(value.cause, depth + 1) : undefined;
  const rebuild = known.get(value.name);
  const data = typeof value.data === 'object' && value.data !== null ? value.data : {};
  if (rebuild !== undefined) {
    const err = rebuild(value, data);
    if (typeof value.stack === 'string') err.stack = value.stack;
    if (cause !== undefined) Object.defineProperty(err, 'cause', { value: cause, enumerable: false, writable: true });
    return err;
  }
  return new RemoteActorError(value.name, value.message, typeof value.stack === 'string' ? value.stack : undefined, cause);
}
