/**
 * Errors raised by keyed and operator state, key-group maths and timers. Each is a flat class
 * with its `name` set and the facts a caller needs as readonly fields, so the runtime can report
 * them without parsing messages. Most mean a bug in the job or in the runtime (a key outside the
 * subtask's key groups, a state name reused for another kind); none is expected in normal flow.
 */

/** A parallelism or max parallelism that Flink's key-group assignment does not accept. */
export class InvalidParallelismError extends Error {
  override readonly name: string = 'InvalidParallelismError';

  constructor(
    message: string,
    readonly parallelism: number,
    readonly maxParallelism: number | undefined,
  ) {
    super(message);
  }
}

/** A key-group range or key-group index that is malformed or outside [0, maxParallelism). */
export class InvalidKeyGroupRangeError extends Error {
  override readonly name: string = 'InvalidKeyGroupRangeError';

  constructor(
    message: string,
    readonly startKeyGroup: number,
    readonly endKeyGroup: number,
  ) {
    super(message);
  }
}

/**
 * A key whose key group this backend does not own. Records reach a keyed subtask by the same
 * key-group maths, so this means the upstream partitioner and this backend disagree (another max
 * parallelism, another key selector, or a custom partitioner in front of keyed state).
 */
export class KeyGroupOutOfRangeError extends Error {
  override readonly name: string = 'KeyGroupOutOfRangeError';

  constructor(
    /** A printable form of the key, shortened. */
    readonly key: string,
    readonly keyGroup: number,
    readonly startKeyGroup: number,
    readonly endKeyGroup: number,
    readonly maxParallelism: number,
  ) {
    super(
      `Key ${key} belongs to key group ${keyGroup}, outside this subtask's key groups ` +
        `[${startKeyGroup}, ${endKeyGroup}] (max parallelism ${maxParallelism}): the records were ` +
        'partitioned with another max parallelism or key selector than the keyed state uses.',
    );
  }
}

/** Where a value that cannot serve as an identity was used. */
export type KeyRole = 'key' | 'namespace' | 'map key';

/**
 * A key, namespace or map key of a type that has no stable identity or plain-data form:
 * functions, symbols, class instances, Maps, Dates, typed arrays, cyclic structures.
 */
export class UnsupportedKeyError extends Error {
  override readonly name: string = 'UnsupportedKeyError';

  constructor(
    readonly role: KeyRole,
    /** What was found: `function`, `symbol`, `Date`, `cyclic array`, ... */
    readonly valueType: string,
  ) {
    super(
      `A ${role} of type ${valueType} is not supported: use a string, number, boolean, bigint, ` +
        'null or undefined, or an array (tuple) or plain object of these.',
    );
  }
}

/** Keyed state or a timer was used before any key was set on the backend. */
export class NoCurrentKeyError extends Error {
  override readonly name: string = 'NoCurrentKeyError';

  constructor(readonly operation: string) {
    super(`${operation} needs a current key, but none is set: keyed state is only available for keyed streams, while a record or timer of a key is processed.`);
  }
}

/** One state name registered twice with different kinds (e.g. VALUE then LIST). */
export class StateKindMismatchError extends Error {
  override readonly name: string = 'StateKindMismatchError';

  constructor(
    readonly stateName: string,
    readonly registeredKind: string,
    readonly requestedKind: string,
  ) {
    super(
      `State '${stateName}' is registered as ${registeredKind} state and cannot be used as ` +
        `${requestedKind} state: give the ${requestedKind} state another name.`,
    );
  }
}

/** A state looked up by a name that was never registered nor restored. */
export class UnknownStateError extends Error {
  override readonly name: string = 'UnknownStateError';

  constructor(readonly stateName: string) {
    super(`No state named '${stateName}' is registered with this backend.`);
  }
}

/** A state descriptor that cannot describe a state (empty name, missing function). */
export class StateDescriptorError extends Error {
  override readonly name: string = 'StateDescriptorError';

  constructor(
    message: string,
    readonly stateName: string,
  ) {
    super(message);
  }
}

/**
 * A state time-to-live setting that cannot work (a TTL of zero or less, a cleanup size that is
 * not a positive integer, an unknown update type or visibility). Thrown by the builder method that
 * got it, so the stack points at the job's line.
 */
export class StateTtlConfigError extends Error {
  override readonly name: string = 'StateTtlConfigError';

  constructor(
    message: string,
    /** The builder method or option concerned, e.g. `cleanupIncrementally(cleanupSize)`. */
    readonly option: string,
    readonly value: unknown,
  ) {
    super(message);
  }
}

/** A value that state cannot hold, e.g. `undefined` as a list element. */
export class InvalidStateValueError extends Error {
  override readonly name: string = 'InvalidStateValueError';

  constructor(
    message: string,
    readonly stateName: string,
  ) {
    super(message);
  }
}

/** A snapshot that cannot be restored into this backend. */
export class StateRestoreError extends Error {
  override readonly name: string = 'StateRestoreError';

  constructor(
    message: string,
    /** The state or timer service concerned, when the problem is specific to one. */
    readonly stateName: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A state value that cannot be copied into a snapshot (a function, a class with private fields, ...). */
export class StateSnapshotError extends Error {
  override readonly name: string = 'StateSnapshotError';

  constructor(
    readonly stateName: string,
    cause: unknown,
  ) {
    super(
      `State '${stateName}' holds a value that cannot be encoded into a snapshot: keep state values plain data (primitives, arrays, plain objects, Maps, Dates). ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

/** A timer timestamp that is not a number (NaN or another type). */
export class InvalidTimestampError extends Error {
  override readonly name: string = 'InvalidTimestampError';

  constructor(
    readonly timestamp: unknown,
    readonly operation: string,
  ) {
    super(`${operation} needs a timestamp in milliseconds, got ${String(timestamp)}.`);
  }
}
