/**
 * An immutable set of raw configuration values by flat key, typed on read through
 * {@link ConfigOption}s. Raw values are kept as given so that `GET /jobmanager/config` shows
 * what the user wrote, and so that each value's source can be named in messages.
 */
import { ConfigError } from './errors.js';
import type { ConfigOption } from './options.js';
import { closestKnownKey, findOption, findOptionByFallbackKey } from './registry.js';
import type { RawValue } from './types.js';

/** One key and its value as text, as listed by `GET /jobmanager/config`. */
export interface ConfigEntry {
  readonly key: string;
  readonly value: string;
}

interface StoredValue {
  readonly value: RawValue;
  /** A file path, `-D`, or undefined when set from code. */
  readonly source: string | undefined;
}

/** What Flink shows instead of a value that may be a secret. */
export const HIDDEN_CONTENT = '******';

// Flink's list: keys containing any of these are never printed or served.
const SENSITIVE_KEY_FRAGMENTS = [
  'password',
  'secret',
  'fs.azure.account.key',
  'apikey',
  'api-key',
  'auth-params',
  'service-key',
  'token',
  'basic-auth',
  'jaas.config',
  'http-headers',
];

/** Whether a key's value must be masked when printed or served. */
export function isSensitiveKey(key: string): boolean {
  const lower = key.toLowerCase();
  return SENSITIVE_KEY_FRAGMENTS.some((fragment) => lower.includes(fragment));
}

function inSource(source: string | undefined): string {
  return source === undefined ? '' : ` (in ${source})`;
}

function rawToString(value: RawValue): string {
  // Lists as Flink prints them: items joined with ';'.
  return Array.isArray(value) ? value.map(String).join(';') : String(value);
}

export class Configuration {
  private constructor(private readonly values: ReadonlyMap<string, StoredValue>) {}

  static empty(): Configuration {
    return new Configuration(new Map());
  }

  /** `source` names where the values came from in later warnings and errors. */
  static fromRecord(record: Readonly<Record<string, RawValue>>, source?: string): Configuration {
    return Configuration.empty().withAll(record, source);
  }

  /**
   * The option's value: from its key, else its first set fallback key, else its default.
   * @throws ConfigValueError when the value set does not parse.
   * @throws ConfigError when nothing is set and the option has no default; use
   *   {@link getOptional} for options that may stay unset.
   */
  get<T>(option: ConfigOption<T>): T {
    const value = this.getOptional(option);
    if (value !== undefined) return value;
    throw new ConfigError(
      `Missing value for '${option.key}': it has no default. Set it in config.yaml or with -D ${option.key}=<value>.`,
      { key: option.key },
    );
  }

  /** Like {@link get}, but undefined when nothing is set and there is no default. */
  getOptional<T>(option: ConfigOption<T>): T | undefined {
    const found = this.lookup(option);
    if (found === undefined) return option.default;
    return option.type.parse(found.stored.value, found.key, found.stored.source);
  }

  /** Whether the option's key or one of its fallback keys is set (defaults do not count). */
  contains(option: ConfigOption<unknown>): boolean {
    return this.lookup(option) !== undefined;
  }

  /** The value stored under exactly `key`, untyped. */
  getRaw(key: string): RawValue | undefined {
    return this.values.get(key)?.value;
  }

  /** Where the value under `key` came from: a file path, `-D`, or undefined if set from code. */
  sourceOf(key: string): string | undefined {
    return this.values.get(key)?.source;
  }

  /** A copy with `key` set to `value`, replacing any earlier value. */
  with(key: string, value: RawValue, source?: string): Configuration {
    return this.withAll({ [key]: value }, source);
  }

  /** A copy with every entry of `record` set, replacing earlier values of the same keys. */
  withAll(record: Readonly<Record<string, RawValue>>, source?: string): Configuration {
    const next = new Map(this.values);
    for (const [key, value] of Object.entries(record)) {
      if (key.trim() === '') {
        throw new ConfigError(`Empty configuration key${inSource(source)}: every value needs a key.`, {
          ...(source === undefined ? {} : { source }),
        });
      }
      next.set(key, { value: Array.isArray(value) ? Object.freeze([...value]) : value, source });
    }
    return new Configuration(next);
  }

  /** Every key set, sorted. */
  keys(): string[] {
    return [...this.values.keys()].sort();
  }

  /** Every set key with its value as text, sorted by key; values of secret-looking keys are masked. */
  toEntries(): ConfigEntry[] {
    return this.keys().map((key) => {
      const stored = this.values.get(key);
      const value = stored === undefined ? '' : rawToString(stored.value);
      return { key, value: isSensitiveKey(key) ? HIDDEN_CONTENT : value };
    });
  }

  /**
   * Reports every unknown or deprecated key through `onWarning`, then parses every value
   * set for a known option.
   * @throws ConfigValueError for the first value (by key) that does not parse.
   */
  validate(onWarning: (message: string) => void): void {
    for (const key of this.keys()) {
      const source = this.values.get(key)?.source;
      if (findOption(key) !== undefined) continue;
      const replacement = findOptionByFallbackKey(key);
      if (replacement !== undefined) {
        const shadowed = this.values.has(replacement.key)
          ? `; '${replacement.key}' is also set and takes precedence`
          : '';
        onWarning(`Configuration key '${key}'${inSource(source)} is deprecated; use '${replacement.key}' instead${shadowed}.`);
        continue;
      }
      const suggestion = closestKnownKey(key);
      onWarning(
        suggestion === undefined
          ? `Unknown configuration key '${key}'${inSource(source)}; it is not a Runnel option and will be ignored.`
          : `Unknown configuration key '${key}'${inSource(source)}; did you mean '${suggestion}'?`,
      );
    }
    for (const key of this.keys()) {
      const option = findOption(key) ?? findOptionByFallbackKey(key);
      const stored = this.values.get(key);
      if (option !== undefined && stored !== undefined) option.type.parse(stored.value, key, stored.source);
    }
  }

  private lookup(option: ConfigOption<unknown>): { key: string; stored: StoredValue } | undefined {
    for (const key of [option.key, ...(option.fallbackKeys ?? [])]) {
      const stored = this.values.get(key);
      if (stored !== undefined) return { key, stored };
    }
    return undefined;
  }
}
