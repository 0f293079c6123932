/**
 * Value types of configuration options: each turns a raw value (from YAML or a `-D` string)
 * into a typed one, or throws a {@link ConfigValueError} saying what was expected.
 *
 * Durations and memory sizes follow Flink's grammar: an integer, optional spaces, then an
 * optional unit, case-insensitive. Fractions are rejected as Flink does (`1.5 s` is
 * `1500 ms`), which keeps every accepted value exact.
 */
import { fileURLToPath } from 'node:url';
import { ConfigValueError } from './errors.js';

/** A scalar from YAML or the command line. */
export type RawScalar = string | number | boolean;
/** What a configuration holds before it is typed: a scalar or a YAML list of scalars. */
export type RawValue = RawScalar | readonly RawScalar[];

/** A value type: parses raw values and prints typed ones. */
export interface OptionType<T> {
  /** Short name for documentation, e.g. `duration`. */
  readonly name: string;
  /** What is accepted, phrased to follow "expected ..." in error messages. */
  readonly expected: string;
  /** @throws ConfigValueError naming `key`, the value and {@link expected}. */
  parse(raw: RawValue, key: string, source?: string): T;
  /** The value as a user would write it in config.yaml. */
  format(value: T): string;
}

function invalid(raw: RawValue, key: string, expected: string, source: string | undefined): ConfigValueError {
  return new ConfigValueError({ key, value: raw, expected, ...(source === undefined ? {} : { source }) });
}

/** A single scalar as trimmed text; lists are not scalars. */
function scalarText(raw: RawValue): string | undefined {
  return Array.isArray(raw) ? undefined : String(raw).trim();
}

export function stringType(): OptionType<string> {
  const expected = 'a single text value, not a list';
  return {
    name: 'string',
    expected,
    parse(raw, key, source) {
      if (Array.isArray(raw)) throw invalid(raw, key, expected, source);
      return String(raw);
    },
    format: (value) => value,
  };
}

export interface NumberRange {
  readonly min?: number;
  readonly max?: number;
}

function rangeText(noun: string, range: NumberRange): string {
  const { min, max } = range;
  if (min !== undefined && max !== undefined) return `${noun} between ${min} and ${max}`;
  if (min !== undefined) return `${noun} of at least ${min}`;
  if (max !== undefined) return `${noun} of at most ${max}`;
  return noun;
}

function inRange(value: number, range: NumberRange): boolean {
  return (range.min === undefined || value >= range.min) && (range.max === undefined || value <= range.max);
}

export function integerType(range: NumberRange = {}): OptionType<number> {
  const expected = rangeText('an integer', range);
  return {
    name: 'integer',
    expected,
    parse(raw, key, source) {
      const text = scalarText(raw);
      const value = typeof raw === 'number' ? raw : text !== undefined && /^[+-]?\d+$/.test(text) ? Number(text) : NaN;
      if (!Number.isSafeInteger(value) || !inRange(value, range)) throw invalid(raw, key, expected, source);
      return value;
    },
    format: (value) => String(value),
  };
}

export function floatType(range: NumberRange = {}): OptionType<number> {
  const expected = rangeText('a number', range);
  return {
    name: 'float',
    expected,
    parse(raw, key, source) {
      const text = scalarText(raw);
      const value =
        typeof raw === 'number'
          ? raw
          : text !== undefined && /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)
            ? Number(text)
            : NaN;
      if (!Number.isFinite(value) || !inRange(value, range)) throw invalid(raw, key, expected, source);
      return value;
    },
    format: (value) => String(value),
  };
}

export function booleanType(): OptionType<boolean> {
  const expected = "'true' or 'false'";
  return {
    name: 'boolean',
    expected,
    parse(raw, key, source) {
      if (typeof raw === 'boolean') return raw;
      const text = typeof raw === 'string' ? raw.trim().toLowerCase() : undefined;
      if (text === 'true' || text === 'false') return text === 'true';
      throw invalid(raw, key, expected, source);
    },
    format: (value) => String(value),
  };
}

/**
 * Splits `<digits><spaces?><unit?>` as Flink does. Returns undefined when the text does not
 * start with digits, so `-1 s` and `.5 s` fail like any other malformed value.
 */
