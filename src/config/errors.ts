/**
 * Errors raised while reading Runnel's configuration. Both are meant to be shown to the
 * person who wrote the configuration, so messages say where the problem is and what to do.
 */

/** Where a configuration problem was found; every field is optional because not all are known. */
export interface ConfigErrorContext {
  /** The flat configuration key involved, e.g. `rest.port`. */
  readonly key?: string;
  /** Where the setting came from: a file path, `-D` or the code that set it. */
  readonly source?: string;
  /** 1-based line in `source`, when it is a file. */
  readonly line?: number;
}

/** A configuration that cannot be used: unreadable file, malformed YAML, a bad `-D`, ... */
export class ConfigError extends Error {
  override readonly name: string = 'ConfigError';
  readonly key: string | undefined;
  readonly source: string | undefined;
  readonly line: number | undefined;

  constructor(message: string, context: ConfigErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.key = context.key;
    this.source = context.source;
    this.line = context.line;
  }
}

/** What a {@link ConfigValueError} needs to explain itself. */
export interface ConfigValueErrorContext {
  readonly key: string;
  /** The raw value as given (string, number, boolean or list). */
  readonly value: unknown;
  /** What would have been accepted, e.g. `a duration such as '10 s', '500 ms' or '1 min'`. */
  readonly expected: string;
  readonly source?: string;
}

/** A value that does not parse as its option's type. */
export class ConfigValueError extends ConfigError {
  override readonly name: string = 'ConfigValueError';
  readonly value: unknown;
  readonly expected: string;
  // Narrowed: a value error always concerns one key.
  declare readonly key: string;

  constructor(context: ConfigValueErrorContext, options?: { cause?: unknown }) {
    const where = context.source === undefined ? '' : ` (in ${context.source})`;
    super(
      `Invalid value ${describeRawValue(context.value)} for '${context.key}'${where}: expected ${context.expected}.`,
      { key: context.key, ...(context.source === undefined ? {} : { source: context.source }) },
      options,
    );
    this.value = context.value;
    this.expected = context.expected;
  }
}

/** How a raw value appears in messages: quoted scalars, bracketed lists. */
export function describeRawValue(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map((v: unknown) => describeRawValue(v)).join(', ')}]`;
  }
  return `'${String(value)}'`;
}