function splitAmount(text: string): { amount: number; unit: string } | undefined {
  const match = /^(\d+)\s*(\S*)$/u.exec(text.trim().toLowerCase());
  if (match === null) return undefined;
  return { amount: Number(match[1]), unit: match[2] ?? '' };
}

const MS_PER_UNIT = new Map<string, number>();
function durationUnit(ms: number, ...labels: string[]): void {
  for (const label of labels) MS_PER_UNIT.set(label, ms);
}
durationUnit(1e-6, 'ns', 'nano', 'nanos', 'nanosecond', 'nanoseconds');
durationUnit(1e-3, 'us', 'µs', 'μs', 'micro', 'micros', 'microsecond', 'microseconds');
durationUnit(1, 'ms', 'milli', 'millis', 'millisecond', 'milliseconds');
durationUnit(1_000, 's', 'sec', 'secs', 'second', 'seconds');
durationUnit(60_000, 'm', 'min', 'minute', 'minutes');
durationUnit(3_600_000, 'h', 'hour', 'hours');
durationUnit(86_400_000, 'd', 'day', 'days');

/** Milliseconds, fractional below one millisecond; a plain number is milliseconds. */
export function durationType(): OptionType<number> {
  const expected = "a duration such as '10 s', '500 ms' or '1 min'";
  return {
    name: 'duration',
    expected,
    parse(raw, key, source) {
      if (typeof raw === 'number') {
        if (Number.isSafeInteger(raw) && raw >= 0) return raw;
        throw invalid(raw, key, expected, source);
      }
      const parts = typeof raw === 'string' ? splitAmount(raw) : undefined;
      const perUnit = parts === undefined ? undefined : parts.unit === '' ? 1 : MS_PER_UNIT.get(parts.unit);
      if (parts === undefined || perUnit === undefined) throw invalid(raw, key, expected, source);
      // Sub-millisecond units divide rather than multiply so that 1500 us is exactly 1.5.
      const ms = perUnit < 1 ? parts.amount / Math.round(1 / perUnit) : parts.amount * perUnit;
      if (!Number.isSafeInteger(Math.ceil(ms))) throw invalid(raw, key, expected, source);
      return ms;
    },
    format: formatDuration,
  };
}

const DURATION_LABELS: readonly (readonly [number, string])[] = [
  [86_400_000, 'd'],
  [3_600_000, 'h'],
  [60_000, 'min'],
  [1_000, 's'],
  [1, 'ms'],
];

/** Prints milliseconds in the largest unit that keeps the number whole: `60000` → `1 min`. */
export function formatDuration(ms: number): string {
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (!Number.isFinite(ms)) return String(ms);
  if (!Number.isInteger(ms)) {
    const ns = Math.round(ms * 1e6);
    return ns % 1_000 === 0 ? `${ns / 1_000} µs` : `${ns} ns`;
  }
  for (const [size, label] of DURATION_LABELS) {
    if (ms !== 0 && ms % size === 0) return `${ms / size} ${label}`;
  }
  return `${ms} ms`;
}

const MEMORY_UNITS: readonly (readonly [number, readonly string[]])[] = [
  [1, ['b', 'bytes']],
  [1024, ['k', 'kb', 'kibibytes']],
  [1024 ** 2, ['m', 'mb', 'mebibytes']],
  [1024 ** 3, ['g', 'gb', 'gibibytes']],
  [1024 ** 4, ['t', 'tb', 'tebibytes']],
];

/** Bytes; units are powers of 1024 as in Flink; a plain number is bytes. */
export function memorySizeType(): OptionType<number> {
  const expected = "a memory size such as '64 kb', '10 mb' or '1 gb'";
  return {
    name: 'memory size',
    expected,
    parse(raw, key, source) {
      if (typeof raw === 'number') {
        if (Number.isSafeInteger(raw) && raw >= 0) return raw;
        throw invalid(raw, key, expected, source);
      }
      const parts = typeof raw === 'string' ? splitAmount(raw) : undefined;
      const unit = parts === undefined ? undefined : MEMORY_UNITS.find(([, labels]) => parts.unit === '' || labels.includes(parts.unit));
      const bytes = parts !== undefined && unit !== undefined ? parts.amount * unit[0] : NaN;
      if (!Number.isSafeInteger(bytes)) throw invalid(raw, key, expected, source);
      return bytes;
    },
    format: formatMemorySize,
  };
}

/** Prints bytes in the largest unit that keeps the number whole: `10485760` → `10 mb`. */
export function formatMemorySize(bytes: number): string {
  let [size, labels] = MEMORY_UNITS[0] ?? [1, ['b', 'bytes']];
  for (const [unitSize, unitLabels] of MEMORY_UNITS) {
    if (bytes !== 0 && bytes % unitSize === 0) [size, labels] = [unitSize, unitLabels];
  }
  return `${bytes / size} ${labels[1] ?? 'bytes'}`;
}

/**
 * One of a fixed set of constants, matched case-insensitively and returned in its canonical
 * spelling. `aliases` maps other accepted spellings (any case) to a constant.
 */
export function enumType<const V extends string>(
  values: readonly V[],
  aliases: Readonly<Record<string, V>> = {},
): OptionType<V> {
  const byLowerCase = new Map<string, V>();
  for (const [alias, value] of Object.entries(aliases)) byLowerCase.set(alias.toLowerCase(), value);
  for (const value of values) byLowerCase.set(value.toLowerCase(), value);
  const expected = `one of ${values.join(', ')}`;
  return {
    name: 'enum',
    expected,
    parse(raw, key, source) {
      const value = typeof raw === 'string' ? byLowerCase.get(raw.trim().toLowerCase()) : undefined;
      if (value === undefined) throw invalid(raw, key, expected, source);
      return value;
    },
    format: (value) => value,
  };
}

/** A YAML list, or one string split on `,` or `;`; items are trimmed and empty ones dropped. */
export function stringListType(): OptionType<readonly string[]> {
  return {
    name: 'list',
    expected: "a list of values, as a YAML list or separated by ',' or ';'",
    parse(raw) {
      const items = Array.isArray(raw) ? raw.map(String) : String(raw).split(/[,;]/);
      return Object.freeze(items.map((item) => item.trim()).filter((item) => item !== ''));
    },
    format: (value) => value.join(';'),
  };
}

/**
 * A port, a range or a comma-separated mix (`0`, `9249-9260`, `50100,50200-50210`), kept as
 * text for whoever binds to it; 0 means any free port.
 */
export function portRangeType(): OptionType<string> {
  const expected = "a port, a range such as '9249-9260', or a comma-separated list of them";
  const isPort = (text: string): boolean => /^\d{1,5}$/.test(text) && Number(text) <= 65535;
  return {
    name: 'port range',
    expected,
    parse(raw, key, source) {
      const text = scalarText(raw);
      const valid =
        text !== undefined &&
        typeof raw !== 'boolean' &&
        text.split(',').every((part) => {
          const [from, to, ...rest] = part.split('-').map((p) => p.trim());
          if (from === undefined || !isPort(from) || rest.length > 0) return false;
          return to === undefined || (isPort(to) && Number(from) <= Number(to));
        });
      if (!valid) throw invalid(raw, key, expected, source);
      return text;
    },
    format: (value) => value,
  };
}

/**
 * A local file-system path, given plainly or as a `file://` URI (the form Flink's docs use);
 * returns a plain path. Other schemes are rejected because Runnel writes only local files.
 */
export function pathType(): OptionType<string> {
  const expected = "a local path or a file:// URI such as 'file:///var/lib/runnel'";
  return {
    name: 'path',
    expected,
    parse(raw, key, source) {
      const text = scalarText(raw);
      if (text === undefined || text === '' || typeof raw !== 'string') throw invalid(raw, key, expected, source);
      if (/^file:/i.test(text)) {
        try {
          return fileURLToPath(text);
        } catch (cause) {
          throw new ConfigValueError({ key, value: raw, expected, ...(source === undefined ? {} : { source }) }, { cause });
        }
      }
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) throw invalid(raw, key, expected, source);
      return text;
    },
    format: (value) => value,
  };
}
